#include "sync/sync_api.h"

#include <doctest/doctest.h>

using namespace tillbridge;
using namespace tillbridge::sync;

TEST_CASE("the push body carries each outbox document verbatim") {
  std::vector<store::OutboxEvent> events(2);
  events[0].event_id = "a";
  events[0].payload_json = R"({"id":"a","type":"transaction.completed","payload":{"x":"\u00e9"}})";
  events[1].event_id = "b";
  events[1].payload_json = R"({"id":"b","type":"consent.changed","payload":{}})";
  const std::string body = BuildPushBody(events, "0011aabb", 1'800'000'000'000);
  CHECK(body.find(events[0].payload_json + "," + events[1].payload_json) != std::string::npos);
  CHECK(body.rfind(R"({"batch_id":"0011aabb","sent_at":")", 0) == 0);
  CHECK(body.substr(body.size() - 2) == "]}");
  CHECK(BuildPushBody({}, "x", 0).find(R"("events":[])") != std::string::npos);
}

TEST_CASE("push results: accepted, duplicate, rejected with a reason") {
  auto results = ParsePushResponse(R"({"results":[
    {"id":"a","status":"accepted"},
    {"id":"b","status":"duplicate"},
    {"id":"c","status":"rejected","reason":{"code":"invalid_field","field":"payload.currency","message":"must be ISO 4217"}},
    {"id":"d","status":"rejected"}],"accepted":1})");
  REQUIRE(results.ok());
  REQUIRE(results->size() == 4);
  CHECK((*results)[0].status == EventStatus::kAccepted);
  CHECK((*results)[1].status == EventStatus::kDuplicate);
  CHECK((*results)[2].status == EventStatus::kRejected);
  CHECK((*results)[2].reason == "invalid_field: must be ISO 4217 (field payload.currency)");
  CHECK((*results)[3].reason == "rejected: no reason given");
}

TEST_CASE("unusable push answers are errors, never guessed") {
  CHECK_FALSE(ParsePushResponse("not json").ok());
  CHECK_FALSE(ParsePushResponse("[]").ok());
  CHECK_FALSE(ParsePushResponse(R"({"accepted":3})").ok());
  CHECK_FALSE(ParsePushResponse(R"({"results":[{"id":"a","status":"maybe"}]})").ok());
  CHECK_FALSE(ParsePushResponse(R"({"results":[{"status":"accepted"}]})").ok());
  CHECK_FALSE(ParsePushResponse(R"({"results":[7]})").ok());
}

TEST_CASE("a coupon's UPC is read in its EAN-13 form; a bad one is dropped, not the coupon") {
  auto page = ParseChangesPage(R"({"next_cursor":"c1-3","has_more":false,"changes":[
    {"id":"chg_1","type":"coupon.issued","occurred_at":"2026-01-02T03:04:05Z","phone":null,
     "data":{"code":"TB1","discount_percent":10,"upc":"512345678900"}},
    {"id":"chg_2","type":"coupon.issued","occurred_at":"2026-01-02T03:04:05Z","phone":null,
     "data":{"code":"TB2","discount_percent":10,"upc":"512345678901"}},
    {"id":"chg_3","type":"coupon.issued","occurred_at":"2026-01-02T03:04:05Z","phone":null,
     "data":{"code":"TB3","discount_percent":10,"upc":512345678900}}
  ]})");
  REQUIRE(page.ok());
  REQUIRE(page->changes.size() == 3);
  CHECK(std::get<store::CloudCoupon>(page->changes[0].data).upc == "0512345678900");
  CHECK(std::get<store::CloudCoupon>(page->changes[1].data).upc.empty());  // check digit
  CHECK(std::get<store::CloudCoupon>(page->changes[1].data).code == "TB2");
  CHECK(std::get<store::CloudCoupon>(page->changes[2].data).upc.empty());  // not a string
}

