// Consent, disclosures, customers and transactions through the real HTTP
// API and the real store.
#include <cctype>

#include "store/cloud_changes.h"
#include "store/consent_ledger.h"
#include "store/customers.h"
#include "store/outbox.h"
#include "tests/agent/api/api_test_util.h"

namespace tillbridge::agent::testing {
namespace {

std::string ConsentBody(const std::string& phone, const std::string& purpose, bool granted,
                        const std::string& extra = "") {
  return R"({"phone":")" + phone + R"(","purpose":")" + purpose + R"(","granted":)" +
         (granted ? "true" : "false") + R"(,"method":"keypad","cashier_id":"c-17")" +
         (granted ? R"(,"disclosure_version":"1")" : "") + extra + "}";
}

std::int64_t OutboxCount(store::Store& store, const std::string& type) {
  auto due = store.outbox().Due(1000, 1 << 24);
  REQUIRE(due.ok());
  std::int64_t count = 0;
  for (const auto& event : *due) count += event.type == type ? 1 : 0;
  return count;
}

const char* kSale = R"({"pos_id":"R-1001","kind":"sale","occurred_at":"2026-11-29T12:00:00.000Z",
  "currency":"USD","subtotal_minor":1850,"tax_minor":149,"total_minor":1999,"cashier_id":"c-17",
  "phone":"(415) 555-0134","coupon_codes":["WELCOME10"],
  "lines":[{"sku":"SKU-1","description":"Coffee","quantity_milli":2000,"unit_price_minor":925,"total_minor":1850}],
  "payments":[{"type":"card","amount_minor":1999}]})";

}  // namespace

TEST_CASE("capture, look up, withdraw and read the history of a consent") {
  ApiFixture api;
  const Reply captured = api.Post("/v1/consents", ConsentBody("(415) 555-0134", "marketing", true));
  REQUIRE_MESSAGE(captured.status == 201, captured.body);
  const JsonValue result = captured.Json();
  CHECK(At(result, "phone") == "+14155550134");
  CHECK(At(result, "state") == "opted_in");
  CHECK(At(result, "may_text") == "true");
  CHECK(At(result, "changed") == "true");
  CHECK(At(result, "disclosure.version") == "1");
  CHECK(At(result, "disclosure.hash").size() == 64);

  const Reply state = api.Get("/v1/consents/%2B14155550134");
  REQUIRE(state.status == 200);
  CHECK(At(state.Json(), "consents.marketing.state") == "opted_in");
  CHECK(At(state.Json(), "consents.marketing.method") == "keypad");
  CHECK(At(state.Json(), "consents.marketing.actor") == "c-17");
  CHECK(At(state.Json(), "consents.transactional.state") == "none");
  CHECK(At(state.Json(), "consents.transactional.may_text") == "false");
  // The same number written the way a cashier types it.
  CHECK(At(api.Get("/v1/consents/%28415%29%20555-0134").Json(), "consents.marketing.state") ==
        "opted_in");

  const Reply withdrawn = api.Post("/v1/consents", ConsentBody("4155550134", "marketing", false));
  REQUIRE(withdrawn.status == 201);
  CHECK(At(withdrawn.Json(), "state") == "opted_out");
  CHECK(At(withdrawn.Json(), "disclosure") == "null");

  const Reply history = api.Get("/v1/consents/4155550134/history");
  REQUIRE(history.status == 200);
  const JsonValue rows = history.Json();
  CHECK(At(rows, "entries") == "<array:2>");
  CHECK(At(rows, "entries.0.state") == "opted_in");
  CHECK(At(rows, "entries.0.previous_state") == "none");
  CHECK(At(rows, "entries.0.disclosure.version") == "1");
  CHECK(At(rows, "entries.0.store_id") == "store-7");
  CHECK(At(rows, "entries.0.terminal_id") == "lane-3");
  CHECK(At(rows, "entries.1.state") == "opted_out");
  CHECK(At(rows, "entries.1.previous_state") == "opted_in");
  CHECK(At(rows, "entries.1.disclosure") == "null");
  CHECK(OutboxCount(api.store(), "consent.changed") == 2);
}

