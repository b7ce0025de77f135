// The reference cloud's message rules as data: loading and checking rules,
// post-purchase follow-ups, re-engagement, sending numbers and their
// registered use, the message_sent engagement, and the chain report. The
// rules engine runs in-process on a manual clock; the routes run against
// the real binary.
#include <doctest/doctest.h>

#include <fstream>

#include "common/clock.h"
#include "tests/sync/sync_test_util.h"
#include "tests/test_util.h"
#include "tools/refcloud/chain_report.h"
#include "tools/refcloud/cloud_db.h"
#include "tools/refcloud/cloud_rules.h"
#include "tools/refcloud/event_parser.h"
#include "tools/refcloud/rules.h"

using namespace std::chrono_literals;
using namespace tillbridge;
using namespace tillbridge::refcloud;

namespace {

constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 24 * kHour;
// 2026-11-01T00:00:00Z
constexpr UnixMillis kDay0 = 1'793'491'200'000;

const std::string kFan = "+14155550101";     // transactional + marketing
const std::string kQuiet = "+14155550102";   // transactional only
const std::string kMember = "+14155550103";  // marketing only

RuleSet DefaultRules() {
  auto rules = ParseRuleSet(DefaultRulesJson());
  REQUIRE_MESSAGE(rules.ok(), rules.status().ToString());
  return *rules;
}

struct SaleSpec {
  std::string id;
  std::string store = "store-1";
  std::string pos_id;
  std::string phone;
  UnixMillis at = kDay0;
  std::int64_t total = 1000;
  std::int64_t unit_price = 1000;
  std::string transactional = "none";
  std::string marketing = "none";
  std::string coupon;  // redeemed code, if any
  std::string type = "transaction.completed";
  std::string refund_of;
};

std::string SaleJson(const SaleSpec& s) {
  const std::string phone = s.phone.empty() ? "null" : "\"" + s.phone + "\"";
  return R"({"id":")" + s.id + R"(","type":")" + s.type + R"(","occurred_at":")" +
         FormatRfc3339(s.at) + R"(","store_id":")" + s.store +
         R"(","terminal_id":"t1","source":"pos","payload":{"pos_id":")" + s.pos_id +
         R"(","currency":"USD","total_minor":)" + std::to_string(s.total) + R"(,"refund_of":)" +
         (s.refund_of.empty() ? "null" : "\"" + s.refund_of + "\"") + R"(,"customer":{"phone":)" +
         phone + R"(,"consent":{"transactional":")" + s.transactional + R"(","marketing":")" +
         s.marketing + R"("}},"coupon_codes":[)" +
         (s.coupon.empty() ? "" : "\"" + s.coupon + "\"") +
         R"(],"lines":[{"sku":"SKU-9","description":"Espresso machine","quantity_milli":1000,)"
         R"("unit_price_minor":)" +
         std::to_string(s.unit_price) + R"(,"total_minor":)" + std::to_string(s.total) + "}]}}";
}

// The cloud's database and rules in this process, on a manual clock.
class Cloud {
 public:
  explicit Cloud(RuleSet rules = DefaultRules()) : rules_("Demo Store", '5', std::move(rules)) {
    auto db = CloudDb::Open(":memory:", clock_);
    REQUIRE_MESSAGE(db.ok(), db.status().ToString());
    db_ = std::move(db).value();
  }

  // Pushes one event at the clock's time; true when it was new.
  bool Push(const std::string& json) {
    BatchItem item = ParseSingleEvent(json);
    REQUIRE_MESSAGE(item.event.has_value(), item.rejection.message);
    const ValidEvent& event = *item.event;
    auto fresh = db_->RecordEvents("agt_1",
                                   {{event.id, event.type, event.store_id, event.phone,
                                     event.pos_id, event.occurred_at, event.document}},
                                   [&](CloudTxn& txn, const CloudDb::IncomingEvent&) {
                                     return rules_.OnEvent(txn, event, "agt_1", &log_);
                                   });
    REQUIRE_MESSAGE(fresh.ok(), fresh.status().ToString());
    return fresh->at(0);
  }
  bool PushSale(const SaleSpec& sale) { return Push(SaleJson(sale)); }

  void Stop(const std::string& phone) {
    REQUIRE(db_->Write([&](CloudTxn& txn) -> Status {
                 return rules_.OnInboundSms(txn, phone, "STOP", &log_).status();
               })
                .ok());
  }

  CloudRules::DueResult RunDue(UnixMillis now) {
    CloudRules::DueResult result;
    Status written = db_->WriteAt(now, [&](CloudTxn& txn) -> Status {
      auto done = rules_.RunDue(txn, &log_);
      if (!done.ok()) return done.status();
      result = *done;
      return Status::Ok();
    });
    REQUIRE_MESSAGE(written.ok(), written.ToString());
    return result;
  }

