// GET /v1/coupons/{code}: whether a coupon the cloud issued can be taken at
// the counter now, whatever the scanner typed for it (code, link or UPC).
// Works offline: coupons are synced into the store ahead.
#include <algorithm>

#include "agent/api/json.h"
#include "agent/api/route_context.h"
#include "common/coupon_scan.h"
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

// Links in QR codes can be long; anything longer is not a scan.
constexpr std::size_t kMaxScanLength = 2048;

}  // namespace

HttpResponse GetCoupon(ApiContext& context, const RouteCall& call) {
  // What a scanner typed: a code, a link holding it, or a UPC/EAN-13.
  const std::string& scanned = call.params.at(0);
  if (scanned.size() > kMaxScanLength) {
    return ErrorResponse(400, "code", "a scan has at most 2048 characters");
  }
  auto scan = ParseCouponScan(scanned);
  if (!scan.ok()) return ErrorResponse(400, "code", scan.status().message());
  if (scan->kind == CouponScan::Kind::kMisread) return ErrorResponse(422, "code", scan->value);
  const bool by_upc = scan->kind == CouponScan::Kind::kUpc;
  auto found = by_upc ? context.store.cloud_changes().CouponByUpc(scan->value)
                      : context.store.cloud_changes().Coupon(scan->value);
  if (!found.ok()) return StoreFailure(found.status(), "reading the coupon");
  if (!*found) {
    return ErrorResponse(
        404, "code",
        std::string(by_upc ? "no coupon with this UPC" : "no coupon with this code") +
            " is known to this store (a coupon issued in the last moments may "
            "not have synced yet)");
  }
  const store::CloudCoupon& coupon = **found;
  const store::CouponVerdict verdict = store::JudgeCoupon(coupon, context.clock.NowMillis());

  JsonWriter json;
  json.BeginObject();
  json.Key("code").String(coupon.code);
  json.Key("upc").OptionalString(coupon.upc.empty() ? std::nullopt
                                                    : std::optional<std::string>(coupon.upc));
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
