// The reference cloud on its own: keyword rules, event checks, fault
// injection, and its answers to bad requests and bad command lines.
#include <doctest/doctest.h>

#include <thread>

#include "common/clock.h"
#include "common/coupon_scan.h"
#include "tests/sync/sync_test_util.h"
#include "tests/test_util.h"
#include "tools/refcloud/cloud_rules.h"
#include "tools/refcloud/event_parser.h"
#include "tools/refcloud/faults.h"
#include "tools/refcloud/json_view.h"

using namespace std::chrono_literals;
using namespace tillbridge;
using namespace tillbridge::refcloud;

namespace {

std::string Event(const std::string& id, const std::string& extra_payload = "",
                  const std::string& store = "store-1",
                  const std::string& type = "transaction.completed") {
  return R"({"id":")" + id + R"(","type":")" + type +
         R"(","occurred_at":"2026-11-29T12:00:00.000Z","store_id":")" + store +
         R"(","terminal_id":"t1","source":"pos","payload":{"pos_id":"7","currency":"USD","total_minor":1250)" +
         extra_payload + "}}";
}

}  // namespace

TEST_CASE("inbound keywords follow the carriers' list; only whole messages count") {
  for (const char* stop : {"STOP", " stop ", "StopAll", "unsubscribe", "CANCEL", "end", "Quit\n"}) {
    CAPTURE(stop);
    CHECK(KeywordOf(stop) == "STOP");
  }
  CHECK(KeywordOf("start") == "START");
  CHECK(KeywordOf("UNSTOP") == "START");
  CHECK(KeywordOf("Yes") == "YES");
  CHECK(KeywordOf("help") == "HELP");
  for (const char* other : {"", "stop please", "s t o p", "STOP!", "yes yes", "hello"}) {
    CAPTURE(other);
    CHECK(KeywordOf(other).empty());
  }
}

TEST_CASE("the JSON reader accepts JSON and nothing else") {
  auto doc = JsonView::Parse(
      R"( {"a": [1, -2.5e3, true, false, null, "x\"y\u00e9\ud83d\ude00"], "b": {"c": {}} , "n": -0} )");
  REQUIRE_MESSAGE(doc.ok(), doc.status().ToString());
  const auto* a = doc->Find(doc->root(), "a");
  REQUIRE(a != nullptr);
  auto items = doc->Children(*a);
  REQUIRE(items.size() == 6);
  CHECK(JsonView::Int(*items[0]) == std::optional<std::int64_t>(1));
  CHECK_FALSE(JsonView::Int(*items[1]).has_value());
  CHECK(items[1]->raw == "-2.5e3");
  CHECK(items[2]->kind == JsonView::Kind::kBool);
  CHECK(JsonView::IsNull(items[4]));
  CHECK(JsonView::String(*items[5]) == std::optional<std::string>("x\"y\u00e9\U0001F600"));
  CHECK(doc->Find(*doc->Find(doc->root(), "b"), "c")->kind == JsonView::Kind::kObject);
  CHECK(doc->Find(doc->root(), "missing") == nullptr);
  CHECK(JsonView::Int(*doc->Find(doc->root(), "n")) == std::optional<std::int64_t>(0));
  auto big = JsonView::Parse("99999999999999999999");
  REQUIRE(big.ok());
  CHECK_FALSE(JsonView::Int(big->root()).has_value());

  for (const char* bad :
       {"", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "01", "1.", "-", "tru", "\"\\x\"", "\"\\u12\"",
        "\"a\nb\"", "[1] 2", "{'a':1}", "nul", "[\"unterminated]"}) {
    CAPTURE(bad);
    auto parsed = JsonView::Parse(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().message().find("at byte") != std::string::npos);
  }
  std::string deep(200, '[');
  deep += std::string(200, ']');
  auto too_deep = JsonView::Parse(deep);
  REQUIRE_FALSE(too_deep.ok());
  CHECK(too_deep.status().message().find("nesting deeper than 64") != std::string::npos);
}