  std::vector<MessageRecord> Messages(const std::string& phone = "",
                                      const std::string& status = "") {
    auto messages = db_->Messages(0, 10'000, phone, status);
    REQUIRE(messages.ok());
    return *messages;
  }
  std::vector<MessageRecord> OfKind(const std::string& kind) {
    std::vector<MessageRecord> out;
    for (auto& message : Messages()) {
      if (message.kind == kind) out.push_back(message);
    }
    return out;
  }
  // Data of the feed's changes of `type` (and `kind` for engagement).
  std::vector<testing::JsonValue> Changes(const std::string& type, const std::string& kind = "") {
    auto changes = db_->AllChanges(0, 100'000);
    REQUIRE(changes.ok());
    std::vector<testing::JsonValue> out;
    for (const auto& change : *changes) {
      if (change.type != type) continue;
      auto data = testing::JsonValue::Parse(change.data_json);
      if (kind.empty() || data.Text("kind") == kind) out.push_back(data);
    }
    return out;
  }
  bool Logged(const std::string& text) const {
    for (const auto& line : log_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

  ManualClock& clock() { return clock_; }
  CloudDb& db() { return *db_; }
  CloudRules& rules() { return rules_; }

 private:
  ManualClock clock_{kDay0};
  std::unique_ptr<CloudDb> db_;
  CloudRules rules_;
  std::vector<std::string> log_;
};

std::string WithReplaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("the built-in rules load, and a bad rule is named by index and field") {
  const RuleSet rules = DefaultRules();
  REQUIRE(rules.rules.size() == 7);
  REQUIRE(rules.numbers.size() == 3);
  CHECK(rules.rules[0].id == "receipt");
  CHECK(rules.rules[0].campaign == "cmp_receipt");
  CHECK(rules.rules[5].campaign == "cmp_care_highticket");
  CHECK(rules.rules[5].params.min_unit_price_minor == 20'000);
  CHECK(rules.rules[5].params.delay_hours == 48);
  CHECK(rules.rules[6].params.days == 60);
  CHECK(rules.rules[6].coupon->percent == 15);
  CHECK(rules.FirstNumberFor(kMarketing)->number == "52345");
  CHECK(rules.FindNumber("+18005550199")->RegisteredFor(kTransactional));
  CHECK_FALSE(rules.FindNumber("+18005550199")->RegisteredFor(kMarketing));
  // What GET /admin/rules shows loads back to the same rules.
  auto again = ParseRuleSet(RuleSetJson(rules));
  REQUIRE_MESSAGE(again.ok(), again.status().ToString());
  CHECK(RuleSetJson(*again) == RuleSetJson(rules));

  const std::string text(DefaultRulesJson());
  const std::pair<std::string, std::string> bad[] = {
      {WithReplaced(text, R"("purpose": "marketing",)", R"("purpose": "promo",)"),
       "rules[1].purpose: must be transactional or marketing"},
      {WithReplaced(text, R"("trigger": "basket_abandoned")", R"("trigger": "basket")"),
       "rules[2].trigger: must be one of"},
      {WithReplaced(text, R"("delay_hours": 48)", R"("delay_hours": "soon")"),
       "rules[5].params.delay_hours: must be a whole number"},
      {WithReplaced(text, R"("days": 60)", R"("weeks": 9)"),
       "rules[6].params.weeks: unknown field"},
      {WithReplaced(text, "(sale {pos_id})", "(code {code})"),
       "rules[0].message: {code} needs the rule to carry a coupon"},
      {WithReplaced(text, "{tier} member", "{level} member"),
       "rules[3].message: unknown placeholder {level}"},
      {WithReplaced(text, R"("id": "coupon",)", R"("id": "receipt",)"),
       "rules[1].id: 'receipt' is used twice"},
      {WithReplaced(text, R"("percent": 15, "validity_days": 14)", R"("validity_days": 14)"),
       "rules[6].coupon: needs exactly one of percent and amount_minor"},
      {WithReplaced(text, R"("trigger": "sale",)",
                    R"("trigger": "sale", "number": "+19995550000",)"),
       "rules[0].number: is not one of the numbers listed under numbers"},
      {WithReplaced(text, R"(["marketing"])", R"(["promotions"])"),
       "numbers[1].registered_for[0]: must be transactional or marketing"},
      {WithReplaced(text, R"("number": "52345")", R"("number": "5234")"),
       "numbers[0].number: a short code is 5 or 6 digits"},
      {WithReplaced(text, R"("min_unit_price_minor": 20000)", R"("min_unit_price_minor": 0)"),
       "rules[5].params: a high_ticket_sale rule needs"},
      {"[]", "the rules must be a JSON object"},
      {"{\"numbers\":[],\"rules\":[{}]}", "rules[0].id: is missing"},
  };
  for (const auto& [json, expected] : bad) {
    CAPTURE(expected);
    auto parsed = ParseRuleSet(json);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().message().find(expected) == 0);
  }
}

TEST_CASE("templates fill their placeholders and leave unknown ones alone") {
  CHECK(FillTemplate("Hi {brand}, {x} {code}!", {{"brand", "B"}, {"code", "TB1"}}) ==
        "Hi B, {x} TB1!");
  CHECK(FillTemplate("no braces", {}) == "no braces");
  CHECK(FillTemplate("open { only", {{"brand", "B"}}) == "open { only");
}

TEST_CASE("high-ticket care message: 48 hours after a qualifying sale, once, opted-in only") {
  Cloud cloud;
  SaleSpec dear{"e1000001", "store-1", "101", kQuiet, kDay0, 25'000, 25'000, "opted_in", "none"};
  REQUIRE(cloud.PushSale(dear));
  // A revision of the same sale (a new event id) and the same event again.
  SaleSpec revision = dear;
  revision.id = "e1000001r2";
  REQUIRE(cloud.PushSale(revision));
  CHECK_FALSE(cloud.PushSale(dear));
  // Cheap: no follow-up. Opted out at the sale: none either.
  REQUIRE(cloud.PushSale(
      {"e1000002", "store-1", "102", kFan, kDay0, 1'500, 1'500, "opted_in", "none"}));
  REQUIRE(cloud.PushSale(
      {"e1000003", "store-1", "103", kMember, kDay0, 30'000, 30'000, "opted_out", "opted_in"}));

  CHECK(cloud.RunDue(kDay0 + 47 * kHour).sent == 0);
  CHECK(cloud.OfKind("high_ticket_care").empty());
  auto due = cloud.RunDue(kDay0 + 48 * kHour);
  CHECK(due.sent == 1);
  CHECK(due.cancelled == 0);
  auto care = cloud.OfKind("high_ticket_care");
  REQUIRE(care.size() == 1);
  CHECK(care[0].phone == kQuiet);
  CHECK(care[0].purpose == "transactional");
  CHECK(care[0].campaign == "cmp_care_highticket");
  CHECK(care[0].created_at == kDay0 + 48 * kHour);
  CHECK(care[0].body ==
        "Demo Store: thank you for choosing Espresso machine. Care tips and how to register your "
        "warranty: https://care.example/SKU-9. Reply STOP to opt out.");
  CHECK(care[0].attributable);
  CHECK(care[0].store_id == "store-1");
  CHECK(cloud.RunDue(kDay0 + 60 * kHour).sent == 0);
  CHECK(cloud.OfKind("high_ticket_care").size() == 1);
  CHECK(cloud.db().Stats()->effects_repeated == 0);
}

TEST_CASE("a STOP between the sale and the due time cancels the follow-up") {
  Cloud cloud;
  REQUIRE(cloud.PushSale(
      {"e2000001", "store-1", "201", kQuiet, kDay0, 50'000, 50'000, "opted_in", "none"}));
  cloud.Stop(kQuiet);
  auto due = cloud.RunDue(kDay0 + 49 * kHour);
  CHECK(due.sent == 0);
  CHECK(due.cancelled == 1);
  CHECK(cloud.OfKind("high_ticket_care").empty());
  CHECK(cloud.Logged("follow-up cancelled: opted out"));
  auto follow_ups = cloud.db().FollowUps(0, 10);
  REQUIRE(follow_ups->size() == 1);
  CHECK((*follow_ups)[0].status == "cancelled");
  CHECK(cloud.RunDue(kDay0 + 50 * kHour).cancelled == 0);
}

TEST_CASE("a follow-up by SKU or category, even when the price is low") {
  RuleSet rules = DefaultRules();
  rules.rules[5].params.min_unit_price_minor = 0;
  rules.rules[5].params.skus = {"SKU-9"};
  Cloud cloud(rules);
  REQUIRE(
      cloud.PushSale({"e2500001", "store-1", "251", kQuiet, kDay0, 900, 900, "opted_in", "none"}));
  CHECK(cloud.RunDue(kDay0 + 48 * kHour).sent == 1);

  rules.rules[5].params.skus = {};
  rules.rules[5].params.categories = {"appliances"};
  Cloud by_category(rules);
  std::string json =
      SaleJson({"e2500002", "store-1", "252", kQuiet, kDay0, 900, 900, "opted_in", "none"});
  REQUIRE(by_category.Push(json));  // lines carry no category: no follow-up
  REQUIRE(
      by_category.Push(WithReplaced(WithReplaced(json, "e2500002", "e2500003"), R"("sku":"SKU-9")",
                                    R"("sku":"SKU-9","category":"appliances")")));
  CHECK(by_category.RunDue(kDay0 + 48 * kHour).sent == 1);
}

TEST_CASE("re-engagement: 60 days after the last purchase, once per lapse, subscribers only") {
  Cloud cloud;
  REQUIRE(cloud.PushSale(
      {"e3000001", "store-1", "301", kMember, kDay0, 1'000, 1'000, "none", "opted_in"}));
  REQUIRE(cloud.PushSale(
      {"e3000002", "store-2", "302", kQuiet, kDay0, 1'000, 1'000, "opted_in", "none"}));
  CHECK(cloud.RunDue(kDay0 + 59 * kDay).sent == 0);
  CHECK(cloud.RunDue(kDay0 + 60 * kDay).sent == 1);
  auto winback = cloud.OfKind("reengage");
  REQUIRE(winback.size() == 1);
  CHECK(winback[0].phone == kMember);
  CHECK(winback[0].purpose == "marketing");
  CHECK(winback[0].campaign == "cmp_winback");
  CHECK(winback[0].store_id == "store-1");
  REQUIRE(winback[0].coupon_code.size() == 10);
  CHECK(winback[0].body == "We miss you at Demo Store! Show code " + winback[0].coupon_code +
                               " (UPC " + CouponUpc('5', winback[0].coupon_code) +
                               ") for 15% off your next visit, valid 14 days. Reply STOP to opt "
                               "out.");
  bool issued = false;
  for (const auto& coupon : cloud.Changes("coupon.issued")) {
    if (coupon.Text("code") != winback[0].coupon_code) continue;
    issued = true;
    CHECK(coupon.Text("campaign") == "cmp_winback");
    CHECK(coupon.Int("discount_percent") == 15);
    CHECK(coupon.Text("valid_until") == FormatRfc3339(kDay0 + 74 * kDay));
  }
  CHECK(issued);
  CHECK(cloud.RunDue(kDay0 + 61 * kDay).sent == 0);
  CHECK(cloud.RunDue(kDay0 + 90 * kDay).sent == 0);

  // A new purchase starts a new lapse.
  cloud.clock().Set(kDay0 + 100 * kDay);
  REQUIRE(cloud.PushSale({"e3000003", "store-1", "303", kMember, kDay0 + 100 * kDay, 1'000, 1'000,
                          "none", "opted_in"}));
  CHECK(cloud.RunDue(kDay0 + 159 * kDay).sent == 0);
  CHECK(cloud.RunDue(kDay0 + 160 * kDay).sent == 1);
  CHECK(cloud.OfKind("reengage").size() == 2);
  CHECK(cloud.Messages(kQuiet).size() == 1);  // its receipt only

  // A STOP ends it: no re-engagement for the next lapse.
  cloud.Stop(kMember);
  cloud.clock().Set(kDay0 + 200 * kDay);
  REQUIRE(cloud.PushSale({"e3000004", "store-1", "304", kMember, kDay0 + 200 * kDay, 1'000, 1'000,
                          "none", "opted_in"}));
  CHECK(cloud.RunDue(kDay0 + 300 * kDay).sent == 0);
}

TEST_CASE("a promotional message is never sent on a transactional-only number") {
  RuleSet rules = DefaultRules();
  rules.rules[1].number = "+18005550199";  // the coupon, on the toll-free number
  Cloud cloud(rules);
  REQUIRE(cloud.PushSale(
      {"e4000001", "store-1", "401", kFan, kDay0, 1'000, 1'000, "opted_in", "opted_in"}));
  auto refused = cloud.Messages("", "refused");
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].kind == "coupon");
  CHECK(refused[0].reason == "promotional message on transactional-only number +18005550199");
  CHECK(cloud.Logged("refused: promotional message on transactional-only number +18005550199"));
  // Not sent: no engagement, no coupon for it; the receipt still went out.
  CHECK(cloud.Changes("coupon.issued").empty());
  auto sent = cloud.Changes("engagement.recorded", "message_sent");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].Text("rule") == "receipt");
  CHECK(cloud.db().Stats()->messages == 1);
  CHECK(cloud.db().Stats()->messages_refused == 1);

