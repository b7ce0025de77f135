// The ROI report (store/roi_report.h) on the hand-computed fixture
// (tests/store/roi_fixture.h), figure by figure, and its edge cases.
#include "store/roi_report.h"

#include <doctest/doctest.h>

#include <utility>

#include "store/attribution.h"
#include "store/cloud_changes.h"
#include "store/store.h"
#include "store/transaction_log.h"
#include "tests/store/roi_fixture.h"
#include "tests/store/store_test_util.h"

namespace tillbridge::store {
namespace {

using namespace testing;

std::unique_ptr<Store> FixtureStore(const std::string& path) {
  StoreOptions options;
  options.path = path;
  options.store_id = "store-1";
  auto store = Store::Open(options);
  REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  const Status filled = FillRoiFixture(**store);
  REQUIRE_MESSAGE(filled.ok(), filled.ToString());
  return std::move(store).value();
}

// A refund of `sale_pos_id`, rung up on November `day` at 10:00.
Transaction Refund(const std::string& pos_id, std::int64_t total_minor,
                   const std::string& sale_pos_id, int day) {
  Transaction refund = MakeSale(pos_id, total_minor, kRoiPhoneA);
  refund.kind = TransactionKind::kRefund;
  refund.occurred_at = RoiNovemberAt(day, 10);
  refund.refund_of = sale_pos_id;
  return refund;
}

RoiReport November(Store& store, std::int32_t utc_offset_minutes = 0) {
  RoiQuery query;
  query.from = kRoiFrom;
  query.to = kRoiTo;
  query.cost_per_message_micros = kRoiCostPerMessageMicros;
  query.utc_offset_minutes = utc_offset_minutes;
  auto report = store.roi_reports().Compute(query);
  REQUIRE_MESSAGE(report.ok(), report.status().ToString());
  return std::move(report).value();
}

void CheckFigure(const RoiReport& report, const std::string& key, Figure::Unit unit,
                 std::int64_t numerator, std::int64_t denominator) {
  INFO("figure " << key);
  const Figure* figure = report.Find(key);
  REQUIRE(figure != nullptr);
  CHECK(figure->unit == unit);
  CHECK(figure->numerator == numerator);
  CHECK(figure->denominator == denominator);
  CHECK_FALSE(figure->label.empty());
  CHECK_FALSE(figure->numerator_is.empty());
  CHECK_FALSE(figure->denominator_is.empty());
}

}  // namespace

TEST_CASE("the fixture's attributions are the ones worked out by hand") {
  tillbridge::testing::TempDir dir;
  auto store = FixtureStore(dir.File("t.db"));
  struct Expected {
    const char* pos_id;
    const char* basis;
    const char* change_id;
    const char* reversal;
  };
  for (const Expected& expected :
       {Expected{"1001", "coupon", "chg_m1", ""}, Expected{"1002", "coupon", "chg_m2", ""},
        Expected{"1003", "last_touch", "chg_m4", ""},
        Expected{"1005", "last_touch", "chg_m5", "refund"},
        Expected{"1006", "last_touch", "chg_m6", "void"}, Expected{"1007", "coupon", "chg_m7", ""},
        Expected{"1008", "last_touch", "chg_m7", ""},
        Expected{"1014", "last_touch", "chg_m9", ""}}) {
    INFO("sale " << expected.pos_id);
    auto found = store->attributions().ForSale("pos", expected.pos_id);
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->basis == expected.basis);
    CHECK((*found)->message_change_id == expected.change_id);
    CHECK((*found)->reversal == expected.reversal);
  }
  for (const char* pos_id : {"1004", "1009", "1010", "1011", "1012", "1013", "1015", "1016"}) {
    INFO("sale " << pos_id);
    CHECK_FALSE(store->attributions().ForSale("pos", pos_id).value().has_value());
  }
}

