// The customer profile the cashier page shows: when and how each consent was
// given, the coupons the customer holds that are valid now, and how fresh the
// cloud data is, read through the real HTTP API on a store with a manual clock.
#include "store/cloud_changes.h"
#include "store/sync_state.h"
#include "tests/agent/api/api_test_util.h"

namespace tillbridge::agent::testing {
namespace {

constexpr std::int64_t kDay = 86'400'000;

UnixMillis TimeOf(const char* rfc3339) {
  auto parsed = ParseRfc3339(rfc3339);
  REQUIRE(parsed.ok());
  return *parsed;
}

// Issues a 10%-off coupon to `phone` as the change feed would.
void Issue(store::Store& store, const std::string& phone, const std::string& code, UnixMillis from,
           UnixMillis until, std::int64_t redeemed = 0) {
  store::CloudCoupon coupon;
  coupon.code = code;
  coupon.description = "10% off " + code;
  coupon.discount_percent = 10;
  coupon.valid_from = from;
  coupon.valid_until = until;
  coupon.redeemed_count = redeemed;
  store::CloudChange change;
  change.change_id = "chg-" + code;
  change.occurred_at = from;
  change.phone = phone;
  change.data = coupon;
  auto applied = store.cloud_changes().ApplyPage({change}, "cursor-" + code);
  REQUIRE_MESSAGE(applied.ok(), applied.status().ToString());
}

const char* kSale = R"({"pos_id":"R-1","kind":"sale","occurred_at":"2026-11-30T09:00:00.000Z",
  "currency":"USD","total_minor":4250,"phone":"(415) 555-0134"})";

const char* kMarketing =
    R"({"phone":"4155550134","purpose":"marketing","granted":true,"method":"keypad",)"
    R"("disclosure_version":"1","cashier_id":"c-17"})";

}  // namespace

TEST_CASE("the profile says when and how each consent was given") {
  ManualClock clock(TimeOf("2026-12-01T12:00:00Z"));
  ApiFixture api(ApiFixture::TestOptions(), &clock);
  REQUIRE(api.Post("/v1/consents", kMarketing).status == 201);
  clock.Advance(std::chrono::minutes(5));

  const Reply profile = api.Get("/v1/customers/4155550134");
  REQUIRE_MESSAGE(profile.status == 200, profile.body);
  const JsonValue json = profile.Json();
  CHECK(At(json, "consent.marketing.state") == "opted_in");
  CHECK(At(json, "consent.marketing.since") == "2026-12-01T12:00:00.000Z");
  CHECK(At(json, "consent.marketing.method") == "keypad");
  CHECK(At(json, "consent.transactional.state") == "none");
  CHECK(At(json, "consent.transactional.since") == "null");
  CHECK(At(json, "consent.transactional.method") == "null");
}

TEST_CASE("the profile lists only the customer's coupons that are valid now") {
  const UnixMillis now = TimeOf("2026-12-01T12:00:00Z");
  ManualClock clock(now);
  ApiFixture api(ApiFixture::TestOptions(), &clock);
  REQUIRE(api.Post("/v1/transactions", kSale).status == 201);
  const std::string phone = "+14155550134";
  Issue(api.store(), phone, "TBLATEST", now - kDay, now + 7 * kDay);
  Issue(api.store(), phone, "TBSOONER", now - kDay, now + 2 * kDay);
  Issue(api.store(), phone, "TBEXPIRED", now - 3 * kDay, now - kDay);
  Issue(api.store(), phone, "TBNOTYET", now + kDay, now + 3 * kDay);
  Issue(api.store(), phone, "TBUSEDUP", now - kDay, now + kDay, 1);
  Issue(api.store(), "+12125550199", "TBSOMEONE", now - kDay, now + kDay);

  JsonValue json = api.Get("/v1/customers/4155550134").Json();
  CHECK(At(json, "coupons") == "<array:2>");
  CHECK(At(json, "coupons.0.code") == "TBSOONER");
  CHECK(At(json, "coupons.0.description") == "10% off TBSOONER");
  CHECK(At(json, "coupons.0.discount_percent") == "10");
  CHECK(At(json, "coupons.0.discount_minor") == "null");
  CHECK(At(json, "coupons.0.valid_until") == "2026-12-03T12:00:00.000Z");
  CHECK(At(json, "coupons.1.code") == "TBLATEST");

  // Two days on, the sooner one has expired and the later one is still good.
  clock.Advance(std::chrono::hours(48));
  json = api.Get("/v1/customers/4155550134").Json();
  CHECK(At(json, "coupons") == "<array:2>");
  CHECK(At(json, "coupons.0.code") == "TBNOTYET");
  CHECK(At(json, "coupons.1.code") == "TBLATEST");
}

TEST_CASE("a coupon alone does not make a number a known customer") {
  const UnixMillis now = TimeOf("2026-12-01T12:00:00Z");
  ManualClock clock(now);
  ApiFixture api(ApiFixture::TestOptions(), &clock);
  Issue(api.store(), "+14155550134", "TBLONELY", now - kDay, now + kDay);
  CHECK(api.Get("/v1/customers/4155550134").status == 404);
}

TEST_CASE("the profile says when the cloud data was last pulled, by the agent's clock") {
  const UnixMillis now = TimeOf("2026-12-01T12:00:00Z");
  ManualClock clock(now);
  ApiFixture api(ApiFixture::TestOptions(), &clock);
  REQUIRE(api.Post("/v1/transactions", kSale).status == 201);

  JsonValue json = api.Get("/v1/customers/4155550134").Json();
  CHECK(At(json, "cloud.last_pull_at") == "null");
  CHECK(At(json, "cloud.age_s") == "null");
  CHECK(At(json, "coupons") == "<array:0>");

  REQUIRE(api.store().sync_state().Set("cloud.last_pull_at", "2026-12-01T11:57:00.000Z").ok());
  json = api.Get("/v1/customers/4155550134").Json();
  CHECK(At(json, "cloud.last_pull_at") == "2026-12-01T11:57:00.000Z");
  CHECK(At(json, "cloud.age_s") == "180");

  clock.Advance(std::chrono::hours(2));
  CHECK(At(api.Get("/v1/customers/4155550134").Json(), "cloud.age_s") == "7380");

  // A value that is not a time reads as never pulled rather than failing.
  REQUIRE(api.store().sync_state().Set("cloud.last_pull_at", "soon").ok());
  json = api.Get("/v1/customers/4155550134").Json();
  CHECK(At(json, "cloud.last_pull_at") == "null");
}

}  // namespace tillbridge::agent::testing
