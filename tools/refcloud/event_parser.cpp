#include "tools/refcloud/event_parser.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "tools/refcloud/json_view.h"

namespace tillbridge::refcloud {
namespace {

using Node = JsonView::Node;
using Kind = JsonView::Kind;

const std::set<std::string, std::less<>>& KnownTypes() {
  static const std::set<std::string, std::less<>> types = {
      "transaction.completed", "transaction.refunded", "transaction.voided", "basket.abandoned",
      "consent.changed",       "coupon.redeemed",      "loyalty.accrued"};
  return types;
}

bool IsState(const std::string& state) {
  return state == "none" || state == "pending" || state == "opted_in" || state == "opted_out";
}

// Reads fields of one event and records the first problem found.
class Checker {
 public:
  Checker(const JsonView& doc, Rejection* rejection) : doc_(doc), rejection_(rejection) {}
  bool failed() const { return failed_; }
  const JsonView& doc() const { return doc_; }

  void Fail(std::string code, std::string field, std::string message) {
    if (failed_) return;
    failed_ = true;
    *rejection_ = {std::move(code), std::move(field), std::move(message)};
  }

  const Node* Member(const Node* object, std::string_view name) const {
    return object == nullptr ? nullptr : doc_.Find(*object, name);
  }

  std::string Text(const Node* object, std::string_view name, const std::string& path,
                   bool required = true) {
    const Node* node = Member(object, name);
    if (JsonView::IsNull(node)) {
      if (required) Fail("invalid_field", path, path + " is missing");
      return "";
    }
    auto text = JsonView::String(*node);
    if (!text) {
      Fail("invalid_field", path, path + " must be a string");
      return "";
    }
    if (required && text->empty()) Fail("invalid_field", path, path + " must not be empty");
    return *text;
  }

  std::int64_t Int(const Node* object, std::string_view name, const std::string& path) {
    const Node* node = Member(object, name);
    if (JsonView::IsNull(node)) {
      Fail("invalid_field", path, path + " is missing");
      return 0;
    }
    auto value = JsonView::Int(*node);
    if (!value) {
      Fail("invalid_field", path, path + " must be a whole number (minor units)");
      return 0;
    }
    return *value;
  }

  const Node* Object(const Node* object, std::string_view name, const std::string& path,
                     bool required) {
    const Node* node = Member(object, name);
    if (JsonView::IsNull(node)) {
      if (required) Fail("invalid_field", path, path + " must be an object");
      return nullptr;
    }
    if (node->kind != Kind::kObject) {
      Fail("invalid_field", path, path + " must be an object");
      return nullptr;
    }
    return node;
  }

  std::string Phone(const Node* object, std::string_view name, const std::string& path,
                    bool required) {
    const std::string phone = Text(object, name, path, required);
    if (!phone.empty() && !IsE164(phone)) {
      Fail("invalid_field", path, path + " must be an E.164 phone number such as +14155550134");
    }
    return phone;
  }