  // No number registered for marketing at all: refused too.
  RuleSet no_marketing = DefaultRules();
  no_marketing.numbers = {no_marketing.numbers[2]};
  Cloud bare(no_marketing);
  REQUIRE(bare.PushSale(
      {"e4000002", "store-1", "402", kMember, kDay0, 1'000, 1'000, "none", "opted_in"}));
  auto none = bare.Messages("", "refused");
  REQUIRE(none.size() == 1);
  CHECK(none[0].reason == "no number registered for marketing messages");
  CHECK(bare.RunDue(kDay0 + 61 * kDay).refused == 1);
  CHECK(bare.RunDue(kDay0 + 62 * kDay).refused == 0);  // once per lapse, refused or not
  CHECK(bare.Messages("", "sent").empty());
}

TEST_CASE("message_sent engagement carries campaign, rule, purpose, coupon and attribution") {
  Cloud cloud;
  REQUIRE(cloud.PushSale(
      {"e5000001", "store-7", "501", kFan, kDay0, 1'250, 1'250, "opted_in", "opted_in"}));
  auto sent = cloud.Changes("engagement.recorded", "message_sent");
  REQUIRE(sent.size() == 2);
  auto messages = cloud.Messages();
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].body ==
        "Thanks for shopping at Demo Store! Total 12.50 USD (sale 501). Reply "
        "STOP to opt out.");
  CHECK(sent[0].text() ==
        R"({"kind":"message_sent","campaign":"cmp_receipt","message_id":"msg_)" +
            std::to_string(messages[0].seq) +
            R"(","rule":"receipt","purpose":"transactional","attributable":false,)"
            R"("number":"52345","number_type":"short_code","store_id":"store-7"})");
  const std::string code = messages[1].coupon_code;
  REQUIRE(code.size() == 10);
  CHECK(sent[1].text() ==
        R"({"kind":"message_sent","campaign":"cmp_next_visit_coupon","message_id":"msg_)" +
            std::to_string(messages[1].seq) +
            R"(","rule":"coupon","purpose":"marketing","attributable":true,"coupon_code":")" +
            code + R"(","number":"52345","number_type":"short_code","store_id":"store-7"})");
  auto coupons = cloud.Changes("coupon.issued");
  REQUIRE(coupons.size() == 1);
  CHECK(coupons[0].Text("code") == code);
  CHECK(coupons[0].Text("campaign") == "cmp_next_visit_coupon");
  CHECK(coupons[0].Text("description") == "10% off your next purchase");

  // Keyword replies are service messages: transactional, not attributable.
  cloud.Stop(kFan);
  auto after_stop = cloud.Changes("engagement.recorded", "message_sent");
  REQUIRE(after_stop.size() == 3);
  CHECK(after_stop[2].Text("campaign") == "cmp_service_keyword_reply");
  CHECK(after_stop[2].Text("rule") == "keyword_reply");
  CHECK(after_stop[2].Text("attributable") == "false");
  CHECK(after_stop[2].Text("store_id").empty());
}

