#include "tools/refcloud/cloud_rules.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>

#include "common/coupon_scan.h"
#include "common/phone.h"
#include "common/text.h"

namespace tillbridge::refcloud {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr std::int64_t kVipLifetimeMinor = 50'000;
constexpr std::int64_t kCouponDays = 30;

std::string Json(const Object::Ptr& object) {
  std::ostringstream out;
  object->stringify(out);
  return out.str();
}

Object::Ptr NewObject() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }

std::string Money(std::int64_t minor, const std::string& currency) {
  char text[96];
  const std::int64_t whole = std::llabs(minor) / 100;
  std::snprintf(text, sizeof(text), "%s%lld.%02lld %s", minor < 0 ? "-" : "",
                static_cast<long long>(whole), static_cast<long long>(std::llabs(minor) % 100),
                currency.c_str());
  return text;
}

std::string Tier(std::int64_t points) {
  if (points >= 500) return "gold";
  if (points >= 100) return "silver";
  return "bronze";
}

// Sends the customer's points and tier down to the agents, as an effect of
// event `event_id`.
Status FeedLoyalty(CloudTxn& txn, const std::string& phone, const Contact& contact,
                   const std::string& event_id) {
  Object::Ptr loyalty = NewObject();
  loyalty->set("points", contact.points);
  loyalty->set("tier", contact.tier);
  auto change = txn.AddChange("loyalty.updated", phone, txn.now(), Json(loyalty), "");
  if (!change.ok()) return change.status();
  return txn.AddEffect(event_id, "loyalty");
}

int TierRank(const std::string& tier) {
  if (tier == "gold") return 2;
  if (tier == "silver") return 1;
  return 0;
}

std::string& StateOf(Contact& contact, const std::string& purpose) {
  return purpose == "marketing" ? contact.marketing : contact.transactional;
}
UnixMillis& StateTimeOf(Contact& contact, const std::string& purpose) {
  return purpose == "marketing" ? contact.marketing_at : contact.transactional_at;
}

// The same opt-out-wins rule the agent's ledger applies: an opt-in lifts an
// opt-out only when explicit and newer; an opt-out applies unless it is older
// than the opt-in in force (every opt-in the cloud holds is explicit), so the
// outcome does not depend on which of the two arrived first.
bool ApplyConsent(Contact& contact, const std::string& purpose, const std::string& state,
                  UnixMillis at, bool is_explicit) {
  std::string& current = StateOf(contact, purpose);
  UnixMillis& since = StateTimeOf(contact, purpose);
  if (state != "opted_out" && current == "opted_out" && (!is_explicit || at <= since)) return false;
  if (state == "opted_out" && (current == "opted_in" || current == "pending") && at < since) {
    return false;
  }
  if (state == "pending" && current == "opted_in") return false;
  if (state == current) return false;
  current = state;
  since = at;
  return true;
}

Result<std::int64_t> AddEngagement(CloudTxn& txn, const std::string& phone, const std::string& kind,
                                   const std::string& campaign, const Object::Ptr& extra) {
  Object::Ptr data = extra ? extra : NewObject();
  data->set("kind", kind);
  data->set("campaign", campaign);
  return txn.AddChange("engagement.recorded", phone, txn.now(), Json(data), "");
}

Result<std::int64_t> AddConsentChange(CloudTxn& txn, const std::string& phone,
                                      const std::vector<std::string>& purposes,
                                      const std::string& state, const std::string& method,
                                      const std::string& keyword, UnixMillis at,
                                      const std::string& origin_agent) {
  Object::Ptr data = NewObject();
  Array::Ptr list = new Array();
  for (const auto& purpose : purposes) list->add(purpose);
  data->set("purposes", list);
  data->set("state", state);
  data->set("method", method);
  data->set("actor", origin_agent.empty() ? std::string("cloud") : "agent:" + origin_agent);
  if (!keyword.empty()) data->set("keyword", keyword);
  data->set("explicit", true);
  return txn.AddChange("consent.changed", phone, at, Json(data), origin_agent);
}

}  // namespace

std::string CouponUpc(char prefix, const std::string& code) {
  std::uint64_t serial = 0;
  const bool hex_serial = code.size() == 10 && code.compare(0, 2, "TB") == 0 &&
                          std::all_of(code.begin() + 2, code.end(),
                                      [](unsigned char c) { return std::isxdigit(c) != 0; });
  if (hex_serial) {
    // Eight hex digits are at most 4294967295: ten decimal digits exactly.
    serial = std::stoull(code.substr(2), nullptr, 16);
  } else {
    serial = 14695981039346656037ull;  // FNV-1a
    for (unsigned char c : code) serial = (serial ^ c) * 1099511628211ull;
    serial %= 10'000'000'000ull;
  }
  char body[16];
  std::snprintf(body, sizeof(body), "%c%010llu", prefix, static_cast<unsigned long long>(serial));
  return std::string(body) + static_cast<char>('0' + Gs1CheckDigit(body).value_or(0));
}