 private:
  const JsonView& doc_;
  Rejection* rejection_;
  bool failed_ = false;
};

// The customer's consent states when the event happened, from the object
// `parent`.consent (absent: none).
void CheckConsentStates(Checker& check, const Node* parent, const std::string& path_prefix,
                        ValidEvent& event) {
  const Node* consent = check.Object(parent, "consent", path_prefix, false);
  if (consent == nullptr) return;
  for (const char* purpose : {"transactional", "marketing"}) {
    const std::string path = path_prefix + "." + purpose;
    std::string state = check.Text(consent, purpose, path, false);
    if (state.empty()) state = "none";
    if (!IsState(state)) check.Fail("invalid_field", path, path + " is not a consent state");
    (std::string(purpose) == "marketing" ? event.consent_marketing : event.consent_transactional) =
        state;
  }
}

std::string OptionalText(const Checker& check, const Node* object, std::string_view name) {
  const Node* node = check.Member(object, name);
  if (JsonView::IsNull(node)) return "";
  return JsonView::String(*node).value_or("");
}

// Lines, coupon codes and the refunded sale: optional extras the
// follow-up rules and the chain report read; never a reason to refuse.
void ReadSaleDetails(const Checker& check, const Node* payload, ValidEvent& event) {
  event.refund_of = OptionalText(check, payload, "refund_of");
  const Node* coupons = check.Member(payload, "coupon_codes");
  if (coupons != nullptr && coupons->kind == Kind::kArray) {
    for (const Node* code : check.doc().Children(*coupons)) {
      auto text = JsonView::String(*code);
      if (text && !text->empty()) event.coupon_codes.push_back(*text);
    }
  }
  const Node* lines = check.Member(payload, "lines");
  if (lines == nullptr || lines->kind != Kind::kArray) return;
  for (const Node* node : check.doc().Children(*lines)) {
    if (node->kind != Kind::kObject) continue;
    SaleLine line;
    line.sku = OptionalText(check, node, "sku");
    line.description = OptionalText(check, node, "description");
    line.category = OptionalText(check, node, "category");
    const Node* price = check.Member(node, "unit_price_minor");
    if (price != nullptr) line.unit_price_minor = JsonView::Int(*price).value_or(0);
    event.lines.push_back(std::move(line));
  }
}

void CheckTransaction(Checker& check, const Node* payload, ValidEvent& event) {
  event.pos_id = check.Text(payload, "pos_id", "payload.pos_id");
  event.currency = check.Text(payload, "currency", "payload.currency");
  if (!check.failed() &&
      (event.currency.size() != 3 || !std::all_of(event.currency.begin(), event.currency.end(),
                                                  [](char c) { return c >= 'A' && c <= 'Z'; }))) {
    check.Fail("invalid_field", "payload.currency",
               "payload.currency must be a 3-letter ISO 4217 code such as USD, got '" +
                   event.currency + "'");
  }
  event.total_minor = check.Int(payload, "total_minor", "payload.total_minor");
  event.pos_keeps_loyalty = !JsonView::IsNull(check.Member(payload, "loyalty_points_earned"));
  ReadSaleDetails(check, payload, event);
  const Node* customer = check.Object(payload, "customer", "payload.customer", false);
  if (customer == nullptr) return;
  event.phone = check.Phone(customer, "phone", "payload.customer.phone", false);
  CheckConsentStates(check, customer, "payload.customer.consent", event);
}

// Loyalty points the POS gave for a sale; the balance after it is optional
// (null when the POS does not report it).
void CheckLoyalty(Checker& check, const Node* payload, ValidEvent& event) {
  event.phone = check.Phone(payload, "phone", "payload.phone", true);
  event.loyalty_points = check.Int(payload, "points", "payload.points");
  if (!check.failed() && !JsonView::IsNull(check.Member(payload, "balance"))) {
    event.loyalty_balance = check.Int(payload, "balance", "payload.balance");
  }
  CheckConsentStates(check, payload, "payload.consent", event);
}

void CheckConsent(Checker& check, const Node* payload, ValidEvent& event) {
  event.phone = check.Phone(payload, "phone", "payload.phone", true);
  event.consent_purpose = check.Text(payload, "purpose", "payload.purpose");
  if (!check.failed() && event.consent_purpose != "transactional" &&
      event.consent_purpose != "marketing") {
    check.Fail("invalid_field", "payload.purpose",
               "payload.purpose must be transactional or marketing");
  }
  event.consent_state = check.Text(payload, "state", "payload.state");
  if (!check.failed() && (!IsState(event.consent_state) || event.consent_state == "none")) {
    check.Fail("invalid_field", "payload.state",
               "payload.state must be pending, opted_in or opted_out");
  }
  event.consent_method = check.Text(payload, "method", "payload.method");
}

std::optional<ValidEvent> CheckEvent(const JsonView& doc, const Node& node,
                                     const std::string* store_id, BatchItem& item) {
  Checker check(doc, &item.rejection);
  if (node.kind != Kind::kObject) {
    check.Fail("invalid_field", "", "an event must be a JSON object");
    return std::nullopt;
  }
  ValidEvent event;
  item.id = check.Text(&node, "id", "id");
  event.id = item.id;
  if (check.failed()) return std::nullopt;
  if (event.id.size() < 8 || event.id.size() > 128 ||
      !std::all_of(event.id.begin(), event.id.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':';
      })) {
    check.Fail("invalid_field", "id", "id must be 8-128 characters of letters, digits, _ - . :");
    return std::nullopt;
  }
  // Stored exactly as sent.
  event.document = std::string(node.raw);
  if (event.document.size() > kMaxEventBytes) {
    check.Fail("too_large", "",
               "the event is " + std::to_string(event.document.size()) + " bytes; the limit is " +
                   std::to_string(kMaxEventBytes));
    return std::nullopt;
  }
  event.type = check.Text(&node, "type", "type");
  if (!check.failed() && KnownTypes().count(event.type) == 0) {
    check.Fail("unknown_type", "type", "unknown event type '" + event.type + "'");
  }
  const std::string occurred = check.Text(&node, "occurred_at", "occurred_at");
  if (!check.failed()) {
    auto parsed = ParseRfc3339(occurred);
    if (!parsed.ok()) {
      check.Fail("invalid_field", "occurred_at",
                 "occurred_at must be an RFC 3339 time, got '" + occurred + "'");
    } else {
      event.occurred_at = *parsed;
    }
  }
  event.store_id = check.Text(&node, "store_id", "store_id");
  if (!check.failed() && store_id != nullptr && event.store_id != *store_id) {
    check.Fail("store_mismatch", "store_id",
               "store_id '" + event.store_id + "' is not the agent's store '" + *store_id + "'");
  }
  event.terminal_id = check.Text(&node, "terminal_id", "terminal_id");
  event.source = check.Text(&node, "source", "source");
  const Node* payload = check.Object(&node, "payload", "payload", true);
  if (check.failed()) return std::nullopt;
  if (event.type == "consent.changed") {
    CheckConsent(check, payload, event);
  } else if (event.type == "coupon.redeemed") {
    event.coupon_code = check.Text(payload, "code", "payload.code");
    event.phone = check.Phone(payload, "phone", "payload.phone", false);
    event.transaction_pos_id = OptionalText(check, payload, "transaction_pos_id");
  } else if (event.type == "loyalty.accrued") {
    CheckLoyalty(check, payload, event);
  } else {
    CheckTransaction(check, payload, event);
  }
  if (check.failed()) return std::nullopt;
  return event;
}

}  // namespace