TEST_CASE("double opt-in leaves a captured consent pending") {
  ApiOptions options = ApiFixture::TestOptions();
  options.double_opt_in = true;
  ApiFixture api(options);
  const Reply captured = api.Post("/v1/consents", ConsentBody("4155550134", "transactional", true));
  REQUIRE(captured.status == 201);
  CHECK(At(captured.Json(), "state") == "pending");
  CHECK(At(captured.Json(), "awaiting_confirmation") == "true");
  CHECK(At(captured.Json(), "may_text") == "false");
  // Capturing again while pending changes nothing.
  const Reply again = api.Post("/v1/consents", ConsentBody("4155550134", "transactional", true));
  CHECK(again.status == 200);
  CHECK(At(again.Json(), "changed") == "false");
  CHECK(At(again.Json(), "note") == "already awaiting confirmation");
}

TEST_CASE("an opt-out is not lifted by an older opt-in") {
  ApiFixture api;
  REQUIRE(api.Post("/v1/consents", ConsentBody("4155550134", "marketing", false,
                                               R"(,"occurred_at":"2026-11-29T12:00:00Z")"))
              .status == 201);
  const Reply stale = api.Post(
      "/v1/consents",
      ConsentBody("4155550134", "marketing", true, R"(,"occurred_at":"2026-11-29T11:00:00Z")"));
  REQUIRE(stale.status == 200);
  CHECK(At(stale.Json(), "state") == "opted_out");
  CHECK(At(stale.Json(), "changed") == "false");
  CHECK(At(stale.Json(), "note").find("opt-out stands") != std::string::npos);
  // A newer, explicit opt-in does apply.
  const Reply fresh = api.Post("/v1/consents", ConsentBody("4155550134", "marketing", true));
  CHECK(At(fresh.Json(), "state") == "opted_in");
}

TEST_CASE("consent values the store cannot accept are 422 with the field") {
  ApiFixture api;
  const Reply unknown_version = api.Post(
      "/v1/consents",
      R"({"phone":"4155550134","purpose":"marketing","granted":true,"method":"keypad","cashier_id":"c-1","disclosure_version":"9"})");
  CHECK(unknown_version.status == 422);
  CHECK(At(unknown_version.Json(), "error.field") == "disclosure_version");
  CHECK(At(unknown_version.Json(), "error.reason").find("current one is '1'") != std::string::npos);
  const Reply future = api.Post(
      "/v1/consents",
      ConsentBody("4155550134", "marketing", true, R"(,"occurred_at":"2099-01-01T00:00:00Z")"));
  CHECK(future.status == 422);
  CHECK(At(future.Json(), "error.field") == "occurred_at");
  auto rows = api.store().consents().History("+14155550134");
  REQUIRE(rows.ok());
  CHECK(rows->empty());
}

TEST_CASE("Idempotency-Key replays the first response and refuses a different body") {
  ApiFixture api;
  const std::string body = ConsentBody("4155550134", "transactional", true);
  const Reply first = api.Post("/v1/consents", body, {{"Idempotency-Key", "pos-lane3-000017"}});
  REQUIRE(first.status == 201);
  CHECK(first.Header("idempotent-replayed").empty());
  // Meanwhile the customer withdrew; the replay must still be the original answer.
  REQUIRE(api.Post("/v1/consents", ConsentBody("4155550134", "transactional", false)).status ==
          201);
  const Reply replay = api.Post("/v1/consents", body, {{"Idempotency-Key", "pos-lane3-000017"}});
  CHECK(replay.status == 201);
  CHECK(replay.body == first.body);
  CHECK(replay.Header("idempotent-replayed") == "true");
  auto rows = api.store().consents().History("+14155550134");
  REQUIRE(rows.ok());
  CHECK(rows->size() == 2);

  const Reply conflict = api.Post("/v1/consents", ConsentBody("4155550134", "marketing", true),
                                  {{"Idempotency-Key", "pos-lane3-000017"}});
  CHECK(conflict.status == 422);
  CHECK(At(conflict.Json(), "error.field") == "Idempotency-Key");
  CHECK(At(conflict.Json(), "error.reason").find("different request") != std::string::npos);

  const Reply bad_key = api.Post("/v1/consents", body, {{"Idempotency-Key", "has space"}});
  CHECK(bad_key.status == 400);
  CHECK(At(bad_key.Json(), "error.field") == "Idempotency-Key");
  // Errors are replayed too: the same bad request gives the same answer.
  const std::string invalid = ConsentBody("555", "transactional", true);
  const Reply invalid_first = api.Post("/v1/consents", invalid, {{"Idempotency-Key", "k-2"}});
  CHECK(invalid_first.status == 400);
  CHECK(api.Post("/v1/consents", invalid, {{"Idempotency-Key", "k-2"}})
            .Header("idempotent-replayed") == "true");
}

