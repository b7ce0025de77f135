#include "store/event_json.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <sstream>

namespace tillbridge::store {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string Stringify(const Object::Ptr& object) {
  std::ostringstream out;
  object->stringify(out);
  return out.str();
}

Object::Ptr Envelope(const EventEnvelope& envelope) {
  Object::Ptr event = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  event->set("id", envelope.event_id);
  event->set("type", envelope.type);
  event->set("occurred_at", FormatRfc3339(envelope.occurred_at));
  event->set("store_id", envelope.store_id);
  event->set("terminal_id", envelope.terminal_id);
  event->set("source", envelope.source);
  return event;
}

Array::Ptr PaymentsArray(const std::vector<Payment>& payments) {
  Array::Ptr out = new Array();
  for (const auto& payment : payments) {
    Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    item->set("type", payment.type);
    item->set("amount_minor", payment.amount_minor);
    out->add(item);
  }
  return out;
}

}  // namespace

std::string TransactionEventJson(const EventEnvelope& envelope, const Transaction& txn,
                                 const ConsentSnapshot& consent) {
  Object::Ptr payload = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  payload->set("pos_id", txn.pos_id);
  payload->set("revision", txn.revision);
  payload->set("kind", std::string(TransactionKindName(txn.kind)));
  payload->set("currency", txn.currency);
  payload->set("subtotal_minor", txn.subtotal_minor);
  payload->set("tax_minor", txn.tax_minor);
  payload->set("total_minor", txn.total_minor);
  payload->set("tip_minor", txn.tip_minor);
  payload->set("line_prices_include_tax", txn.line_prices_include_tax);
  // Present (a number) when the POS runs its own loyalty scheme for this
  // sale; loyalty.accrued follows with the details.
  if (txn.loyalty_points_earned) {
    payload->set("loyalty_points_earned", *txn.loyalty_points_earned);
  } else {
    payload->set("loyalty_points_earned", Poco::Dynamic::Var());
  }
  if (txn.refund_of.empty()) {
    payload->set("refund_of", Poco::Dynamic::Var());
  } else {
    payload->set("refund_of", txn.refund_of);
  }
  payload->set("cashier", txn.cashier);
  Object::Ptr customer = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  if (txn.customer_phone.empty()) {
    customer->set("phone", Poco::Dynamic::Var());
  } else {
    customer->set("phone", txn.customer_phone);
  }
  if (txn.loyalty_number.empty()) {
    customer->set("loyalty_number", Poco::Dynamic::Var());
  } else {
    customer->set("loyalty_number", txn.loyalty_number);
  }
  Object::Ptr consent_obj = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  consent_obj->set("transactional", consent.transactional);
  consent_obj->set("marketing", consent.marketing);
  customer->set("consent", consent_obj);
  payload->set("customer", customer);
  Array::Ptr coupons = new Array();
  for (const auto& code : txn.coupon_codes) coupons->add(code);
  payload->set("coupon_codes", coupons);
  Array::Ptr lines = new Array();
  for (const auto& line : txn.lines) {
    Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    item->set("sku", line.sku);
    item->set("description", line.description);
    if (!line.category.empty()) item->set("category", line.category);
    item->set("quantity_milli", line.quantity_milli);
    item->set("unit_price_minor", line.unit_price_minor);
    item->set("total_minor", line.total_minor);
    lines->add(item);
  }
  payload->set("lines", lines);
  payload->set("payments", PaymentsArray(txn.payments));
  Object::Ptr event = Envelope(envelope);
  event->set("payload", payload);
  return Stringify(event);
}

std::string ConsentEventJson(const EventEnvelope& envelope, const LedgerRow& row) {
  Object::Ptr payload = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  payload->set("phone", row.phone);
  payload->set("purpose", row.purpose);
  payload->set("state", row.state);
  payload->set("previous_state", row.previous_state);
  payload->set("method", row.method);
  payload->set("actor", row.actor);
  payload->set("disclosure_hash", row.disclosure_hash);
  payload->set("ledger_seq", row.seq);
  payload->set("ledger_hash", row.row_hash);
  Object::Ptr event = Envelope(envelope);
  event->set("payload", payload);
  return Stringify(event);
}

std::string CouponRedeemedEventJson(const EventEnvelope& envelope, const Transaction& txn,
                                    const std::string& code, const std::string& sale_event_id,
                                    bool issued_by_cloud) {
  Object::Ptr payload = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  payload->set("code", code);
  if (txn.customer_phone.empty()) {
    payload->set("phone", Poco::Dynamic::Var());
  } else {
    payload->set("phone", txn.customer_phone);
  }
  payload->set("transaction_pos_id", txn.pos_id);
  payload->set("transaction_event_id", sale_event_id);
  payload->set("total_minor", txn.total_minor);
  payload->set("currency", txn.currency);
  payload->set("cashier", txn.cashier);
  payload->set("issued_by_cloud", issued_by_cloud);
  Object::Ptr event = Envelope(envelope);
  event->set("payload", payload);
  return Stringify(event);
}

std::string LoyaltyAccruedEventJson(const EventEnvelope& envelope, const Transaction& txn,
                                    const std::string& sale_event_id,
                                    const ConsentSnapshot& consent) {
  Object::Ptr payload = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  payload->set("phone", txn.customer_phone);
  payload->set("points", txn.loyalty_points_earned.value_or(0));
  if (txn.loyalty_balance) {
    payload->set("balance", *txn.loyalty_balance);
  } else {
    payload->set("balance", Poco::Dynamic::Var());
  }
  if (txn.loyalty_number.empty()) {
    payload->set("loyalty_number", Poco::Dynamic::Var());
  } else {
    payload->set("loyalty_number", txn.loyalty_number);
  }
  payload->set("transaction_pos_id", txn.pos_id);
  payload->set("transaction_event_id", sale_event_id);
  Object::Ptr consent_obj = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  consent_obj->set("transactional", consent.transactional);
  consent_obj->set("marketing", consent.marketing);
  payload->set("consent", consent_obj);
  Object::Ptr event = Envelope(envelope);
  event->set("payload", payload);
  return Stringify(event);
}

std::string JsonStringArray(const std::vector<std::string>& items) {
  Array::Ptr out = new Array();
  for (const auto& item : items) out->add(item);
  std::ostringstream text;
  out->stringify(text);
  return text.str();
}

std::string PaymentsJson(const std::vector<Payment>& payments) {
  std::ostringstream text;
  PaymentsArray(payments)->stringify(text);
  return text.str();
}

}  // namespace tillbridge::store