std::string KeywordOf(const std::string& text) {
  std::string word;
  bool gap = false;
  for (unsigned char c : text) {
    if (std::isspace(c)) {
      gap = !word.empty();
      continue;
    }
    if (gap) word.push_back(' ');
    gap = false;
    word.push_back(static_cast<char>(std::toupper(c)));
  }
  for (const char* stop : {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}) {
    if (word == stop) return "STOP";
  }
  if (word == "START" || word == "UNSTOP") return "START";
  if (word == "YES") return "YES";
  if (word == "HELP") return "HELP";
  return "";
}

Result<std::int64_t> CloudRules::Send(CloudTxn& txn, const std::string& phone,
                                      const std::string& kind, const std::string& body,
                                      const std::string& cause,
                                      std::vector<std::string>* log) const {
  auto seq = txn.AddMessage(phone, kind, body, cause);
  if (!seq.ok()) return seq;
  log->push_back("sms-> " + MaskPhone(phone) + " [" + kind + "] " + body);
  Object::Ptr extra = NewObject();
  extra->set("message_id", "msg_" + std::to_string(*seq));
  auto change = AddEngagement(txn, phone, "message_sent", kind, extra);
  if (!change.ok()) return change.status();
  return seq;
}

Status CloudRules::OnEvent(CloudTxn& txn, const ValidEvent& event, const std::string& agent_id,
                           std::vector<std::string>* log) const {
  if (event.type == "transaction.completed") return OnSale(txn, event, log);
  if (event.type == "consent.changed") return OnConsentEvent(txn, event, agent_id, log);
  if (event.type == "loyalty.accrued") return OnLoyaltyAccrued(txn, event, log);
  if (event.type == "basket.abandoned" && !event.phone.empty()) {
    auto contact = txn.GetContact(event.phone);
    if (!contact.ok()) return contact.status();
    if (event.consent_marketing != "opted_in" || contact->marketing == "opted_out")
      return Status::Ok();
    auto sent = Send(txn, event.phone, "abandoned_basket",
                     "You left something behind at " + brand_ +
                         "! Your basket is waiting for you. Reply STOP to opt out.",
                     event.id, log);
    if (!sent.ok()) return sent.status();
    return txn.AddEffect(event.id, "abandoned_basket_sms");
  }
  if (event.type == "coupon.redeemed" && !event.phone.empty()) {
    Object::Ptr extra = NewObject();
    extra->set("coupon_code", event.coupon_code);
    auto change = AddEngagement(txn, event.phone, "redemption", "coupon", extra);
    if (!change.ok()) return change.status();
    log->push_back("coupon " + event.coupon_code + " redeemed by " + MaskPhone(event.phone) +
                   ", recorded for attribution");
    return txn.AddEffect(event.id, "redemption");
  }
  return Status::Ok();
}

