// GET /v1/customers/{phone}: consent, purchase statistics, and what the
// cloud sent back (loyalty, segments, engagement, customer fields, coupons),
// with how fresh that cloud data is.
#include <algorithm>

#include "agent/api/json.h"
#include "agent/api/route_context.h"
#include "store/consent_ledger.h"
#include "store/customers.h"

namespace tillbridge::agent {
namespace {

// Stored JSON comes from the cloud; re-check it so one bad row cannot make
// the whole response invalid.
std::string SafeJson(const std::string& stored, JsonValue::Type expected, const char* fallback) {
  auto parsed = ParseJson(stored);
  if (!parsed.ok() || parsed->type() != expected) return fallback;
  return stored;
}

std::optional<std::string> PreferredStore(const store::CustomerProfile& profile) {
  auto fields = ParseJson(profile.cloud_fields_json);
  if (fields.ok()) {
    const JsonValue* preferred = fields->Find("preferred_store_id");
    if (preferred != nullptr && preferred->type() == JsonValue::Type::kString) {
      return preferred->text();
    }
  }
  if (profile.last_store_id.empty()) return std::nullopt;
  return profile.last_store_id;
}

std::optional<std::string> Time(const std::optional<UnixMillis>& millis) {
  if (!millis) return std::nullopt;
  return FormatRfc3339(*millis);
}

// Whole seconds from `since` to `now`; a clock set back reads as 0.
std::optional<std::int64_t> AgeSeconds(const std::optional<UnixMillis>& since, UnixMillis now) {
  if (!since) return std::nullopt;
  return std::max<std::int64_t>(0, (now - *since) / 1000);
}

}  // namespace

HttpResponse GetCustomer(ApiContext& context, const RouteCall& call) {
  std::string phone;
  if (auto error = NormalizePhone(context, call.params.at(0), "phone", &phone)) {
    return ErrorResponse(*error);
  }
  auto found = context.store.customers().Find(phone);
  if (!found.ok()) return StoreFailure(found.status(), "reading the customer profile");
  if (!*found) {
    return ErrorResponse(404, "phone", "no customer with this number is known to this store");
  }
  const store::CustomerProfile& profile = **found;
  auto consent = context.store.consents().Current(phone);
  if (!consent.ok()) return StoreFailure(consent.status(), "reading consent");

  JsonWriter json;
  json.BeginObject();
  json.Key("phone").String(phone);
  json.Key("consent").BeginObject();
  for (const auto& record : *consent) {
    json.Key(store::ConsentPurposeName(record.purpose)).BeginObject();
    json.Key("state").String(store::ConsentStateName(record.state));
    json.Key("may_text").Bool(record.state == store::ConsentState::kOptedIn);
    const bool recorded = record.state != store::ConsentState::kNone;
    json.Key("since").OptionalString(recorded ? Time(record.changed_at) : std::nullopt);
    json.Key("method").OptionalString(recorded ? std::optional<std::string>(record.method)
                                               : std::nullopt);
    json.EndObject();
  }
  json.EndObject();

  json.Key("purchases").BeginObject();
  json.Key("count").Int(profile.purchase_count);
  json.Key("lifetime_value_minor").Int(profile.lifetime_value_minor);
  json.Key("average_order_minor")
      .OptionalInt(
          profile.purchase_count > 0
              ? std::optional<std::int64_t>(profile.lifetime_value_minor / profile.purchase_count)
              : std::nullopt);
  json.Key("currency")
      .OptionalString(profile.currency.empty() ? std::nullopt
                                               : std::optional<std::string>(profile.currency));
  json.Key("first_seen_at")
      .OptionalString(profile.has_contact ? Time(profile.first_seen_at) : std::nullopt);
  json.Key("last_purchase_at").OptionalString(Time(profile.last_purchase_at));
  json.Key("preferred_store_id").OptionalString(PreferredStore(profile));
  json.EndObject();

  json.Key("loyalty").BeginObject();
  json.Key("points").OptionalInt(profile.loyalty_points);
  json.Key("tier").OptionalString(profile.loyalty_tier);
  json.Key("numbers").BeginArray();
  for (const auto& number : profile.loyalty_numbers) json.String(number);
  json.EndArray();
  json.EndObject();
  json.Key("segments").Raw(SafeJson(profile.segments_json, JsonValue::Type::kArray, "[]"));

  json.Key("engagement").BeginObject();
  json.Key("counts").BeginObject();
  for (const auto& [kind, count] : profile.engagement_counts) json.Key(kind).Int(count);
  json.EndObject();
  json.Key("last_at").OptionalString(Time(profile.last_engagement_at));
  json.Key("recent").BeginArray();
  for (const auto& event : profile.recent_engagement) {
    json.BeginObject();
    json.Key("kind").String(event.kind);
    json.Key("campaign").String(event.campaign);
    json.Key("occurred_at").String(FormatRfc3339(event.occurred_at));
    json.Key("detail").Raw(SafeJson(event.detail_json, JsonValue::Type::kObject, "{}"));
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  json.Key("cloud_fields").Raw(SafeJson(profile.cloud_fields_json, JsonValue::Type::kObject, "{}"));

  json.Key("coupons").BeginArray();
  for (const auto& coupon : profile.valid_coupons) {
    json.BeginObject();
    json.Key("code").String(coupon.code);
    json.Key("description").String(coupon.description);
    json.Key("discount_minor").OptionalInt(coupon.discount_minor);
    json.Key("discount_percent").OptionalInt(coupon.discount_percent);
    json.Key("currency")
        .OptionalString(coupon.discount_minor ? std::optional<std::string>(coupon.currency)
                                              : std::nullopt);
    json.Key("valid_until").OptionalString(Time(coupon.valid_until));
    json.EndObject();
  }
  json.EndArray();

  // The age comes from the agent's clock so the page need not trust its own.
  json.Key("cloud").BeginObject();
  json.Key("last_pull_at").OptionalString(Time(profile.cloud_last_pull_at));
  json.Key("age_s").OptionalInt(AgeSeconds(profile.cloud_last_pull_at, context.clock.NowMillis()));
  json.EndObject();
  json.EndObject();
  return JsonResponse(200, json.Take());
}

}  // namespace tillbridge::agent
