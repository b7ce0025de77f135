// GET /v1/coupons/{code}: whether a coupon the cloud issued can be taken at
// the counter now. Works offline: coupons are synced into the store ahead.
#include <algorithm>

#include "agent/api/json.h"
#include "agent/api/route_context.h"
#include "store/cloud_changes.h"

namespace tillbridge::agent {
namespace {

// Why a coupon cannot be taken, in words a cashier can repeat.
std::string_view Explain(store::CouponVerdict verdict) {
  switch (verdict) {
    case store::CouponVerdict::kValid:
      return "";
    case store::CouponVerdict::kNotYetValid:
      return "this coupon is not valid yet";
    case store::CouponVerdict::kExpired:
      return "this coupon has expired";
    case store::CouponVerdict::kUsedUp:
      return "this coupon has already been used as often as it allows";
  }
  return "";
}

}  // namespace

HttpResponse GetCoupon(ApiContext& context, const RouteCall& call) {
  const std::string& code = call.params.at(0);
  if (code.empty() || code.size() > 64) {
    return ErrorResponse(400, "code", "a coupon code has 1 to 64 characters");
  }
  auto found = context.store.cloud_changes().Coupon(code);
  if (!found.ok()) return StoreFailure(found.status(), "reading the coupon");
  if (!*found) {
    return ErrorResponse(404, "code",
                         "no coupon with this code is known to this store (a coupon issued in "
                         "the last moments may not have synced yet)");
  }
  const store::CloudCoupon& coupon = **found;
  const store::CouponVerdict verdict = store::JudgeCoupon(coupon, context.clock.NowMillis());

  JsonWriter json;
  json.BeginObject();
  json.Key("code").String(coupon.code);
  json.Key("valid").Bool(verdict == store::CouponVerdict::kValid);
  json.Key("status").String(store::CouponVerdictName(verdict));
  if (verdict != store::CouponVerdict::kValid) json.Key("reason").String(Explain(verdict));
  json.Key("description").String(coupon.description);
  json.Key("discount_percent").OptionalInt(coupon.discount_percent);
  json.Key("discount_minor").OptionalInt(coupon.discount_minor);
  json.Key("currency")
      .OptionalString(coupon.currency.empty() ? std::nullopt
                                              : std::optional<std::string>(coupon.currency));
  json.Key("valid_from")
      .OptionalString(coupon.valid_from
                          ? std::optional<std::string>(FormatRfc3339(*coupon.valid_from))
                          : std::nullopt);
  json.Key("valid_until")
      .OptionalString(coupon.valid_until
                          ? std::optional<std::string>(FormatRfc3339(*coupon.valid_until))
                          : std::nullopt);
  json.Key("redemptions_left")
      .Int(std::max<std::int64_t>(0, coupon.max_redemptions - coupon.redeemed_count));
  json.EndObject();
  return JsonResponse(200, json.Take());
}

}  // namespace tillbridge::agent