TEST_CASE("the chain report matches figures computed by hand for two stores") {
  Cloud cloud;
  const auto at = [](int day, int hour) { return kDay0 + day * kDay + hour * kHour; };
  const auto push = [&](SaleSpec sale) {
    cloud.clock().Set(sale.at + 60'000);  // the cloud hears of it a minute later
    REQUIRE(cloud.PushSale(sale));
  };
  // Day 0: the fan buys at store-1 (receipt + coupon C1); the quiet
  // customer too (receipt).
  push({"e6000001", "store-1", "1", kFan, at(0, 10), 5'000, 500, "opted_in", "opted_in"});
  const std::string c1 = cloud.OfKind("coupon").at(0).coupon_code;
  push({"e6000002", "store-1", "2", kQuiet, at(0, 11), 3'000, 500, "opted_in", "none"});
  // Day 1: a sale without a phone.
  push({"e6000007", "store-1", "7", "", at(1, 9), 600, 600, "none", "none"});
  // Day 2: the fan redeems C1 at store-2 (attributed by the coupon).
  SaleSpec redeem{"e6000003", "store-2", "3", kFan, at(2, 10), 8'000, 500, "opted_in", "opted_in"};
  redeem.coupon = c1;
  push(redeem);
  // Day 3 and 5: the member buys at store-2; day 5 follows coupon C4 of
  // day 3 (last touch) but is refunded on day 6, which reverses it.
  push({"e6000004", "store-2", "4", kMember, at(3, 10), 2'000, 500, "none", "opted_in"});
  push({"e6000005", "store-2", "5", kMember, at(5, 10), 4'000, 500, "none", "opted_in"});
  // Day 4: the quiet customer again; receipts are not attributable.
  push({"e6000006", "store-1", "6", kQuiet, at(4, 10), 1'000, 500, "opted_in", "none"});
  SaleSpec refund{"e6000008", "store-2", "R5", kMember, at(6, 10), 4'000, 500, "none", "none"};
  refund.type = "transaction.refunded";
  refund.refund_of = "5";
  push(refund);
  // Day 6: 20.00 of the coupon sale 3 given back: it stays attributed,
  // for 60.00.
  SaleSpec part{"e6000010", "store-2", "R3", "", at(6, 11), 2'000, 500, "none", "none"};
  part.type = "transaction.refunded";
  part.refund_of = "3";
  push(part);
  // Outside the range (day 8): not counted; it redeems coupon C4 after the
  // range's end.
  SaleSpec late{"e6000009", "store-1", "9", kQuiet, at(8, 10), 9'999, 500, "opted_in", "none"};
  late.coupon = cloud.OfKind("coupon").at(2).coupon_code;
  push(late);

  ChainReportQuery query;
  query.from = kDay0;
  query.to = kDay0 + 7 * kDay;
  query.cost_per_message_micros = 7'900;
  auto events = cloud.db().EventsOfTypes(
      {"transaction.completed", "transaction.refunded", "transaction.voided", "coupon.redeemed"});
  REQUIRE(events.ok());
  const ChainReport report = BuildChainReport(query, *events, cloud.Messages());
  REQUIRE(report.locations.size() == 2);
  CHECK(report.currency == "USD");
  const LocationFigures& one = report.locations[0];
  const LocationFigures& two = report.locations[1];
  const LocationFigures& chain = report.chain;
  CHECK(one.store_id == "store-1");
  CHECK(two.store_id == "store-2");
  // store-1: sales 1, 2, 6, 7 = 5000 + 3000 + 1000 + 600; none attributed.
  CHECK(one.sales == 4);
  CHECK(one.revenue_minor == 9'600);
  CHECK(one.attributed_sales == 0);
  CHECK(one.other_revenue_minor == 9'600);
  // receipts of 1, 2, 6 and coupon C1 (texted, redeemed)
  CHECK(one.messages_sent == 4);
  CHECK(one.coupons_texted == 1);
  CHECK(one.coupons_redeemed == 1);
  CHECK(one.customers == 2);
  CHECK(one.repeat_customers == 1);
  CHECK(one.cost_minor == 3);  // 4 x 0.79 cents = 3.16
  CHECK_FALSE(one.Find("aov_attributed")->Value().has_value());
  CHECK(one.Find("coupon_redemption_rate")->Value() == doctest::Approx(1.0));
  CHECK(one.Find("repeat_purchase_rate")->Value() == doctest::Approx(0.5));
  // store-2: sales 3, 4, 5 = 8000 + 2000 + 4000; 3 attributed (coupon),
  // 5 attributed then reversed by its refund; 3 refunded in part.
  CHECK(two.sales == 3);
  CHECK(two.revenue_minor == 14'000);
  CHECK(two.attributed_sales == 1);
  CHECK(two.attributed_revenue_minor == 6'000);
  CHECK(two.attributed_refunded_minor == 2'000);
  CHECK(two.other_sales == 2);
  CHECK(two.other_revenue_minor == 6'000);
  CHECK(two.reversed_attributions == 1);
  // receipt of 3, coupons C3, C4, C5 (none redeemed); the averages
  // compare the sales as rung up (8000 for 3).
  CHECK(two.messages_sent == 4);
  CHECK(two.coupons_texted == 3);
  CHECK(two.coupons_redeemed == 0);
  CHECK(two.customers == 2);
  CHECK(two.repeat_customers == 1);
  const ReportFigure* uplift = two.Find("aov_uplift");
  CHECK(uplift->numerator == 8'000 * 2 - 6'000 * 1);
  CHECK(uplift->denominator == 6'000);
  CHECK(uplift->Value() == doctest::Approx(8000.0 / 3000.0 - 1));
  CHECK(two.Find("revenue_per_message")->Value() == doctest::Approx(1'500.0));
  CHECK(two.Find("roi")->numerator == 6'000 - 3);
  CHECK(two.Find("roi")->denominator == 3);
  // The chain: every customer bought twice (the fan at both stores).
  CHECK(chain.sales == 7);
  CHECK(chain.revenue_minor == 23'600);
  CHECK(chain.messages_sent == 8);
  CHECK(chain.coupons_texted == 4);
  CHECK(chain.coupons_redeemed == 1);
  CHECK(chain.customers == 3);
  CHECK(chain.repeat_customers == 3);
  CHECK(chain.cost_minor == 6);  // 8 x 0.79 = 6.32 cents
  CHECK(chain.Find("coupon_redemption_rate")->Value() == doctest::Approx(0.25));
  CHECK(chain.Find("aov_attributed")->Value() == doctest::Approx(8'000.0));
  CHECK(chain.Find("aov_other")->numerator == 15'600);
  CHECK(chain.Find("aov_other")->denominator == 6);
  CHECK(chain.Find("aov_uplift")->Value() == doctest::Approx(8000.0 / 2600.0 - 1));
  CHECK(chain.Find("revenue_per_message")->Value() == doctest::Approx(750.0));

  // Two days more: C4 now counts as redeemed (on day 8).
  query.to = kDay0 + 9 * kDay;
  const ChainReport wider = BuildChainReport(query, *events, cloud.Messages());
  CHECK(wider.locations[1].coupons_redeemed == 1);
  CHECK(wider.chain.coupons_redeemed == 2);
  CHECK(wider.chain.sales == 8);

  CHECK(ParseCostMicros("0.0079").value() == 7'900);
  CHECK(ParseCostMicros("2").value() == 2'000'000);
  CHECK(ParseCostMicros(".5").value() == 500'000);
  CHECK_FALSE(ParseCostMicros("0.00000001").ok());
  CHECK_FALSE(ParseCostMicros("1e-3").ok());
  CHECK_FALSE(ParseCostMicros("").ok());
}

TEST_CASE("the routes: rules, numbers, run-due, refused messages and the report") {
  testing::TempDir dir;
  testing::RefCloud::Options options;
  options.extra_args = {"--tick-seconds", "0"};
  auto started = testing::RefCloud::Start(dir.path().string(), options);
  REQUIRE_MESSAGE(started.ok(), started.status().ToString());
  auto& cloud = **started;
  const std::vector<std::pair<std::string, std::string>> agent = {
      {"Authorization", "Bearer test-token"}, {"Tillbridge-Api-Version", "1.0"}};
  REQUIRE(
      cloud
          .Request("PUT", "/v1/agents/agt_r", R"({"store_id":"store-1","terminal_id":"t1"})", agent)
          .status == 200);

  auto rules = cloud.Admin("GET", "/admin/rules");
  REQUIRE(rules.status == 200);
  CHECK(rules.json.Array("rules").size() == 7);
  auto numbers = cloud.Admin("GET", "/admin/numbers").json.Array("numbers");
  REQUIRE(numbers.size() == 3);
  CHECK(numbers[2].Text("type") == "toll_free");
  CHECK(numbers[2].Text("registered_for") == R"(["transactional"])");

  auto bad =
      cloud.Admin("PUT", "/admin/rules",
                  WithReplaced(rules.body, R"("purpose":"marketing")", R"("purpose":"ads")"));
  CHECK(bad.status == 400);
  CHECK(bad.json.Text("error.code") == "invalid_rules");
  CHECK(bad.json.Text("error.message") == "rules[1].purpose: must be transactional or marketing");
  CHECK(cloud.Admin("PUT", "/admin/rules", "not json").status == 400);

  // The coupon moves to the toll-free number: refused, recorded, logged.
  auto moved = cloud.Admin(
      "PUT", "/admin/rules",
      WithReplaced(rules.body, R"("coupon":{"percent":10,"validity_days":30},)",
                   R"("coupon":{"percent":10,"validity_days":30},"number":"+18005550199",)"));
  REQUIRE_MESSAGE(moved.status == 200, moved.body);
  CHECK(cloud.Admin("GET", "/admin/rules").json.Text("rules").find("+18005550199") !=
        std::string::npos);
  const UnixMillis now = SystemClock::Instance().NowMillis();
  SaleSpec sale{"e7000001", "store-1", "701", kFan, now, 30'000, 30'000, "opted_in", "opted_in"};
  REQUIRE(cloud
              .Request("POST", "/v1/agents/agt_r/events", "{\"events\":[" + SaleJson(sale) + "]}",
                       agent)
              .json.Int("accepted") == 1);
  auto refused = cloud.Admin("GET", "/admin/messages?status=refused").json.Array("messages");
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].Text("kind") == "coupon");
  CHECK(refused[0].Text("status") == "refused");
  CHECK(refused[0].Text("reason") ==
        "promotional message on transactional-only number +18005550199");
  CHECK(cloud.Stats().Int("messages_refused") == 1);
  CHECK(
      cloud.process()
          .WaitForLine("refused: promotional message on transactional-only number +18005550199", 5s)
          .has_value());

  // The care follow-up of that sale, moved on with run-due.
  CHECK(cloud.Stats().Int("follow_ups_pending") == 1);
  auto early = cloud.Admin("POST", "/admin/run-due",
                           R"({"now":")" + FormatRfc3339(now + 47 * kHour) + R"("})");
  REQUIRE(early.status == 200);
  CHECK(early.json.Int("sent") == 0);
  auto due = cloud.Admin("POST", "/admin/run-due",
                         R"({"now":")" + FormatRfc3339(now + 48 * kHour) + R"("})");
  CHECK(due.json.Int("sent") == 1);
  auto care = cloud.Admin("GET", "/admin/messages?status=sent").json.Array("messages");
  REQUIRE(care.size() == 2);
  CHECK(care[1].Text("kind") == "high_ticket_care");
  CHECK(care[1].Text("campaign") == "cmp_care_highticket");
  CHECK(care[1].Text("number") == "52345");
  CHECK(cloud.process().WaitForLine("[high_ticket_care]", 5s).has_value());
  CHECK(cloud.Admin("GET", "/admin/follow-ups").json.Array("follow_ups").at(0).Text("status") ==
        "sent");
  CHECK(cloud.Admin("POST", "/admin/run-due", R"({"now":"tomorrow"})").status == 400);
  CHECK(cloud.Admin("POST", "/admin/run-due", "").status == 200);

  const std::string today = FormatRfc3339(now).substr(0, 10);
  auto report = cloud.Admin(
      "GET", "/admin/report?from=" + today + "&to=" + today + "&cost_per_message=0.0079");
  REQUIRE_MESSAGE(report.status == 200, report.body);
  CHECK(report.json.Int("chain.sales") == 1);
  CHECK(report.json.Int("chain.revenue_minor") == 30'000);
  CHECK(report.json.Int("chain.messages_sent") == 1);  // the receipt; the care text is due later
  CHECK(report.json.Int("chain.figures.revenue_per_message.denominator") == 1);
  CHECK(report.json.Int("cost_per_message_micros") == 7'900);
  CHECK(report.json.Int("attribution_window_days") == 7);
  auto wider = cloud.Admin("GET", "/admin/report?from=" + today + "&to=" + today + "&window_days=30");
  REQUIRE_MESSAGE(wider.status == 200, wider.body);
  CHECK(wider.json.Int("attribution_window_days") == 30);
  for (const char* days : {"0", "91", "week", "7.5"}) {
    auto answer =
        cloud.Admin("GET", "/admin/report?from=" + today + "&to=" + today + "&window_days=" + days);
    CHECK(answer.status == 400);
    CHECK(answer.body.find("window_days must be a whole number of days from 1 to 90") !=
          std::string::npos);
  }
  CHECK(cloud.Admin("GET", "/admin/report?from=2026-13-01&to=" + today).status == 400);
  CHECK(cloud.Admin("GET", "/admin/report?from=" + today + "&to=2020-01-01").status == 400);
  CHECK(
      cloud.Admin("GET", "/admin/report?from=" + today + "&to=" + today + "&cost_per_message=cheap")
          .status == 400);
}

TEST_CASE("--rules: a file replaces the built-in rules; a bad one stops the start") {
  testing::TempDir dir;
  const std::string binary = testing::BinaryPath("tools/refcloud/tillbridge-refcloud");
  const std::string bad_path = dir.File("bad-rules.json");
  std::ofstream(bad_path) << WithReplaced(std::string(DefaultRulesJson()), R"("trigger": "sale",)",
                                          R"("trigger": "sold",)");
  auto bad = testing::ChildProcess::Spawn({binary, "--rules", bad_path}, dir.File("bad.txt"));
  REQUIRE(bad.ok());
  CHECK((*bad)->Wait(10s) == 2);
  CHECK((*bad)->Output().find("rules[0].trigger: must be one of") != std::string::npos);

  const std::string good_path = dir.File("rules.json");
  std::ofstream(good_path) << R"({"numbers":[{"number":"+18005550199","type":"toll_free",)"
                              R"("registered_for":["transactional"]}],"rules":[]})";
  testing::RefCloud::Options options;
  options.extra_args = {"--rules", good_path};
  auto started = testing::RefCloud::Start(dir.path().string(), options);
  REQUIRE_MESSAGE(started.ok(), started.status().ToString());
  CHECK((*started)->Admin("GET", "/admin/rules").json.Array("rules").empty());
  CHECK((*started)->Admin("GET", "/admin/numbers").json.Array("numbers").size() == 1);
}

TEST_CASE("rules put through the admin route outlive a restart; --rules FILE still wins") {
  testing::TempDir dir;
  testing::RefCloud::Options options;
  options.db = dir.File("cloud.db");
  const std::string only_receipts =
      R"({"numbers":[{"number":"+18005550199","type":"toll_free",)"
      R"("registered_for":["transactional"]}],"rules":[{"id":"receipt","campaign":"cmp_receipt",)"
      R"("purpose":"transactional","trigger":"sale","message":"Thanks! {total}"}]})";
  {
    auto started = testing::RefCloud::Start(dir.path().string(), options);
    REQUIRE_MESSAGE(started.ok(), started.status().ToString());
    CHECK((*started)->process().Output().find("rules=built-in") != std::string::npos);
    CHECK((*started)->Admin("GET", "/admin/rules").json.Array("rules").size() == 7);
    auto put = (*started)->Admin("PUT", "/admin/rules", only_receipts);
    REQUIRE_MESSAGE(put.status == 200, put.body);
  }
  {
    auto again = testing::RefCloud::Start(dir.path().string(), options);
    REQUIRE_MESSAGE(again.ok(), again.status().ToString());
    CHECK((*again)->process().Output().find("rules=saved by PUT /admin/rules") !=
          std::string::npos);
    auto rules = (*again)->Admin("GET", "/admin/rules").json.Array("rules");
    REQUIRE(rules.size() == 1);
    CHECK(rules[0].Text("id") == "receipt");
    CHECK((*again)->Admin("GET", "/admin/numbers").json.Array("numbers").size() == 1);
  }
  // A rules file given at start is what the operator asked for.
  const std::string file = dir.File("rules.json");
  std::ofstream(file) << DefaultRulesJson();
  options.extra_args = {"--rules", file};
  auto with_file = testing::RefCloud::Start(dir.path().string(), options);
  REQUIRE_MESSAGE(with_file.ok(), with_file.status().ToString());
  CHECK((*with_file)->process().Output().find("rules=" + file) != std::string::npos);
  CHECK((*with_file)->Admin("GET", "/admin/rules").json.Array("rules").size() == 7);
}