TEST_CASE("pushed events are checked one by one, with the field that is wrong") {
  const std::string body =
      "{\"events\":[" + Event("e0000001") + "," +
      Event("e0000002", ",\"customer\":{\"phone\":\"0415 555\"}") + "," +
      Event("e0000003", "", "store-2") + "," + Event("e0000004", "", "store-1", "sale.done") + "," +
      R"({"id":"x"})" + "," +
      Event("e0000006", ",\"x\":1").replace(Event("e0000006", ",\"x\":1").find("USD"), 3, "usd") +
      "," + "7" + "]}";
  auto items = ParseEventBatch(body, "store-1");
  REQUIRE(items.ok());
  REQUIRE(items->size() == 7);
  CHECK((*items)[0].event.has_value());
  CHECK((*items)[1].rejection.field == "payload.customer.phone");
  CHECK((*items)[2].rejection.code == "store_mismatch");
  CHECK((*items)[3].rejection.code == "unknown_type");
  CHECK((*items)[4].rejection.field == "id");
  CHECK((*items)[5].rejection.field == "payload.currency");
  CHECK((*items)[6].rejection.message.find("JSON object") != std::string::npos);
  CHECK_FALSE(ParseEventBatch("{\"events\":", "store-1").ok());
  CHECK_FALSE(ParseEventBatch(R"({"evts":[]})", "store-1").ok());
  CHECK_FALSE(ParseEventBatch("[]", "store-1").ok());
}

TEST_CASE("events are stored exactly as sent, even with brackets and quotes inside strings") {
  const std::string first =
      Event("e0000001", R"(,"cashier":"a \"quoted\" }] name","lines":[{"sku":"[x]"}])");
  const std::string second = Event("e0000002");
  const std::string body =
      "{ \"batch_id\" : \"events\", \"events\" : [ " + first + " ,\n " + second + " ] }";
  auto items = ParseEventBatch(body, "store-1");
  REQUIRE(items.ok());
  REQUIRE(items->size() == 2);
  REQUIRE((*items)[0].event.has_value());
  CHECK((*items)[0].event->document == first);
  CHECK((*items)[1].event->document == second);
}