bool IsE164(std::string_view phone) {
  if (phone.size() < 9 || phone.size() > 16 || phone[0] != '+' || phone[1] == '0') return false;
  return std::all_of(phone.begin() + 1, phone.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<std::vector<BatchItem>> ParseEventBatch(std::string_view body, const std::string& store_id) {
  auto doc = JsonView::Parse(body);
  if (!doc.ok()) return Status::InvalidArgument("the body is " + doc.status().message());
  if (doc->root().kind != Kind::kObject) {
    return Status::InvalidArgument("the body must be a JSON object with an events array");
  }
  const Node* events = doc->Find(doc->root(), "events");
  if (events == nullptr || events->kind != Kind::kArray) {
    return Status::InvalidArgument("the body has no events array");
  }
  std::vector<BatchItem> items(events->size);
  size_t i = 0;
  for (const Node* event : doc->Children(*events)) {
    items[i].event = CheckEvent(*doc, *event, &store_id, items[i]);
    ++i;
  }
  return items;
}

BatchItem ParseSingleEvent(std::string_view body) {
  BatchItem item;
  auto doc = JsonView::Parse(body);
  if (!doc.ok()) {
    item.rejection = {"invalid_json", "", "the body is " + doc.status().message()};
    return item;
  }
  item.event = CheckEvent(*doc, doc->root(), nullptr, item);
  return item;
}

}  // namespace tillbridge::refcloud