TEST_CASE("the November report equals the hand-computed figures") {
  tillbridge::testing::TempDir dir;
  auto store = FixtureStore(dir.File("t.db"));
  const RoiReport report = November(*store);
  CHECK(report.store_id == "store-1");
  CHECK(report.currency == kRoiCurrency);
  CHECK(report.attribution_window_days == 7);
  CHECK(report.sales == kRoiSales);
  CHECK(report.revenue_minor == kRoiRevenue);
  CHECK(report.identified_sales == kRoiIdentifiedSales);
  CHECK(report.customers == kRoiCustomers);
  CHECK(report.messages_sent == kRoiMessagesSent);
  CHECK(report.attributed_sales == kRoiAttributedSales);
  CHECK(report.attributed_revenue_minor == kRoiAttributedRevenue);
  CHECK(report.reversed_attributions == kRoiReversedAttributions);
  REQUIRE(report.notes.size() == 1);
  CHECK(report.notes[0] == "1 sale in EUR is not counted: the report is in USD");

  using Unit = Figure::Unit;
  REQUIRE(report.headline.size() == 9);
  const std::vector<std::string> order = {"coupon_redemption_rate",
                                          "subscriber_repeat_rate",
                                          "non_subscriber_repeat_rate",
                                          "aov_attributed",
                                          "aov_other",
                                          "aov_uplift",
                                          "revenue_per_message",
                                          "campaign_roi",
                                          "counter_opt_in_rate"};
  for (size_t i = 0; i < order.size(); ++i) CHECK(report.headline[i].key == order[i]);
  CheckFigure(report, "coupon_redemption_rate", Unit::kRatio, kRoiCouponsRedeemed,
              kRoiCouponsTexted);
  CheckFigure(report, "subscriber_repeat_rate", Unit::kRatio, kRoiSubscriberRepeaters,
              kRoiSubscriberCustomers);
  CheckFigure(report, "non_subscriber_repeat_rate", Unit::kRatio, kRoiNonSubscriberRepeaters,
              kRoiNonSubscriberCustomers);
  CheckFigure(report, "aov_attributed", Unit::kMoney, kRoiAttributedRevenue, kRoiAttributedSales);
  CheckFigure(report, "aov_other", Unit::kMoney, kRoiOtherRevenue, kRoiOtherSales);
  CheckFigure(report, "aov_uplift", Unit::kRatio, kRoiUpliftNumerator, kRoiUpliftDenominator);
  CheckFigure(report, "revenue_per_message", Unit::kMoney, kRoiAttributedRevenue, kRoiMessagesSent);
  CheckFigure(report, "campaign_roi", Unit::kRatio, kRoiRoiNumerator, kRoiCostMinor);
  CheckFigure(report, "counter_opt_in_rate", Unit::kRatio, kRoiCounterOptIns, kRoiSales);
  CHECK(report.Find("coupon_redemption_rate")->Value() == doctest::Approx(0.6));
  CHECK(report.Find("subscriber_repeat_rate")->Value() == doctest::Approx(0.75));
  CHECK(report.Find("aov_uplift")->Value() == doctest::Approx(1004.0 / 2113.0));
  CHECK(report.Find("no_such_figure") == nullptr);

  REQUIRE(report.campaigns.size() == 4);
  struct Row {
    const char* campaign;
    const char* rule;
    const char* purpose;
    std::int64_t messages, texted, redeemed, sales, revenue, cost;
  };
  const Row rows[] = {
      {"cmp_weekend", "rule_weekend", "marketing", 2, 2, 1, 3, 9200, 2},
      {"cmp_welcome_coupon", "rule_welcome", "marketing", 3, 3, 2, 2, 6500, 2},
      {"cmp_winback", "rule_winback", "marketing", 3, 0, 0, 1, 3000, 2},
      {"receipt", "receipt", "transactional", 1, 0, 0, 0, 0, 1},
  };
  for (size_t i = 0; i < 4; ++i) {
    const CampaignRoi& got = report.campaigns[i];
    INFO("campaign row " << i << " " << got.campaign);
    CHECK(got.campaign == rows[i].campaign);
    CHECK(got.rule == rows[i].rule);
    CHECK(got.purpose == rows[i].purpose);
    CHECK(got.messages_sent == rows[i].messages);
    CHECK(got.coupons_texted == rows[i].texted);
    CHECK(got.coupons_redeemed == rows[i].redeemed);
    CHECK(got.attributed_sales == rows[i].sales);
    CHECK(got.attributed_revenue_minor == rows[i].revenue);
    CHECK(got.cost_minor == rows[i].cost);
  }

  REQUIRE(report.opt_ins_by_cashier.size() == 3);
  CHECK(report.opt_ins_by_cashier[0].name == "c-ann");
  CHECK(report.opt_ins_by_cashier[0].opt_ins == 2);
  CHECK(report.opt_ins_by_cashier[0].sales == 4);
  CHECK(report.opt_ins_by_cashier[1].name == "c-bob");
  CHECK(report.opt_ins_by_cashier[1].opt_ins == 2);
  CHECK(report.opt_ins_by_cashier[1].sales == 5);
  CHECK(report.opt_ins_by_cashier[2].name == "c-cat");
  CHECK(report.opt_ins_by_cashier[2].opt_ins == 0);
  CHECK(report.opt_ins_by_cashier[2].sales == 5);
  REQUIRE(report.opt_ins_by_method.size() == 2);
  CHECK(report.opt_ins_by_method[0].name == "customer_display");
  CHECK(report.opt_ins_by_method[0].opt_ins == 2);
  CHECK(report.opt_ins_by_method[0].sales == 14);
  CHECK(report.opt_ins_by_method[1].name == "keypad");
  CHECK(report.opt_ins_by_method[1].opt_ins == 2);

  REQUIRE(report.trend.size() == 30);
  CHECK(report.trend.front().date == "2026-11-01");
  CHECK(report.trend.back().date == "2026-11-30");
  const DayPoint& nov2 = report.trend[1];
  CHECK(nov2.date == "2026-11-02");
  CHECK(nov2.sales == 1);
  CHECK(nov2.revenue_minor == 4000);
  CHECK(nov2.attributed_sales == 1);
  CHECK(nov2.attributed_revenue_minor == 4000);
  CHECK(report.trend[10].date == "2026-11-11");
  CHECK(report.trend[10].revenue_minor == 5000);
  CHECK(report.trend[10].attributed_sales == 0);
  CHECK(report.trend[12].sales == 0);  // Nov 13: s6 was voided
  CHECK(report.trend[27].attributed_revenue_minor == 4500);
  std::int64_t revenue = 0;
  std::int64_t attributed = 0;
  for (const DayPoint& day : report.trend) {
    revenue += day.revenue_minor;
    attributed += day.attributed_revenue_minor;
  }
  CHECK(revenue == kRoiRevenue);
  CHECK(attributed == kRoiAttributedRevenue);
}