TEST_CASE("fault rates come out as configured, and outage windows hold") {
  ManualClock clock(1'000'000);
  FaultInjector faults(11, clock);
  FaultSettings settings;
  settings.error_rate = 0.2;
  settings.throttle_rate = 0.1;
  settings.drop_rate = 0.3;
  faults.Set(settings);
  for (int i = 0; i < 20'000; ++i) faults.Decide();
  auto counts = faults.Counts();
  CHECK(counts["error"] > 3600);
  CHECK(counts["error"] < 4400);
  CHECK(counts["throttle"] > 1600);
  CHECK(counts["throttle"] < 2400);
  const auto drops = counts["drop_before"] + counts["drop_after"];
  CHECK(drops > 5600);
  CHECK(drops < 6400);
  CHECK(counts["drop_after"] > drops / 3);

  settings = {};
  settings.windows = {{1'000'500, 1'001'000}};
  faults.Set(settings);
  CHECK(faults.Decide().kind == FaultKind::kNone);
  clock.Set(1'000'500);
  CHECK(faults.Decide().kind == FaultKind::kOutage);
  clock.Set(1'001'000);
  CHECK(faults.Decide().kind == FaultKind::kNone);

  faults.NoteThrottled("agt/events", 1'002'000);
  clock.Set(1'001'500);
  faults.NoteRequest("agt/changes");  // another stream: not early
  faults.NoteRequest("agt/events");
  CHECK(faults.Counts()["early_retries"] == 1);
}

TEST_CASE("bad requests get specific errors") {
  testing::TempDir dir;
  testing::RefCloud::Options options;
  options.extra_args = {"--max-batch-events", "2", "--max-batch-bytes", "4096"};
  auto started = testing::RefCloud::Start(dir.path().string(), options);
  REQUIRE_MESSAGE(started.ok(), started.status().ToString());
  auto& cloud = **started;
  const auto api = [&](const std::string& method, const std::string& path, const std::string& body,
                       const std::string& token = "test-token",
                       const std::string& version = "1.0") {
    return cloud.Request(
        method, path, body,
        {{"Authorization", "Bearer " + token}, {"Tillbridge-Api-Version", version}});
  };
  CHECK(api("GET", "/v1/health", "", "wrong").status == 401);
  CHECK(cloud.Request("GET", "/v1/health", "", {}).status == 401);
  auto version = api("GET", "/v1/health", "", "test-token", "2.0");
  CHECK(version.status == 400);
  CHECK(version.json.Text("error.code") == "unsupported_version");
  CHECK(api("GET", "/v1/health", "").status == 200);
  auto early = api("POST", "/v1/agents/agt_t/events", "{\"events\":[]}");
  CHECK(early.status == 409);
  CHECK(early.json.Text("error.code") == "agent_not_registered");
  CHECK(api("PUT", "/v1/agents/agt_t", R"({"terminal_id":"t1"})").status == 422);
  REQUIRE(api("PUT", "/v1/agents/agt_t", R"({"store_id":"store-1","terminal_id":"t1"})").status ==
          200);
  auto garbage = api("POST", "/v1/agents/agt_t/events", "garbage");
  CHECK(garbage.status == 400);
  CHECK(garbage.json.Text("error.code") == "invalid_request");
  auto many = api("POST", "/v1/agents/agt_t/events",
                  "{\"events\":[" + Event("e0000001") + "," + Event("e0000002") + "," +
                      Event("e0000003") + "]}");
  CHECK(many.status == 413);
  CHECK(many.json.Text("error.code") == "too_many_events");
  auto big = api("POST", "/v1/agents/agt_t/events",
                 "{\"events\":[],\"pad\":\"" + std::string(5000, 'x') + "\"}");
  CHECK(big.status == 413);
  CHECK(big.json.Text("error.code") == "payload_too_large");
  auto cursor = api("GET", "/v1/agents/agt_t/changes?cursor=c1.beef.1", "");
  CHECK(cursor.status == 400);
  CHECK(cursor.json.Text("error.code") == "invalid_cursor");
  auto mismatch =
      cloud.Request("GET", "/v1/agents/agt_t/changes", "",
                    {{"Authorization", "Bearer test-token"}, {"Tillbridge-Agent-Id", "agt_other"}});
  CHECK(mismatch.status == 400);
  CHECK(mismatch.json.Text("error.code") == "agent_mismatch");
  CHECK(api("GET", "/admin/stats", "").status == 401);
  CHECK(api("DELETE", "/v1/agents/agt_t", "").status == 404);

  auto faults = cloud.Admin("PUT", "/admin/faults", R"({"error_rate":1.5})");
  CHECK(faults.status == 422);
  CHECK(faults.json.Text("error.message").find("between 0 and 1") != std::string::npos);
  CHECK(cloud.Admin("PUT", "/admin/faults", R"({"error_rate":0.6,"drop_rate":0.6})").status == 422);
  CHECK(cloud.Admin("PUT", "/admin/faults", "nope").status == 400);
  auto sms = cloud.Admin("POST", "/admin/inbound-sms", R"({"phone":"555-0134","text":"STOP"})");
  CHECK(sms.status == 422);
  CHECK(sms.json.Text("error.message").find("E.164") != std::string::npos);
  CHECK(cloud.Admin("POST", "/admin/inbound-sms", R"({"phone":"+14155550134"})").status == 422);
  CHECK(cloud.Admin("GET", "/admin/events/nope").status == 404);
  CHECK(cloud.Admin("GET", "/admin/nothing").status == 404);
  CHECK(cloud.Admin("POST", "/hooks/x", "{}").status == 404);  // no --webhook-secret

  // A STOP is logged with the phone masked.
  REQUIRE(cloud.Admin("POST", "/admin/inbound-sms", R"({"phone":"+14155550134","text":"STOP"})")
              .status == 200);
  const std::string log = cloud.process().Output();
  CHECK(log.find("+1******0134") != std::string::npos);
  CHECK(log.find("+14155550134") == std::string::npos);
}

TEST_CASE("loyalty.accrued sets the balance and texts marketing opt-ins only") {
  testing::TempDir dir;
  auto started = testing::RefCloud::Start(dir.path().string(), {});
  REQUIRE_MESSAGE(started.ok(), started.status().ToString());
  auto& cloud = **started;
  const auto push = [&](const std::string& events) {
    return cloud.Request(
        "POST", "/v1/agents/agt_l/events", "{\"events\":[" + events + "]}",
        {{"Authorization", "Bearer test-token"}, {"Tillbridge-Api-Version", "1.0"}});
  };
  REQUIRE(cloud
              .Request("PUT", "/v1/agents/agt_l", R"({"store_id":"store-1","terminal_id":"t1"})",
                       {{"Authorization", "Bearer test-token"}, {"Tillbridge-Api-Version", "1.0"}})
              .status == 200);
  const auto accrued = [](const std::string& id, const std::string& phone, int points,
                          const std::string& balance, const std::string& marketing) {
    return R"({"id":")" + id +
           R"(","type":"loyalty.accrued","occurred_at":"2026-11-29T12:00:00.000Z",)"
           R"("store_id":"store-1","terminal_id":"t1","source":"pos","payload":{"phone":")" +
           phone + R"(","points":)" + std::to_string(points) + R"(,"balance":)" + balance +
           R"(,"loyalty_number":null,"transaction_pos_id":"7","transaction_event_id":"e7",)"
           R"("consent":{"transactional":"opted_in","marketing":")" +
           marketing + R"("}}})";
  };
  const std::string member = "+14155550134";
  const std::string other = "+14155550177";
  // A member reaches silver (the POS's balance is taken as it is), then
  // earns points without a change of tier; the same event again does nothing.
  auto answer = push(accrued("l0000001", member, 30, "120", "opted_in") + "," +
                     accrued("l0000002", member, 12, "null", "opted_in") + "," +
                     accrued("l0000002", member, 12, "null", "opted_in") + "," +
                     accrued("l0000003", other, 600, "600", "opted_out"));
  REQUIRE(answer.status == 200);
  CHECK(answer.json.Int("accepted") == 3);
  CHECK(answer.json.Int("duplicates") == 1);

  auto texts = cloud.Admin("GET", "/admin/messages?phone=%2B14155550134").json.Array("messages");
  REQUIRE(texts.size() == 2);
  CHECK(texts[0].Text("kind") == "tier_upgrade");
  CHECK(texts[0].Text("body").find("silver") != std::string::npos);
  CHECK(texts[1].Text("kind") == "loyalty_balance");
  CHECK(texts[1].Text("body").find("132 points") != std::string::npos);
  auto contact = cloud.Admin("GET", "/admin/contacts/%2B14155550134").json;
  CHECK(contact.Int("points") == 132);
  CHECK(contact.Text("tier") == "silver");

  // Opted out of marketing: the balance is kept and fed back, no text.
  CHECK(cloud.Admin("GET", "/admin/messages?phone=%2B14155550177").json.Array("messages").empty());
  CHECK(cloud.Admin("GET", "/admin/contacts/%2B14155550177").json.Int("points") == 600);
  int loyalty_changes = 0;
  for (const auto& change : cloud.Admin("GET", "/admin/changes").json.Array("changes")) {
    if (change.Text("type") == "loyalty.updated") ++loyalty_changes;
  }
  CHECK(loyalty_changes == 3);
  CHECK(cloud.process().Output().find("text refused: not opted in to marketing") !=
        std::string::npos);
  CHECK(cloud.Stats().Int("effects_repeated") == 0);

  // A store that files balance notices as transactional: the customer who
  // refused marketing but takes transactional texts gets them.
  auto rules = cloud.Admin("GET", "/admin/rules");
  REQUIRE(rules.status == 200);
  std::string edited = rules.body;
  const auto balance_rule = edited.find(R"("id":"loyalty_balance")");
  REQUIRE(balance_rule != std::string::npos);
  const std::string marketing = R"("purpose":"marketing")";
  const auto purpose = edited.find(marketing, balance_rule);
  REQUIRE(purpose != std::string::npos);
  edited.replace(purpose, marketing.size(), R"("purpose":"transactional")");
  REQUIRE(cloud.Admin("PUT", "/admin/rules", edited).status == 200);
  REQUIRE(push(accrued("l0000004", other, 5, "605", "opted_out")).status == 200);
  auto notices = cloud.Admin("GET", "/admin/messages?phone=%2B14155550177").json.Array("messages");
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].Text("kind") == "loyalty_balance");
  CHECK(notices[0].Text("body").find("605 points") != std::string::npos);

  // A balance that is no whole number is named.
  auto items = ParseEventBatch(
      "{\"events\":[" + accrued("l0000009", member, 5, "\"many\"", "opted_in") + "]}", "store-1");
  REQUIRE(items.ok());
  CHECK((*items)[0].rejection.field == "payload.balance");
}