Status CloudRules::OnSale(CloudTxn& txn, const ValidEvent& event,
                          std::vector<std::string>* log) const {
  if (event.phone.empty()) return Status::Ok();
  auto loaded = txn.GetContact(event.phone);
  if (!loaded.ok()) return loaded.status();
  Contact contact = *loaded;
  contact.orders += 1;
  contact.lifetime_value_minor += event.total_minor;
  contact.last_store = event.store_id;
  // What the customer allowed at the time of the sale, unless the cloud has
  // since heard a STOP.
  const bool transactional =
      event.consent_transactional == "opted_in" && contact.transactional != "opted_out";
  const bool marketing = event.consent_marketing == "opted_in" && contact.marketing != "opted_out";
  if (transactional) {
    auto sent = Send(txn, event.phone, "receipt",
                     "Thanks for shopping at " + brand_ + "! Total " +
                         Money(event.total_minor, event.currency) + " (sale " + event.pos_id +
                         "). Reply STOP to opt out.",
                     event.id, log);
    if (!sent.ok()) return sent.status();
    TB_RETURN_IF_ERROR(txn.AddEffect(event.id, "receipt_sms"));
  }
  if (marketing) {
    const std::string code = "TB" + AsciiUpper(event.id.substr(0, 8));
    const std::string upc = CouponUpc(coupon_upc_prefix_, code);
    auto sent = Send(txn, event.phone, "coupon",
                     "Thanks for visiting " + brand_ + "! Show code " + code + " (UPC " + upc +
                         ") for 10% off your next purchase. Reply STOP to opt out.",
                     event.id, log);
    if (!sent.ok()) return sent.status();
    Object::Ptr coupon = NewObject();
    coupon->set("code", code);
    coupon->set("upc", upc);
    coupon->set("description", "10% off your next purchase");
    coupon->set("discount_percent", 10);
    coupon->set("valid_from", FormatRfc3339(txn.now()));
    coupon->set("valid_until", FormatRfc3339(txn.now() + kCouponDays * 86'400'000));
    coupon->set("max_redemptions", 1);
    auto issued = txn.AddChange("coupon.issued", event.phone, txn.now(), Json(coupon), "");
    if (!issued.ok()) return issued.status();
    TB_RETURN_IF_ERROR(txn.AddEffect(event.id, "coupon"));

    // Loyalty belongs to members, i.e. marketing opt-ins. A POS that runs
    // its own scheme reports the balance itself (loyalty.accrued): the
    // cloud's rule would count the same sale twice.
    if (!event.pos_keeps_loyalty) {
      if (event.total_minor > 0) contact.points += event.total_minor / 100;
      contact.tier = Tier(contact.points);
      TB_RETURN_IF_ERROR(FeedLoyalty(txn, event.phone, contact, event.id));
    }

    Object::Ptr fields = NewObject();
    Object::Ptr values = NewObject();
    values->set("orders", contact.orders);
    values->set("lifetime_value_minor", contact.lifetime_value_minor);
    values->set("average_order_minor", contact.lifetime_value_minor / contact.orders);
    values->set("preferred_location", contact.last_store);
    fields->set("fields", values);
    auto updated = txn.AddChange("customer.updated", event.phone, txn.now(), Json(fields), "");
    if (!updated.ok()) return updated.status();
    TB_RETURN_IF_ERROR(txn.AddEffect(event.id, "customer_fields"));

    if (contact.lifetime_value_minor >= kVipLifetimeMinor &&
        contact.segments_json.find("\"vip\"") == std::string::npos) {
      contact.segments_json = "[\"vip\"]";
      Object::Ptr segments = NewObject();
      Array::Ptr list = new Array();
      list->add("vip");
      segments->set("segments", list);
      auto segment = txn.AddChange("segments.updated", event.phone, txn.now(), Json(segments), "");
      if (!segment.ok()) return segment.status();
      TB_RETURN_IF_ERROR(txn.AddEffect(event.id, "segments"));
    }
  }
  return txn.PutContact(contact);
}

Status CloudRules::OnLoyaltyAccrued(CloudTxn& txn, const ValidEvent& event,
                                    std::vector<std::string>* log) const {
  auto loaded = txn.GetContact(event.phone);
  if (!loaded.ok()) return loaded.status();
  Contact contact = *loaded;
  const std::string previous_tier = contact.tier;
  // The POS keeps the loyalty account: its balance, when it reports one,
  // replaces the cloud's count. A POS may let a balance go below zero; the
  // cloud's tiers start at zero.
  const std::int64_t balance =
      event.loyalty_balance ? *event.loyalty_balance : contact.points + event.loyalty_points;
  contact.points = std::max<std::int64_t>(0, balance);
  contact.tier = Tier(contact.points);
  TB_RETURN_IF_ERROR(txn.PutContact(contact));
  TB_RETURN_IF_ERROR(FeedLoyalty(txn, event.phone, contact, event.id));

  const bool upgraded = TierRank(contact.tier) > TierRank(previous_tier);
  const std::string kind = upgraded ? "tier_upgrade" : "loyalty_balance";
  const bool marketing =
      (event.consent_marketing == "opted_in" || contact.marketing == "opted_in") &&
      contact.marketing != "opted_out";
  if (!marketing) {
    log->push_back("loyalty " + MaskPhone(event.phone) + (event.loyalty_points < 0 ? " " : " +") +
                   std::to_string(event.loyalty_points) + " points; " + kind +
                   " text refused: not opted in to marketing");
    return Status::Ok();
  }
  const std::string body =
      upgraded ? "Congratulations! You are now a " + contact.tier + " member at " + brand_ +
                     " with " + std::to_string(contact.points) + " points. Reply STOP to opt out."
               : "You earned " + std::to_string(event.loyalty_points) + " points at " + brand_ +
                     "; your balance is " + std::to_string(contact.points) +
                     " points. Reply STOP to opt out.";
  auto sent = Send(txn, event.phone, kind, body, event.id, log);
  if (!sent.ok()) return sent.status();
  return txn.AddEffect(event.id, kind + "_sms");
}

