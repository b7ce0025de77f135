#include "sync/sync_api.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

#include "common/coupon_scan.h"
#include "common/log.h"

namespace tillbridge::sync {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Result<Object::Ptr> ParseObject(std::string_view body) {
  try {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var value = parser.parse(std::string(body));
    if (value.type() != typeid(Object::Ptr)) return Status::InvalidArgument("not a JSON object");
    return value.extract<Object::Ptr>();
  } catch (const Poco::Exception& error) {
    return Status::InvalidArgument("not JSON: " + error.displayText());
  }
}

std::string Stringify(const Poco::Dynamic::Var& value) {
  std::ostringstream out;
  if (value.type() == typeid(Object::Ptr)) {
    value.extract<Object::Ptr>()->stringify(out);
  } else if (value.type() == typeid(Array::Ptr)) {
    value.extract<Array::Ptr>()->stringify(out);
  } else {
    Poco::JSON::Stringifier::stringify(value, out);
  }
  return out.str();
}

// Field readers that explain what is wrong in the words of the document.
class Fields {
 public:
  Fields(Object::Ptr object, std::string where)
      : object_(std::move(object)), where_(std::move(where)) {}

  bool Has(const std::string& name) const { return object_->has(name) && !object_->isNull(name); }

  Result<std::string> Text(const std::string& name) const {
    if (!Has(name)) return Missing(name);
    Poco::Dynamic::Var value = object_->get(name);
    if (!value.isString()) return Wrong(name, "a string");
    return value.convert<std::string>();
  }
  std::string TextOr(const std::string& name, std::string fallback) const {
    auto text = Text(name);
    return text.ok() ? *text : fallback;
  }
  Result<std::int64_t> Int(const std::string& name) const {
    if (!Has(name)) return Missing(name);
    Poco::Dynamic::Var value = object_->get(name);
    if (!value.isInteger()) return Wrong(name, "a whole number");
    return value.convert<std::int64_t>();
  }
  Result<std::optional<std::int64_t>> OptionalInt(const std::string& name) const {
    if (!Has(name)) return std::optional<std::int64_t>();
    auto value = Int(name);
    if (!value.ok()) return value.status();
    return std::optional<std::int64_t>(*value);
  }
  Result<std::optional<UnixMillis>> OptionalTime(const std::string& name) const {
    if (!Has(name)) return std::optional<UnixMillis>();
    auto text = Text(name);
    if (!text.ok()) return text.status();
    auto parsed = ParseRfc3339(*text);
    if (!parsed.ok()) return Wrong(name, "an RFC 3339 time");
    return std::optional<UnixMillis>(*parsed);
  }
  Result<bool> BoolOr(const std::string& name, bool fallback) const {
    if (!Has(name)) return fallback;
    Poco::Dynamic::Var value = object_->get(name);
    if (!value.isBoolean()) return Wrong(name, "true or false");
    return value.convert<bool>();
  }
  Result<std::vector<std::string>> Strings(const std::string& name) const {
    if (!Has(name)) return Missing(name);
    Array::Ptr array = object_->getArray(name);
    if (!array) return Wrong(name, "an array of strings");
    std::vector<std::string> out;
    for (size_t i = 0; i < array->size(); ++i) {
      Poco::Dynamic::Var item = array->get(static_cast<unsigned>(i));
      if (!item.isString()) return Wrong(name, "an array of strings");
      out.push_back(item.convert<std::string>());
    }
    return out;
  }
  Result<Object::Ptr> ObjectField(const std::string& name) const {
    if (!Has(name)) return Missing(name);
    Object::Ptr object = object_->getObject(name);
    if (!object) return Wrong(name, "an object");
    return object;
  }

 private:
  Status Missing(const std::string& name) const {
    return Status::InvalidArgument(where_ + name + " is missing");
  }
  Status Wrong(const std::string& name, const std::string& expected) const {
    return Status::InvalidArgument(where_ + name + " must be " + expected);
  }