TEST_CASE("the command line: --help, bad flags and half a TLS setup") {
  testing::TempDir dir;
  const std::string binary = testing::BinaryPath("tools/refcloud/tillbridge-refcloud");
  auto help = testing::ChildProcess::Spawn({binary, "--help"}, dir.File("help.txt"));
  REQUIRE(help.ok());
  CHECK((*help)->Wait(10s) == 0);
  CHECK((*help)->Output().find("--drop-rate") != std::string::npos);

  auto bad = testing::ChildProcess::Spawn({binary, "--error-rate", "2"}, dir.File("bad.txt"));
  REQUIRE(bad.ok());
  CHECK((*bad)->Wait(10s) == 2);
  CHECK((*bad)->Output().find("--error-rate: expected a number from 0 to 1, got '2'") !=
        std::string::npos);

  auto unknown = testing::ChildProcess::Spawn({binary, "--colour", "red"}, dir.File("unknown.txt"));
  REQUIRE(unknown.ok());
  CHECK((*unknown)->Wait(10s) == 2);
  CHECK((*unknown)->Output().find("unknown option --colour") != std::string::npos);

  auto outage = testing::ChildProcess::Spawn({binary, "--outage", "soon"}, dir.File("outage.txt"));
  REQUIRE(outage.ok());
  CHECK((*outage)->Wait(10s) == 2);
  CHECK((*outage)->Output().find("START+LENGTH") != std::string::npos);

  auto half_tls = testing::ChildProcess::Spawn({binary, "--tls-cert", dir.File("missing.pem")},
                                               dir.File("tls.txt"));
  REQUIRE(half_tls.ok());
  CHECK((*half_tls)->Wait(10s) == 1);
  CHECK((*half_tls)->Output().find("--tls-cert and --tls-key go together") != std::string::npos);
}