Status CloudRules::OnConsentEvent(CloudTxn& txn, const ValidEvent& event,
                                  const std::string& agent_id,
                                  std::vector<std::string>* log) const {
  auto loaded = txn.GetContact(event.phone);
  if (!loaded.ok()) return loaded.status();
  Contact contact = *loaded;
  if (!ApplyConsent(contact, event.consent_purpose, event.consent_state, event.occurred_at, true)) {
    return Status::Ok();
  }
  log->push_back("consent " + MaskPhone(event.phone) + " " + event.consent_purpose + " -> " +
                 event.consent_state + " (" + event.consent_method + ", from agent)");
  TB_RETURN_IF_ERROR(txn.PutContact(contact));
  // Other terminals of the store learn it through the feed; the sender
  // already knows and is skipped.
  auto relayed = AddConsentChange(txn, event.phone, {event.consent_purpose}, event.consent_state,
                                  event.consent_method, "", event.occurred_at, agent_id);
  if (!relayed.ok()) return relayed.status();
  TB_RETURN_IF_ERROR(txn.AddEffect(event.id, "consent_relay"));
  if (event.consent_state == "pending") {
    auto sent = Send(txn, event.phone, "double_opt_in_request",
                     brand_ + ": reply YES to confirm you want " + event.consent_purpose +
                         " texts. Msg & data rates may apply. Reply STOP to cancel.",
                     event.id, log);
    if (!sent.ok()) return sent.status();
    TB_RETURN_IF_ERROR(txn.AddEffect(event.id, "confirmation_request"));
  }
  return Status::Ok();
}

Result<CloudRules::InboundResult> CloudRules::OnInboundSms(CloudTxn& txn, const std::string& phone,
                                                           const std::string& text,
                                                           std::vector<std::string>* log) const {
  InboundResult result;
  result.keyword = KeywordOf(text);
  log->push_back("sms<- " + MaskPhone(phone) + " \"" + MaskPhonesInText(text.substr(0, 60)) + "\"" +
                 (result.keyword.empty() ? "" : " = " + result.keyword));
  auto loaded = txn.GetContact(phone);
  if (!loaded.ok()) return loaded.status();
  Contact contact = *loaded;
  const std::string cause = "sms:" + std::to_string(txn.now());
  std::vector<std::string> purposes;
  std::string state;
  std::string method = "sms_keyword";
  if (result.keyword == "STOP") {
    purposes = {"transactional", "marketing"};
    state = "opted_out";
    result.reply = brand_ +
                   ": you are unsubscribed and will get no more texts. Reply START to "
                   "resubscribe.";
  } else if (result.keyword == "START") {
    for (const char* purpose : {"transactional", "marketing"}) {
      if (StateOf(contact, purpose) == "opted_out") purposes.push_back(purpose);
    }
    if (purposes.empty()) purposes = {"transactional"};
    state = "opted_in";
    result.reply = brand_ + ": you are resubscribed. Reply STOP to opt out, HELP for help.";
  } else if (result.keyword == "YES") {
    for (const char* purpose : {"transactional", "marketing"}) {
      if (StateOf(contact, purpose) == "pending") purposes.push_back(purpose);
    }
    state = "opted_in";
    method = "double_opt_in_confirmation";
    result.reply = purposes.empty()
                       ? brand_ + ": there is nothing to confirm. Reply HELP for help."
                       : brand_ + ": thanks, you are confirmed. Reply STOP to opt out.";
  } else if (result.keyword == "HELP") {
    result.reply = brand_ +
                   ": texts about your purchases and offers. Msg & data rates may "
                   "apply. Reply STOP to opt out.";
  }
  for (const auto& purpose : purposes) ApplyConsent(contact, purpose, state, txn.now(), true);
  TB_RETURN_IF_ERROR(txn.PutContact(contact));
  if (!purposes.empty()) {
    auto change =
        AddConsentChange(txn, phone, purposes, state, method, result.keyword, txn.now(), "");
    if (!change.ok()) return change.status();
    result.changes.push_back(*change);
    std::string list;
    for (const auto& purpose : purposes) list += (list.empty() ? "" : ", ") + purpose;
    log->push_back("consent " + MaskPhone(phone) + " " + list + " -> " + state + " (SMS " +
                   result.keyword + ")");
  } else {
    Object::Ptr extra = NewObject();
    extra->set("keyword", result.keyword);
    auto change = AddEngagement(
        txn, phone, result.keyword == "HELP" ? "inbound_help" : "inbound_message", "", extra);
    if (!change.ok()) return change.status();
    result.changes.push_back(*change);
  }
  if (!result.reply.empty()) {
    auto sent = Send(txn, phone, "keyword_reply", result.reply, cause, log);
    if (!sent.ok()) return sent.status();
  }
  return result;
}

Result<std::int64_t> CloudRules::OnClick(CloudTxn& txn, const std::string& phone,
                                         const std::string& url, const std::string& campaign,
                                         std::vector<std::string>* log) const {
  Object::Ptr extra = NewObject();
  extra->set("url", url);
  log->push_back("click " + MaskPhone(phone) + " " + url);
  return AddEngagement(txn, phone, "click", campaign, extra);
}

}  // namespace tillbridge::refcloud