TEST_CASE("every change type is read into its typed form") {
  auto page = ParseChangesPage(R"({"next_cursor":"c1-9","has_more":true,"changes":[
    {"id":"chg_1","type":"consent.changed","occurred_at":"2026-01-02T03:04:05.006Z","phone":"+14155550134",
     "data":{"purposes":["transactional","marketing"],"state":"opted_out","method":"sms_keyword","keyword":"STOP"}},
    {"id":"chg_2","type":"coupon.issued","occurred_at":"2026-01-02T03:04:05Z","phone":null,
     "data":{"code":"TB1","discount_percent":10,"valid_until":"2026-02-01T00:00:00Z","max_redemptions":2}},
    {"id":"chg_3","type":"engagement.recorded","occurred_at":"2026-01-02T03:04:05Z","phone":"+14155550134",
     "data":{"kind":"click","campaign":"spring","url":"https://x.example/y"}},
    {"id":"chg_4","type":"loyalty.updated","occurred_at":"2026-01-02T03:04:05Z","phone":"+14155550134","data":{"points":120,"tier":"silver"}},
    {"id":"chg_5","type":"segments.updated","occurred_at":"2026-01-02T03:04:05Z","phone":"+14155550134","data":{"segments":["vip","local"]}},
    {"id":"chg_6","type":"customer.updated","occurred_at":"2026-01-02T03:04:05Z","phone":"+14155550134","data":{"fields":{"orders":3}}}
  ]})");
  REQUIRE(page.ok());
  CHECK(page->next_cursor == "c1-9");
  CHECK(page->has_more);
  CHECK(page->unusable.empty());
  REQUIRE(page->changes.size() == 6);
  const auto& consent = std::get<store::CloudConsentChange>(page->changes[0].data);
  CHECK(consent.purposes.size() == 2);
  CHECK(consent.state == store::ConsentState::kOptedOut);
  CHECK(consent.keyword == "STOP");
  CHECK(consent.is_explicit);
  CHECK(page->changes[0].occurred_at == *ParseRfc3339("2026-01-02T03:04:05.006Z"));
  const auto& coupon = std::get<store::CloudCoupon>(page->changes[1].data);
  CHECK(page->changes[1].phone.empty());
  CHECK(coupon.discount_percent == std::optional<std::int64_t>(10));
  CHECK(coupon.max_redemptions == 2);
  CHECK(coupon.valid_until.has_value());
  const auto& engagement = std::get<store::CloudEngagement>(page->changes[2].data);
  CHECK(engagement.kind == "click");
  CHECK(engagement.detail_json.find("https://x.example/y") != std::string::npos);
  CHECK(std::get<store::CloudLoyalty>(page->changes[3].data).tier ==
        std::optional<std::string>("silver"));
  CHECK(std::get<store::CloudSegments>(page->changes[4].data).segments.size() == 2);
  CHECK(std::get<store::CloudCustomerFields>(page->changes[5].data).fields_json ==
        R"({"orders":3})");
}

TEST_CASE("unknown or malformed changes are set aside with a reason; the page still counts") {
  auto page = ParseChangesPage(R"({"next_cursor":"c1-3","changes":[
    {"id":"chg_1","type":"wallet.topped_up","occurred_at":"2026-01-02T03:04:05Z","phone":"+14155550134","data":{}},
    {"id":"chg_2","type":"consent.changed","occurred_at":"2026-01-02T03:04:05Z","phone":"+14155550134",
     "data":{"purposes":["everything"],"state":"opted_out","method":"sms_keyword"}},
    {"id":"chg_3","type":"loyalty.updated","occurred_at":"yesterday","phone":"+14155550134","data":{"points":1}},
    17,
    {"id":"chg_4","type":"loyalty.updated","occurred_at":"2026-01-02T03:04:05Z","phone":"+14155550134","data":{"points":"many"}},
    {"id":"chg_5","type":"segments.updated","occurred_at":"2026-01-02T03:04:05Z","phone":"+14155550134","data":{"segments":["vip"]}}
  ]})");
  REQUIRE(page.ok());
  REQUIRE(page->changes.size() == 1);
  CHECK(page->changes[0].change_id == "chg_5");
  REQUIRE(page->unusable.size() == 5);
  CHECK(page->unusable[0].find("chg_1: unknown change type 'wallet.topped_up'") == 0);
  CHECK(page->unusable[1].find("chg_2: data.purposes has unknown purpose") == 0);
  CHECK(page->unusable[2].find("chg_3: occurred_at") == 0);
  CHECK(page->unusable[3] == "changes[3] is not an object");
  CHECK(page->unusable[4].find("chg_4: data.points must be a whole number") == 0);
}

TEST_CASE("a page without a cursor is not a page") {
  CHECK_FALSE(ParseChangesPage(R"({"changes":[]})").ok());
  CHECK_FALSE(ParseChangesPage(R"({"changes":[],"next_cursor":""})").ok());
  CHECK_FALSE(ParseChangesPage(R"({"next_cursor":"c"})").ok());
  CHECK_FALSE(ParseChangesPage("<html>").ok());
}

TEST_CASE("registration limits and error documents") {
  auto limits = ParseRegistrationResponse(
      R"({"agent_id":"a","limits":{"max_batch_events":100,"max_batch_bytes":2048,"max_wait_seconds":30}})");
  REQUIRE(limits.ok());
  CHECK(limits->max_batch_events == 100);
  CHECK(limits->max_batch_bytes == 2048);
  CHECK(limits->max_wait == std::chrono::seconds(30));
  auto none = ParseRegistrationResponse(R"({"agent_id":"a"})");
  REQUIRE(none.ok());
  CHECK(none->max_batch_events == 0);
  CHECK_FALSE(ParseRegistrationResponse(R"({"limits":{"max_batch_events":"lots"}})").ok());

  auto error =
      ParseApiError(R"({"error":{"code":"agent_not_registered","message":"register first"}})");
  CHECK(error.code == "agent_not_registered");
  CHECK(error.message == "register first");
  CHECK(ParseApiError("Bad Gateway").code.empty());
}

TEST_CASE("the registration body names the agent") {
  AgentInfo agent{"agt_1", "store \"9\"", "lane-2", "0.1.0", "linux", 1'800'000'000'000};
  const std::string body = BuildRegistrationBody(agent);
  CHECK(body.find(R"("agent_id":"agt_1")") != std::string::npos);
  CHECK(body.find(R"("store_id":"store \"9\"")") != std::string::npos);
  CHECK(body.find(R"("started_at":"2027-01-15T08:00:00.000Z")") != std::string::npos);
}