  Object::Ptr object_;
  std::string where_;
};

Result<store::CloudChangeData> ParseConsent(const Fields& data) {
  store::CloudConsentChange consent;
  auto purposes = data.Strings("purposes");
  if (!purposes.ok()) return purposes.status();
  for (const auto& name : *purposes) {
    auto purpose = store::ParseConsentPurpose(name);
    if (!purpose)
      return Status::InvalidArgument("data.purposes has unknown purpose '" + name + "'");
    consent.purposes.push_back(*purpose);
  }
  auto state_name = data.Text("state");
  if (!state_name.ok()) return state_name.status();
  auto state = store::ParseConsentState(*state_name);
  if (!state || *state == store::ConsentState::kNone) {
    return Status::InvalidArgument("data.state must be pending, opted_in or opted_out");
  }
  consent.state = *state;
  auto method = data.Text("method");
  if (!method.ok()) return method.status();
  consent.method = *method;
  consent.actor = data.TextOr("actor", "cloud");
  consent.keyword = data.TextOr("keyword", "");
  auto is_explicit = data.BoolOr("explicit", true);
  if (!is_explicit.ok()) return is_explicit.status();
  consent.is_explicit = *is_explicit;
  return store::CloudChangeData(consent);
}

Result<store::CloudChangeData> ParseCoupon(const Fields& data) {
  store::CloudCoupon coupon;
  auto code = data.Text("code");
  if (!code.ok()) return code.status();
  coupon.code = *code;
  coupon.description = data.TextOr("description", "");
  auto minor = data.OptionalInt("discount_minor");
  if (!minor.ok()) return minor.status();
  coupon.discount_minor = *minor;
  auto percent = data.OptionalInt("discount_percent");
  if (!percent.ok()) return percent.status();
  coupon.discount_percent = *percent;
  coupon.currency = data.TextOr("currency", "");
  auto from = data.OptionalTime("valid_from");
  if (!from.ok()) return from.status();
  coupon.valid_from = *from;
  auto until = data.OptionalTime("valid_until");
  if (!until.ok()) return until.status();
  coupon.valid_until = *until;
  auto max = data.OptionalInt("max_redemptions");
  if (!max.ok()) return max.status();
  coupon.max_redemptions = max->value_or(1);
  auto redeemed = data.OptionalInt("redeemed_count");
  if (!redeemed.ok()) return redeemed.status();
  coupon.redeemed_count = redeemed->value_or(0);
  // A barcode number the counter could never match is dropped, not the
  // coupon: the customer can still show the code.
  if (data.Has("upc")) {
    auto upc = data.Text("upc");
    std::optional<std::string> number;
    if (upc.ok()) number = NormalizeCouponUpc(*upc);
    if (number) {
      coupon.upc = *number;
    } else {
      LogWarning("sync", "coupon " + coupon.code +
                             ": ignored its upc, which is not a UPC-A or EAN-13 with a valid "
                             "check digit");
    }
  }
  return store::CloudChangeData(coupon);
}

Result<store::CloudChangeData> ParseEngagement(const Fields& data, const Object::Ptr& raw) {
  store::CloudEngagement engagement;
  auto kind = data.Text("kind");
  if (!kind.ok()) return kind.status();
  engagement.kind = *kind;
  engagement.campaign = data.TextOr("campaign", "");
  engagement.detail_json = Stringify(raw);
  return store::CloudChangeData(engagement);
}

Result<store::CloudChangeData> ParseLoyalty(const Fields& data) {
  store::CloudLoyalty loyalty;
  auto points = data.OptionalInt("points");
  if (!points.ok()) return points.status();
  loyalty.points = *points;
  if (data.Has("tier")) {
    auto tier = data.Text("tier");
    if (!tier.ok()) return tier.status();
    loyalty.tier = *tier;
  }
  return store::CloudChangeData(loyalty);
}

Result<store::CloudChangeData> ParseData(const std::string& type, const Object::Ptr& raw) {
  const Fields data(raw, "data.");
  if (type == "consent.changed") return ParseConsent(data);
  if (type == "coupon.issued") return ParseCoupon(data);
  if (type == "engagement.recorded") return ParseEngagement(data, raw);
  if (type == "loyalty.updated") return ParseLoyalty(data);
  if (type == "segments.updated") {
    auto segments = data.Strings("segments");
    if (!segments.ok()) return segments.status();
    return store::CloudChangeData(store::CloudSegments{*segments});
  }
  if (type == "customer.updated") {
    auto fields = data.ObjectField("fields");
    if (!fields.ok()) return fields.status();
    return store::CloudChangeData(store::CloudCustomerFields{Stringify(*fields)});
  }
  return Status::NotFound("unknown change type '" + type + "' (ignored)");
}

Result<store::CloudChange> ParseChange(const Object::Ptr& entry) {
  const Fields fields(entry, "");
  store::CloudChange change;
  auto id = fields.Text("id");
  if (!id.ok()) return id.status();
  change.change_id = *id;
  auto type = fields.Text("type");
  if (!type.ok()) return type.status();
  auto occurred = fields.OptionalTime("occurred_at");
  if (!occurred.ok()) return occurred.status();
  if (!*occurred) return Status::InvalidArgument("occurred_at is missing");
  change.occurred_at = **occurred;
  change.phone = fields.TextOr("phone", "");
  auto data = fields.ObjectField("data");
  if (!data.ok()) return data.status();
  auto parsed = ParseData(*type, *data);
  if (!parsed.ok()) return parsed.status();
  change.data = std::move(parsed).value();
  return change;
}

}  // namespace

std::string BuildPushBody(const std::vector<store::OutboxEvent>& events, std::string_view batch_id,
                          UnixMillis sent_at) {
  std::size_t size = 96 + batch_id.size();
  for (const auto& event : events) size += event.payload_json.size() + 1;
  std::string body;
  body.reserve(size);
  // batch_id is hex and sent_at RFC 3339: neither needs escaping.
  body += "{\"batch_id\":\"";
  body += batch_id;
  body += "\",\"sent_at\":\"";
  body += FormatRfc3339(sent_at);
  body += "\",\"events\":[";
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0) body += ',';
    body += events[i].payload_json;
  }
  body += "]}";
  return body;
}