TEST_CASE("coupon UPCs: the number system first, one number per code, a valid check digit") {
  CHECK(CouponUpc('5', "TB00000000") == "500000000005");
  CHECK(CouponUpc('5', "TBFFFFFFFF") == "542949672950");
  CHECK(CouponUpc('0', "TB99D92BD7").substr(0, 11) == "02581146583");
  for (const std::string code : {"TB00000000", "TB99D92BD7", "TBFFFFFFFF", "WELCOME10", "TB-1"}) {
    const std::string upc = CouponUpc('5', code);
    INFO(code, " -> ", upc);
    CHECK(upc.size() == 12);
    CHECK(upc[0] == '5');
    CHECK(NormalizeCouponUpc(upc) == "0" + upc);
  }
  CHECK(CouponUpc('5', "TB00000001") != CouponUpc('5', "TB00000002"));

  testing::TempDir dir;
  const std::string binary = testing::BinaryPath("tools/refcloud/tillbridge-refcloud");
  auto bad =
      testing::ChildProcess::Spawn({binary, "--coupon-upc-prefix", "12"}, dir.File("prefix.txt"));
  REQUIRE(bad.ok());
  CHECK((*bad)->Wait(10s) == 2);
  CHECK((*bad)->Output().find("--coupon-upc-prefix: expected one digit 0-9") != std::string::npos);
}