TEST_CASE("disclosures: defaults at first start, new versions, kept forever") {
  ApiFixture api;
  const Reply current = api.Get("/v1/disclosures/current");
  REQUIRE(current.status == 200);
  CHECK(At(current.Json(), "marketing.version") == "1");
  CHECK(At(current.Json(), "marketing.text") == "Offers by text. Reply STOP to stop.");
  CHECK(At(current.Json(), "transactional.frequency") == "1 msg per purchase");

  const std::string v2 =
      R"({"purpose":"marketing","version":"2","text":"Deals, coupons and news by text.\nReply STOP to stop.","frequency":"Up to 6 msgs/month"})";
  const Reply installed = api.Post("/v1/disclosures", v2);
  REQUIRE_MESSAGE(installed.status == 201, installed.body);
  CHECK(At(installed.Json(), "version") == "2");
  CHECK(api.Post("/v1/disclosures", v2).status == 200);
  const Reply changed =
      api.Post("/v1/disclosures",
               R"({"purpose":"marketing","version":"2","text":"Other words","frequency":"f"})");
  CHECK(changed.status == 409);
  CHECK(At(changed.Json(), "error.field") == "version");
  CHECK(At(api.Get("/v1/disclosures/current").Json(), "marketing.version") == "2");
  CHECK(At(api.Get("/v1/disclosures").Json(), "disclosures") == "<array:3>");
  // A customer shown version 1 earlier can still be recorded against it.
  CHECK(api.Post("/v1/consents", ConsentBody("4155550134", "marketing", true)).status == 201);
}

TEST_CASE("a second start does not install the defaults again") {
  ApiOptions options = ApiFixture::TestOptions();
  ApiFixture api(options);
  REQUIRE(api.Post("/v1/disclosures",
                   R"({"purpose":"transactional","version":"7","text":"T","frequency":"F"})")
              .status == 201);
  options.transactional_disclosure.text = "Changed default text";
  PhoneNormalizer phones("US");
  api.server().Stop();
  auto again = ApiServer::Start(options, api.store(), phones);
  REQUIRE(again.ok());
  CHECK(At(Call((*again)->Port(), "GET", "/v1/disclosures/current", "", {Bearer()}).Json(),
           "transactional.version") == "7");
}

TEST_CASE("transactions pushed by a custom POS become outbox events once") {
  ApiFixture api;
  const Reply stored = api.Post("/v1/transactions", kSale);
  REQUIRE_MESSAGE(stored.status == 201, stored.body);
  CHECK(At(stored.Json(), "event_type") == "transaction.completed");
  CHECK(At(stored.Json(), "duplicate") == "false");
  CHECK(At(stored.Json(), "event_id") ==
        store::MakeEventId("store-7", "api", "R-1001", "transaction.completed", 1));
  const Reply again = api.Post("/v1/transactions", kSale);
  CHECK(again.status == 200);
  CHECK(At(again.Json(), "duplicate") == "true");
  CHECK(OutboxCount(api.store(), "transaction.completed") == 1);

  auto due = api.store().outbox().Due(10, 1 << 20);
  REQUIRE(due.ok());
  REQUIRE_FALSE(due->empty());
  const auto event = ParseJson(due->front().payload_json);
  REQUIRE(event.ok());
  CHECK(At(*event, "source") == "api");
  CHECK(At(*event, "payload.customer.phone") == "+14155550134");
  CHECK(At(*event, "payload.total_minor") == "1999");

  std::string revised = kSale;
  revised.replace(revised.find("\"kind\":\"sale\""), 13, "\"revision\":2,\"kind\":\"refund\"");
  const Reply refund = api.Post("/v1/transactions", revised);
  REQUIRE_MESSAGE(refund.status == 201, refund.body);
  CHECK(At(refund.Json(), "event_type") == "transaction.refunded");
  const Reply older = api.Post("/v1/transactions", kSale);
  CHECK(older.status == 409);
  CHECK(At(older.Json(), "error.field") == "revision");

  std::string bad_phone = kSale;
  bad_phone.replace(bad_phone.find("(415) 555-0134"), 14, "555");
  const Reply invalid = api.Post("/v1/transactions", bad_phone);
  CHECK(invalid.status == 400);
  CHECK(At(invalid.Json(), "error.field") == "phone");
}