Result<std::vector<EventResult>> ParsePushResponse(std::string_view body) {
  auto object = ParseObject(body);
  if (!object.ok()) return Status::InvalidArgument("push answer: " + object.status().message());
  Array::Ptr results = (*object)->getArray("results");
  if (!results) return Status::InvalidArgument("push answer has no results array");
  std::vector<EventResult> out;
  out.reserve(results->size());
  for (size_t i = 0; i < results->size(); ++i) {
    Object::Ptr entry = results->getObject(static_cast<unsigned>(i));
    if (!entry)
      return Status::InvalidArgument("push answer: results[" + std::to_string(i) +
                                     "] is not an object");
    const Fields fields(entry, "results[" + std::to_string(i) + "].");
    auto id = fields.Text("id");
    if (!id.ok()) return id.status();
    auto status = fields.Text("status");
    if (!status.ok()) return status.status();
    EventResult result;
    result.event_id = *id;
    if (*status == "accepted") {
      result.status = EventStatus::kAccepted;
    } else if (*status == "duplicate") {
      result.status = EventStatus::kDuplicate;
    } else if (*status == "rejected") {
      result.status = EventStatus::kRejected;
      Object::Ptr reason = entry->getObject("reason");
      if (reason) {
        const Fields why(reason, "");
        result.reason = why.TextOr("code", "rejected") + ": " + why.TextOr("message", "");
        if (why.Has("field")) result.reason += " (field " + why.TextOr("field", "") + ")";
      } else {
        result.reason = "rejected: no reason given";
      }
    } else {
      return Status::InvalidArgument("push answer: unknown status '" + *status + "' for event " +
                                     *id);
    }
    out.push_back(std::move(result));
  }
  return out;
}

std::string BuildRegistrationBody(const AgentInfo& agent) {
  Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  body->set("agent_id", agent.agent_id);
  body->set("store_id", agent.store_id);
  body->set("terminal_id", agent.terminal_id);
  body->set("agent_version", agent.agent_version);
  body->set("platform", agent.platform);
  body->set("started_at", FormatRfc3339(agent.started_at));
  std::ostringstream out;
  body->stringify(out);
  return out.str();
}

Result<ServerLimits> ParseRegistrationResponse(std::string_view body) {
  auto object = ParseObject(body);
  if (!object.ok())
    return Status::InvalidArgument("registration answer: " + object.status().message());
  ServerLimits limits;
  Object::Ptr raw = (*object)->getObject("limits");
  if (!raw) return limits;
  const Fields fields(raw, "limits.");
  auto events = fields.OptionalInt("max_batch_events");
  if (!events.ok()) return events.status();
  auto bytes = fields.OptionalInt("max_batch_bytes");
  if (!bytes.ok()) return bytes.status();
  auto wait = fields.OptionalInt("max_wait_seconds");
  if (!wait.ok()) return wait.status();
  limits.max_batch_events =
      static_cast<std::size_t>(std::max<std::int64_t>(0, events->value_or(0)));
  limits.max_batch_bytes = static_cast<std::size_t>(std::max<std::int64_t>(0, bytes->value_or(0)));
  limits.max_wait = std::chrono::seconds(std::max<std::int64_t>(0, wait->value_or(0)));
  return limits;
}

Result<ChangesPage> ParseChangesPage(std::string_view body) {
  auto object = ParseObject(body);
  if (!object.ok()) return Status::InvalidArgument("changes page: " + object.status().message());
  const Fields fields(*object, "");
  ChangesPage page;
  auto cursor = fields.Text("next_cursor");
  if (!cursor.ok() || cursor->empty()) {
    return Status::InvalidArgument("changes page has no next_cursor");
  }
  page.next_cursor = *cursor;
  auto more = fields.BoolOr("has_more", false);
  if (!more.ok()) return more.status();
  page.has_more = *more;
  Array::Ptr changes = (*object)->getArray("changes");
  if (!changes) return Status::InvalidArgument("changes page has no changes array");
  for (size_t i = 0; i < changes->size(); ++i) {
    Object::Ptr entry = changes->getObject(static_cast<unsigned>(i));
    if (!entry) {
      page.unusable.push_back("changes[" + std::to_string(i) + "] is not an object");
      continue;
    }
    auto change = ParseChange(entry);
    if (!change.ok()) {
      const std::string id = Fields(entry, "").TextOr("id", "changes[" + std::to_string(i) + "]");
      page.unusable.push_back(id + ": " + change.status().message());
      continue;
    }
    page.changes.push_back(std::move(change).value());
  }
  return page;
}

ApiError ParseApiError(std::string_view body) {
  ApiError error;
  auto object = ParseObject(body);
  if (!object.ok()) return error;
  Object::Ptr raw = (*object)->getObject("error");
  if (!raw) return error;
  const Fields fields(raw, "");
  error.code = fields.TextOr("code", "");
  error.message = fields.TextOr("message", "");
  return error;
}

}  // namespace tillbridge::sync
