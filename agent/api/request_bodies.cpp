#include "agent/api/request_bodies.h"

#include <algorithm>

#include "agent/api/object_reader.h"
#include "common/card_numbers.h"

namespace tillbridge::agent {
namespace {

constexpr std::int64_t kMaxMoneyMinor = 1'000'000'000'000'000;  // 10^15 minor units
// A POS's loyalty points: far above any real balance, far below overflow.
constexpr std::int64_t kMaxLoyaltyPoints = 1'000'000'000'000;
constexpr std::size_t kMaxLines = 500;
constexpr std::size_t kMaxPayments = 20;
constexpr std::size_t kMaxCoupons = 50;

std::optional<store::ConsentPurpose> ReadPurpose(ObjectReader& reader) {
  auto text = reader.String("purpose", Presence::kRequired, 32);
  if (!text) return std::nullopt;
  auto purpose = store::ParseConsentPurpose(*text);
  if (!purpose) reader.Fail("purpose", "must be \"transactional\" or \"marketing\"");
  return purpose;
}

std::optional<UnixMillis> ReadTime(ObjectReader& reader, std::string_view key, Presence presence) {
  auto text = reader.String(key, presence, 64);
  if (!text) return std::nullopt;
  auto millis = ParseRfc3339(*text);
  if (!millis.ok()) {
    reader.Fail(key, "must be an RFC 3339 time such as 2026-11-29T12:00:00.000Z (" +
                         millis.status().message() + ")");
    return std::nullopt;
  }
  // 2000-01-01 to 2099-12-31: anything else is a register clock or a
  // program that is wrong, and a receipt or consent time must be real.
  constexpr UnixMillis kEarliest = 946'684'800'000;
  constexpr UnixMillis kLatest = 4'102'444'800'000;
  if (*millis < kEarliest || *millis >= kLatest) {
    reader.Fail(key, "must be between 2000-01-01 and 2099-12-31, got " + *text);
    return std::nullopt;
  }
  return *millis;
}

// Refuses card numbers (common/card_numbers.h) in the fields a person types
// or that carry free text: a POS that sends one has a bug to fix, and
// nothing of the request is stored.
void CheckNoCard(ObjectReader& reader, std::string_view key,
                 const std::optional<std::string>& text) {
  if (text && ContainsCardNumber(*text)) {
    reader.Fail(key, "looks like a payment card number; card numbers must never be sent", 422);
  }
}

bool ReadLine(const JsonValue& item, std::size_t index, store::TransactionLine* line,
              std::optional<ApiError>* error) {
  const std::string name = "lines[" + std::to_string(index) + "]";
  if (item.type() != JsonValue::Type::kObject) {
    *error = ApiError{400, name, "must be an object"};
    return false;
  }
  ObjectReader reader(item, name);
  auto sku = reader.String("sku", Presence::kOptional, 64);
  CheckNoCard(reader, "sku", sku);
  auto description = reader.String("description", Presence::kOptional, 200);
  CheckNoCard(reader, "description", description);
  auto category = reader.String("category", Presence::kOptional, 64);
  CheckNoCard(reader, "category", category);
  auto quantity = reader.Int("quantity_milli", Presence::kOptional, -1'000'000'000, 1'000'000'000);
  auto unit_price =
      reader.Int("unit_price_minor", Presence::kOptional, -kMaxMoneyMinor, kMaxMoneyMinor);
  auto total = reader.Int("total_minor", Presence::kRequired, -kMaxMoneyMinor, kMaxMoneyMinor);
  if ((*error = reader.Finish())) return false;
  line->sku = sku.value_or("");
  line->description = description.value_or("");
  line->category = category.value_or("");
  line->quantity_milli = quantity.value_or(1000);
  line->unit_price_minor = unit_price.value_or(0);
  line->total_minor = *total;
  return true;
}

bool ReadPayment(const JsonValue& item, std::size_t index, store::Payment* payment,
                 std::optional<ApiError>* error) {
  const std::string name = "payments[" + std::to_string(index) + "]";
  if (item.type() != JsonValue::Type::kObject) {
    *error = ApiError{400, name, "must be an object"};
    return false;
  }
  ObjectReader reader(item, name);
  auto type = reader.String("type", Presence::kRequired, 32);
  CheckNoCard(reader, "type", type);
  auto amount = reader.Int("amount_minor", Presence::kRequired, -kMaxMoneyMinor, kMaxMoneyMinor);
  if ((*error = reader.Finish())) return false;
  payment->type = *type;
  payment->amount_minor = *amount;
  return true;
}

bool IsCurrencyCode(const std::string& code) {
  return code.size() == 3 &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace

const std::vector<std::string>& ConsentMethods() {
  static const std::vector<std::string> methods = {"customer_display", "keypad", "cashier_entry",
                                                   "paper_form"};
  return methods;
}

std::optional<ApiError> ParseConsentRequest(std::string_view body, ConsentRequest* out) {
  JsonValue object;
  if (auto error = ParseObjectBody(body, &object)) return error;
  ObjectReader reader(object);
  ConsentRequest request;
  auto phone = reader.String("phone", Presence::kRequired, 40);
  auto purpose = ReadPurpose(reader);
  auto granted = reader.Bool("granted", Presence::kRequired);
  auto method = reader.String("method", Presence::kRequired, 40);
  if (method && std::find(ConsentMethods().begin(), ConsentMethods().end(), *method) ==
                    ConsentMethods().end()) {
    std::string list;
    for (const auto& name : ConsentMethods()) list += (list.empty() ? "" : ", ") + name;
    reader.Fail("method", "must be one of: " + list);
  }
  request.disclosure_version = reader.String("disclosure_version", Presence::kOptional, 64);
  auto cashier = reader.String("cashier_id", Presence::kRequired, 64);
  CheckNoCard(reader, "cashier_id", cashier);
  request.occurred_at = ReadTime(reader, "occurred_at", Presence::kOptional);
  auto detail = reader.String("detail", Presence::kOptional, 500);
  CheckNoCard(reader, "detail", detail);
  if (auto error = reader.Finish()) return error;
  if (*granted && !request.disclosure_version) {
    return ApiError{400, "disclosure_version",
                    "is required when granted is true: name the disclosure version the customer "
                    "was shown (GET /v1/disclosures/current)"};
  }
  request.phone = *phone;
  request.purpose = *purpose;
  request.granted = *granted;
  request.method = *method;
  request.cashier_id = *cashier;
  request.detail = detail.value_or("");
  *out = std::move(request);
  return std::nullopt;
}

std::optional<ApiError> ParseDisclosureRequest(std::string_view body, DisclosureRequest* out) {
  JsonValue object;
  if (auto error = ParseObjectBody(body, &object)) return error;
  ObjectReader reader(object);
  auto purpose = ReadPurpose(reader);
  auto version = reader.String("version", Presence::kRequired, 64);
  CheckNoCard(reader, "version", version);
  auto text = reader.String("text", Presence::kRequired, 4000, TextKind::kMultiline);
  CheckNoCard(reader, "text", text);
  auto frequency = reader.String("frequency", Presence::kRequired, 200);
  CheckNoCard(reader, "frequency", frequency);
  if (auto error = reader.Finish()) return error;
  *out = DisclosureRequest{*purpose, *version, *text, *frequency};
  return std::nullopt;
}

std::optional<ApiError> ParseTransactionRequest(std::string_view body, TransactionRequest* out) {
  JsonValue object;
  if (auto error = ParseObjectBody(body, &object)) return error;
  ObjectReader reader(object);
  TransactionRequest request;
  store::Transaction& txn = request.transaction;
  txn.source = "api";
  // An id the POS generates is masked by the store, not refused: random
  // ids (UUIDs) look like a card number about once in two thousand.
  auto pos_id = reader.String("pos_id", Presence::kRequired, 128);
  auto revision = reader.Int("revision", Presence::kOptional, 1, 1'000'000'000'000);
  auto kind_text = reader.String("kind", Presence::kRequired, 16);
  std::optional<store::TransactionKind> kind;
  if (kind_text) {
    kind = store::ParseTransactionKind(*kind_text);
    if (!kind) reader.Fail("kind", "must be one of: sale, refund, void, abandoned");
  }
  auto occurred_at = ReadTime(reader, "occurred_at", Presence::kRequired);
  auto currency = reader.String("currency", Presence::kRequired, 3);
  if (currency && !IsCurrencyCode(*currency)) {
    reader.Fail("currency", "must be an ISO 4217 code of three capital letters, e.g. USD");
  }
  auto subtotal =
      reader.Int("subtotal_minor", Presence::kOptional, -kMaxMoneyMinor, kMaxMoneyMinor);
  auto tax = reader.Int("tax_minor", Presence::kOptional, -kMaxMoneyMinor, kMaxMoneyMinor);
  auto total = reader.Int("total_minor", Presence::kRequired, -kMaxMoneyMinor, kMaxMoneyMinor);
  auto cashier = reader.String("cashier_id", Presence::kOptional, 64);
  CheckNoCard(reader, "cashier_id", cashier);
  request.phone = reader.String("phone", Presence::kOptional, 40);
  auto loyalty = reader.String("loyalty_number", Presence::kOptional, 64);
  CheckNoCard(reader, "loyalty_number", loyalty);
  auto points_earned =
      reader.Int("loyalty_points_earned", Presence::kOptional, -kMaxLoyaltyPoints, kMaxLoyaltyPoints);
  auto points_balance =
      reader.Int("loyalty_balance", Presence::kOptional, -kMaxLoyaltyPoints, kMaxLoyaltyPoints);
  const JsonValue* coupons = reader.Array("coupon_codes", Presence::kOptional, kMaxCoupons);
  const JsonValue* lines = reader.Array("lines", Presence::kOptional, kMaxLines);
  const JsonValue* payments = reader.Array("payments", Presence::kOptional, kMaxPayments);
  if (auto error = reader.Finish()) return error;
  // Money going back to a customer is a refund; a sale below zero is a
  // mistake that would count as negative revenue.
  if (*kind == store::TransactionKind::kSale && *total < 0) {
    return ApiError{400, "total_minor",
                    "a sale's total must not be negative; send money returned to a customer as "
                    "kind \"refund\""};
  }

  if (coupons != nullptr) {
    for (std::size_t i = 0; i < coupons->items().size(); ++i) {
      const JsonValue& code = coupons->items()[i];
      const std::string name = "coupon_codes[" + std::to_string(i) + "]";
      if (code.type() != JsonValue::Type::kString || code.text().empty() ||
          code.text().size() > 64) {
        return ApiError{400, name, "must be a non-empty string of at most 64 bytes"};
      }
      if (ContainsCardNumber(code.text())) {
        return ApiError{422, name,
                        "looks like a payment card number; card numbers must never be sent"};
      }
      txn.coupon_codes.push_back(code.text());
    }
  }
  if (lines != nullptr) {
    for (std::size_t i = 0; i < lines->items().size(); ++i) {
      store::TransactionLine line;
      std::optional<ApiError> error;
      if (!ReadLine(lines->items()[i], i, &line, &error)) return error;
      txn.lines.push_back(std::move(line));
    }
  }
  if (payments != nullptr) {
    for (std::size_t i = 0; i < payments->items().size(); ++i) {
      store::Payment payment;
      std::optional<ApiError> error;
      if (!ReadPayment(payments->items()[i], i, &payment, &error)) return error;
      txn.payments.push_back(std::move(payment));
    }
  }
  txn.pos_id = *pos_id;
  txn.revision = revision.value_or(1);
  txn.kind = *kind;
  txn.occurred_at = *occurred_at;
  txn.currency = *currency;
  txn.subtotal_minor = subtotal.value_or(0);
  txn.tax_minor = tax.value_or(0);
  txn.loyalty_number = loyalty.value_or("");
  txn.loyalty_points_earned = points_earned;
  txn.loyalty_balance = points_balance;
  txn.total_minor = *total;
  txn.cashier = cashier.value_or("");
  *out = std::move(request);
  return std::nullopt;
}

std::optional<ApiError> ParseLoginRequest(std::string_view body, LoginRequest* out) {
  JsonValue object;
  if (auto error = ParseObjectBody(body, &object)) return error;
  ObjectReader reader(object);
  auto token = reader.String("token", Presence::kRequired, 256);
  if (auto error = reader.Finish()) return error;
  out->token = *token;
  return std::nullopt;
}

std::optional<ApiError> ParseManagerLoginRequest(std::string_view body, ManagerLoginRequest* out) {
  JsonValue object;
  if (auto error = ParseObjectBody(body, &object)) return error;
  ObjectReader reader(object);
  auto password = reader.String("password", Presence::kRequired, 1024);
  if (auto error = reader.Finish()) return error;
  out->password = *password;
  return std::nullopt;
}

}  // namespace tillbridge::agent