TEST_CASE("the customer profile joins purchases, consent and cloud fields") {
  ApiFixture api;
  const Reply unknown = api.Get("/v1/customers/4155550134");
  CHECK(unknown.status == 404);
  CHECK(At(unknown.Json(), "error.field") == "phone");

  REQUIRE(api.Post("/v1/transactions", kSale).status == 201);
  std::string second = kSale;
  second.replace(second.find("R-1001"), 6, "R-1002");
  second.replace(second.find("\"total_minor\":1999"), 18, "\"total_minor\":1001");
  REQUIRE(api.Post("/v1/transactions", second).status == 201);
  REQUIRE(api.Post("/v1/consents", ConsentBody("4155550134", "transactional", true)).status == 201);
  store::CloudProfileUpdate update;
  update.phone = "+14155550134";
  update.loyalty_points = 420;
  update.loyalty_tier = "gold";
  update.segments_json = R"(["vip","coffee"])";
  update.cloud_fields_json = R"({"preferred_store_id":"store-2","birthday_month":5})";
  REQUIRE(api.store().customers().ApplyCloudProfile(update).ok());
  REQUIRE(*api.store().customers().AddEngagement(
      {"chg-1", "+14155550134", "click", "spring", 1'795'953'600'000, R"({"url":"https://x"})"}));

  const Reply profile = api.Get("/v1/customers/(415)%20555-0134");
  REQUIRE_MESSAGE(profile.status == 200, profile.body);
  const JsonValue json = profile.Json();
  CHECK(At(json, "phone") == "+14155550134");
  CHECK(At(json, "consent.transactional.state") == "opted_in");
  CHECK(At(json, "consent.marketing.state") == "none");
  CHECK(At(json, "purchases.count") == "2");
  CHECK(At(json, "purchases.lifetime_value_minor") == "3000");
  CHECK(At(json, "purchases.average_order_minor") == "1500");
  CHECK(At(json, "purchases.currency") == "USD");
  CHECK(At(json, "purchases.last_purchase_at") == "2026-11-29T12:00:00.000Z");
  CHECK(At(json, "purchases.preferred_store_id") == "store-2");
  CHECK(At(json, "loyalty.points") == "420");
  CHECK(At(json, "loyalty.tier") == "gold");
  CHECK(At(json, "segments.0") == "vip");
  CHECK(At(json, "engagement.counts.click") == "1");
  CHECK(At(json, "engagement.recent.0.detail.url") == "https://x");
  CHECK(At(json, "cloud_fields.birthday_month") == "5");
}

TEST_CASE("a cashier checks a coupon the cloud issued; a sale that takes it uses it up") {
  ApiFixture api;
  const UnixMillis now = SystemClock::Instance().NowMillis();
  const auto issue = [&](const std::string& code, UnixMillis from, UnixMillis until) {
    store::CloudCoupon coupon;
    coupon.code = code;
    coupon.description = "10% off your next purchase";
    coupon.discount_percent = 10;
    coupon.valid_from = from;
    coupon.valid_until = until;
    store::CloudChange change;
    change.change_id = "chg-" + code;
    change.occurred_at = from;
    change.phone = "+14155550134";
    change.data = coupon;
    REQUIRE(api.store().cloud_changes().ApplyPage({change}, "c-" + code).ok());
  };
  issue("TBVALID1", now - 60'000, now + 86'400'000);
  issue("TBLATER1", now + 86'400'000, now + 2 * 86'400'000);
  issue("TBOLD001", now - 2 * 86'400'000, now - 86'400'000);

  const Reply valid = api.Get("/v1/coupons/tbvalid1");  // typed in lower case
  REQUIRE_MESSAGE(valid.status == 200, valid.body);
  CHECK(At(valid.Json(), "code") == "TBVALID1");
  CHECK(At(valid.Json(), "valid") == "true");
  CHECK(At(valid.Json(), "status") == "valid");
  CHECK(At(valid.Json(), "discount_percent") == "10");
  CHECK(At(valid.Json(), "discount_minor") == "null");
  CHECK(At(valid.Json(), "redemptions_left") == "1");
  CHECK(At(valid.Json(), "reason") == "<missing>");

  CHECK(At(api.Get("/v1/coupons/TBLATER1").Json(), "status") == "not_yet_valid");
  const Reply expired = api.Get("/v1/coupons/TBOLD001");
  CHECK(At(expired.Json(), "valid") == "false");
  CHECK(At(expired.Json(), "status") == "expired");
  CHECK(At(expired.Json(), "reason") == "this coupon has expired");

  const Reply unknown = api.Get("/v1/coupons/NOPE");
  CHECK(unknown.status == 404);
  CHECK(At(unknown.Json(), "error.field") == "code");
  CHECK(api.Get("/v1/coupons/" + std::string(65, 'A')).status == 400);

  std::string sale = kSale;
  sale.replace(sale.find("WELCOME10"), 9, "TBVALID1");
  REQUIRE(api.Post("/v1/transactions", sale).status == 201);
  const Reply used = api.Get("/v1/coupons/TBVALID1");
  CHECK(At(used.Json(), "status") == "used_up");
  CHECK(At(used.Json(), "redemptions_left") == "0");
  auto due = api.store().outbox().Due(10, 1 << 20);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 2);
  CHECK((*due)[1].type == "coupon.redeemed");
}

namespace {

// What the cashier page sends for a scan: encodeURIComponent's escaping.
std::string EncodeSegment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

TEST_CASE("a scanned coupon is found by its code, a link holding it, or its UPC") {
  ApiFixture api;
  const UnixMillis now = SystemClock::Instance().NowMillis();
  store::CloudCoupon coupon;
  coupon.code = "TB99D92BD7";
  coupon.description = "10% off your next purchase";
  coupon.discount_percent = 10;
  coupon.valid_from = now - 60'000;
  coupon.valid_until = now + 86'400'000;
  coupon.upc = "036000291452";
  store::CloudChange change;
  change.change_id = "chg-scan";
  change.occurred_at = now - 60'000;
  change.phone = "+14155550134";
  change.data = coupon;
  REQUIRE(api.store().cloud_changes().ApplyPage({change}, "c-scan").ok());

  for (const std::string scanned :
       {"TB99D92BD7\r\n", "https://sms.example/c/TB99D92BD7",
        "https://sms.example/redeem?utm_source=sms&coupon=tb99d92bd7",
        "https://sms.example/c/TB99D92BD7?x=%20", " 036000291452 ", "0036000291452\r"}) {
    const Reply reply = api.Get("/v1/coupons/" + EncodeSegment(scanned));
    REQUIRE_MESSAGE(reply.status == 200, scanned, " -> ", reply.body);
    CHECK(At(reply.Json(), "code") == "TB99D92BD7");
    CHECK(At(reply.Json(), "upc") == "0036000291452");
    CHECK(At(reply.Json(), "status") == "valid");
  }

  const Reply wrong = api.Get("/v1/coupons/036000291457");
  CHECK(wrong.status == 422);
  CHECK(At(wrong.Json(), "error.field") == "code");
  CHECK(At(wrong.Json(), "error.reason") == "UPC check digit is 2, the scan ends in 7: scan again");
  const Reply short_scan = api.Get("/v1/coupons/36000291452");
  CHECK(short_scan.status == 422);
  CHECK(At(short_scan.Json(), "error.reason") ==
        "a UPC has 12 digits and an EAN-13 has 13; the scan has 11: scan again");
  CHECK(api.Get("/v1/coupons/" + EncodeSegment("https://sms.example/")).status == 422);

  const Reply unknown = api.Get("/v1/coupons/4006381333931");
  CHECK(unknown.status == 404);
  CHECK(At(unknown.Json(), "error.field") == "code");
  CHECK(api.Get("/v1/coupons/" + EncodeSegment("TB99 D92BD7")).status == 400);
  CHECK(api.Get("/v1/coupons/" + std::string(2049, 'A')).status == 400);

  // A sale that carries the UPC uses up the coupon it names.
  std::string sale = kSale;
  sale.replace(sale.find("WELCOME10"), 9, "036000291452");
  REQUIRE(api.Post("/v1/transactions", sale).status == 201);
  CHECK(At(api.Get("/v1/coupons/TB99D92BD7").Json(), "status") == "used_up");
  auto due = api.store().outbox().Due(10, 1 << 20);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 2);
  CHECK((*due)[1].type == "coupon.redeemed");
  CHECK((*due)[1].payload_json.find(R"("code":"TB99D92BD7")") != std::string::npos);
}

}  // namespace tillbridge::agent::testing