TEST_CASE("the trend's days follow the store's UTC offset") {
  tillbridge::testing::TempDir dir;
  auto store = FixtureStore(dir.File("t.db"));
  // UTC-10: s12 (Nov 25 17:00 UTC) is Nov 25 07:00 local; s1 (Nov 2 15:00)
  // Nov 2 05:00; s11 (Nov 6 09:00 UTC) falls on Nov 5 23:00 local.
  const RoiReport report = November(*store, -600);
  REQUIRE(report.trend.size() == 31);  // Oct 31 14:00 .. Nov 30 13:59 local
  CHECK(report.trend.front().date == "2026-10-31");
  CHECK(report.trend[5].date == "2026-11-05");
  CHECK(report.trend[5].revenue_minor == 999);
  CHECK(report.trend[6].revenue_minor == 0);
}

TEST_CASE("a range without data gives n/a, never 0; a reversed range is refused") {
  tillbridge::testing::TempDir dir;
  auto store = FixtureStore(dir.File("t.db"));
  RoiQuery query;
  query.from = kRoiTo + 86'400'000;
  query.to = query.from + 2 * 86'400'000;
  auto empty = store->roi_reports().Compute(query);
  REQUIRE(empty.ok());
  CHECK(empty->sales == 0);
  CHECK(empty->currency.empty());
  CHECK(empty->notes.empty());
  CHECK(empty->campaigns.empty());
  CHECK(empty->trend.size() == 2);
  REQUIRE(empty->headline.size() == 9);
  for (const Figure& figure : empty->headline) {
    INFO("figure " << figure.key);
    CHECK(figure.denominator == 0);
    CHECK_FALSE(figure.Value().has_value());
  }
  // Cashiers who captured opt-ins long ago are not listed for this range.
  CHECK(empty->opt_ins_by_cashier.empty());

  query.to = query.from;
  auto none = store->roi_reports().Compute(query);
  CHECK(none.status().code() == StatusCode::kInvalidArgument);
  query.to = query.from - 1;
  auto reversed = store->roi_reports().Compute(query);
  CHECK(reversed.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("customers are counted by consent when every one paid in one currency") {
  tillbridge::testing::TempDir dir;
  auto store = FixtureStore(dir.File("t.db"));
  // From Nov 10 no sale is in EUR: s3 s4 (A), s5 s14 (B), s7 s8 (C), s9 s10
  // (D), s15 (E), and the anonymous s12. Subscribers on Dec 1: A B C E, of
  // whom A B C came twice; D (opted out) came twice.
  RoiQuery query;
  query.from = RoiNovemberAt(10, 0);
  query.to = kRoiTo;
  auto report = store->roi_reports().Compute(query);
  REQUIRE_MESSAGE(report.ok(), report.status().ToString());
  CHECK(report->notes.empty());
  CHECK(report->sales == 10);
  CHECK(report->customers == 5);
  const Figure* subscribers = report->Find("subscriber_repeat_rate");
  REQUIRE(subscribers != nullptr);
  CHECK(subscribers->numerator == 3);
  CHECK(subscribers->denominator == 4);
  const Figure* others = report->Find("non_subscriber_repeat_rate");
  REQUIRE(others != nullptr);
  CHECK(others->numerator == 1);
  CHECK(others->denominator == 1);
}

TEST_CASE("a later refund takes the revenue out of attributed, not out of the sales") {
  tillbridge::testing::TempDir dir;
  auto store = FixtureStore(dir.File("t.db"));
  REQUIRE(store->transactions().Ingest("pos", {Refund("2002", -4000, "1001", 29)}, "more").ok());
  const RoiReport report = November(*store);
  CHECK(report.sales == kRoiSales);
  CHECK(report.revenue_minor == kRoiRevenue);
  CHECK(report.attributed_sales == kRoiAttributedSales - 1);
  CHECK(report.attributed_revenue_minor == kRoiAttributedRevenue - 4000);
  CHECK(report.reversed_attributions == kRoiReversedAttributions + 1);
}

TEST_CASE("a refund of part of a credited sale takes that part out of the credit only") {
  tillbridge::testing::TempDir dir;
  auto store = FixtureStore(dir.File("t.db"));
  const RoiReport before = November(*store);
  auto campaign_revenue = [](const RoiReport& report, const std::string& name) {
    for (const CampaignRoi& campaign : report.campaigns) {
      if (campaign.campaign == name) return campaign.attributed_revenue_minor;
    }
    return std::int64_t{-1};
  };
  auto numerator = [](const RoiReport& report, const std::string& key) {
    const Figure* figure = report.Find(key);
    REQUIRE(figure != nullptr);
    return figure->numerator;
  };

  // s1 (1001, 40.00, Nov 2, credited to cmp_welcome_coupon): 15.00 back.
  REQUIRE(store->transactions().Ingest("pos", {Refund("2002", -1500, "1001", 29)}, "more").ok());
  const RoiReport report = November(*store);
  CHECK(report.sales == kRoiSales);
  CHECK(report.revenue_minor == kRoiRevenue);
  CHECK(report.attributed_sales == kRoiAttributedSales);
  CHECK(report.attributed_revenue_minor == kRoiAttributedRevenue - 1500);
  CHECK(report.attributed_refunded_minor == 1500);
  CHECK(report.reversed_attributions == kRoiReversedAttributions);
  // The averages compare sales as rung up; the credit is net.
  CheckFigure(report, "aov_attributed", Figure::Unit::kMoney, kRoiAttributedRevenue,
              kRoiAttributedSales);
  CHECK(numerator(report, "aov_other") == numerator(before, "aov_other"));
  CHECK(numerator(report, "revenue_per_message") == kRoiAttributedRevenue - 1500);
  CHECK(numerator(report, "campaign_roi") == numerator(before, "campaign_roi") - 1500);
  CHECK(campaign_revenue(report, "cmp_welcome_coupon") ==
        campaign_revenue(before, "cmp_welcome_coupon") - 1500);
  CHECK(report.trend[1].attributed_revenue_minor ==
        before.trend[1].attributed_revenue_minor - 1500);
  REQUIRE(report.notes.size() == before.notes.size() + 1);
  CHECK(report.notes.back() ==
        "1 attributed sale was refunded in part: attributed revenue leaves out what was "
        "given back");

  // The rest of it back: the sale is no longer credited at all.
  REQUIRE(store->transactions().Ingest("pos", {Refund("2003", -2500, "1001", 30)}, "more-2").ok());
  const RoiReport reversed = November(*store);
  CHECK(reversed.attributed_sales == kRoiAttributedSales - 1);
  CHECK(reversed.attributed_revenue_minor == kRoiAttributedRevenue - 4000);
  CHECK(reversed.attributed_refunded_minor == 0);
  CHECK(reversed.reversed_attributions == kRoiReversedAttributions + 1);
  CHECK(reversed.notes == before.notes);
}

TEST_CASE("local days follow a daylight-saving change inside the range") {
  tillbridge::testing::TempDir dir;
  auto store = FixtureStore(dir.File("t.db"));
  // New York, March 7 to 9, 2026: clocks go forward on March 8 at 07:00
  // UTC (02:00 EST, -05:00, becomes 03:00 EDT, -04:00).
  constexpr UnixMillis kChange = 1'772'953'200'000;  // 2026-03-08T07:00Z
  RoiQuery query;
  query.from = 1'772'859'600'000;  // 2026-03-07T05:00Z, midnight EST
  query.to = 1'773'115'200'000;    // 2026-03-10T04:00Z, midnight EDT
  query.utc_offset_minutes = -300;
  query.offset_changes = {{kChange, -240}};
  auto sale = [](const std::string& pos_id, UnixMillis at) {
    Transaction txn = MakeSale(pos_id, 1000, "+15550000099");
    txn.occurred_at = at;
    return txn;
  };
  REQUIRE(store->transactions()
              .Ingest("pos",
                      {sale("3001", 1'772'861'400'000),   // Mar 7 00:30 EST
                       sale("3002", 1'772'944'200'000),   // Mar 7 23:30 EST
                       sale("3003", 1'773'030'600'000),   // Mar 9 00:30 EDT
                       sale("3004", 1'773'117'000'000)},  // Mar 10 00:30 EDT: after
                      "march")
              .ok());
  // A text on March 8 credits the sale of March 9 00:30 (last touch).
  auto sent = store->cloud_changes().ApplyPage(
      {CloudChange{"chg_march", 1'772'971'200'000, "+15550000099",
                   CloudEngagement{"message_sent", "cmp_march",
                                   R"({"purpose":"marketing","attributable":true})"}}},
      "march-page");
  REQUIRE_MESSAGE(sent.ok(), sent.status().ToString());

  auto report = store->roi_reports().Compute(query);
  REQUIRE_MESSAGE(report.ok(), report.status().ToString());
  CHECK(report->sales == 3);
  REQUIRE(report->trend.size() == 3);
  CHECK(report->trend[0].date == "2026-03-07");
  CHECK(report->trend[0].sales == 2);
  CHECK(report->trend[1].date == "2026-03-08");
  CHECK(report->trend[1].sales == 0);
  CHECK(report->trend[2].date == "2026-03-09");
  CHECK(report->trend[2].sales == 1);
  CHECK(report->trend[2].attributed_sales == 1);
  CHECK(report->trend[2].attributed_revenue_minor == 1000);
  CHECK(report->attributed_sales == 1);

  // The same range read with EST throughout puts the 00:30 EDT sale on
  // March 8: the change is what makes the days right.
  query.offset_changes.clear();
  auto fixed = store->roi_reports().Compute(query);
  REQUIRE(fixed.ok());
  CHECK(fixed->trend[1].sales == 1);
  CHECK(fixed->trend[2].sales == 0);

  query.offset_changes = {{kChange, -240}, {kChange - 1, -300}};
  auto unordered = store->roi_reports().Compute(query);
  REQUIRE_FALSE(unordered.ok());
  CHECK(unordered.status().message() == "the report's UTC offset changes are not in time order");
}

TEST_CASE("the cost of the messages is in the minor units of the report's currency") {
  struct Case {
    const char* currency;
    std::int64_t micros_per_message;
    std::int64_t cost_minor;  // of 3 messages
  };
  // 3 x 1.25 yen = 3.75 yen -> 4; 3 x 0.0025 dinar = 7.5 fils -> 8;
  // 3 x 0.0079 dollar = 2.37 cents -> 2.
  for (const Case& c : {Case{"JPY", 1'250'000, 4}, Case{"KWD", 2'500, 8}, Case{"USD", 7'900, 2}}) {
    INFO(c.currency);
    tillbridge::testing::TempDir dir;
    StoreOptions options;
    options.path = dir.File("t.db");
    auto store = std::move(Store::Open(options)).value();
    Transaction sale = MakeSale("1", 1500, kRoiPhoneA);
    sale.currency = c.currency;
    sale.occurred_at = RoiNovemberAt(5, 12);  // credited to the last text
    REQUIRE(store->transactions().Ingest("pos", {sale}, "c1").ok());
    std::vector<CloudChange> sent;
    for (int i = 1; i <= 3; ++i) {
      sent.push_back(CloudChange{"chg_" + std::to_string(i), RoiNovemberAt(i, 9), kRoiPhoneA,
                                 CloudEngagement{"message_sent", "cmp_x", "{}"}});
    }
    REQUIRE(store->cloud_changes().ApplyPage(sent, "p1").ok());
    RoiQuery query;
    query.from = kRoiFrom;
    query.to = kRoiTo;
    query.cost_per_message_micros = c.micros_per_message;
    auto report = store->roi_reports().Compute(query);
    REQUIRE_MESSAGE(report.ok(), report.status().ToString());
    CHECK(report->currency == c.currency);
    REQUIRE(report->campaigns.size() == 1);
    CHECK(report->campaigns[0].cost_minor == c.cost_minor);
    CheckFigure(*report, "campaign_roi", Figure::Unit::kRatio, 1500 - c.cost_minor, c.cost_minor);
  }
}

TEST_CASE("a write between the two readers' snapshots leaves the figures of one snapshot") {
  tillbridge::testing::TempDir dir;
  StoreOptions options;
  options.path = dir.File("t.db");
  options.store_id = "store-1";
  // At the point the second reader is about to open: a new text to a
  // customer (read by the second reader) lands once, or the reader fails.
  Store* store_ptr = nullptr;
  std::string action;
  options.fault_hook = [&](std::string_view point) -> Status {
    if (point != "roi.before_second_reader" || action.empty()) return Status::Ok();
    const std::string now = std::exchange(action, "");
    if (now == "fail") return Status::Unavailable("no second reader");
    auto sent = store_ptr->cloud_changes().ApplyPage(
        {CloudChange{"chg_between", RoiNovemberAt(20, 12), kRoiPhoneA,
                     CloudEngagement{"message_sent", "cmp_between", "{}"}}},
        "between");
    return sent.status();
  };
  auto store = std::move(Store::Open(options)).value();
  store_ptr = store.get();
  REQUIRE(FillRoiFixture(*store).ok());

  action = "write";
  const RoiReport raced = November(*store);
  CHECK(action.empty());  // the write landed
  // Every figure is the first snapshot's: the new text is in neither the
  // message count nor the campaigns.
  CHECK(raced.messages_sent == kRoiMessagesSent);
  CHECK(raced.sales == kRoiSales);
  CHECK(raced.attributed_revenue_minor == kRoiAttributedRevenue);
  for (const CampaignRoi& campaign : raced.campaigns) CHECK(campaign.campaign != "cmp_between");
  // The next report sees it.
  CHECK(November(*store).messages_sent == kRoiMessagesSent + 1);

  // A second reader that cannot start: the first one reads everything.
  action = "fail";
  const RoiReport alone = November(*store);
  CHECK(action.empty());
  CHECK(alone.messages_sent == kRoiMessagesSent + 1);
  CHECK(alone.sales == kRoiSales);
  const Figure* repeat = alone.Find("subscriber_repeat_rate");
  REQUIRE(repeat != nullptr);
  CHECK(repeat->denominator > 0);
}

}  // namespace tillbridge::store
