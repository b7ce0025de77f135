// The ROI report's renderers and settings, on a report built by hand so
// every expected number here was worked out on paper.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <doctest/doctest.h>

#include <sstream>

#include "agent/report/report_format.h"
#include "agent/report/report_settings.h"
#include "agent/report/svg_charts.h"

namespace tillbridge::report {
namespace {

constexpr UnixMillis kNov1 = 1'793'491'200'000;  // 2026-11-01T00:00:00Z
constexpr UnixMillis kDay = 86'400'000;

store::Figure MakeFigure(std::string key, std::string label, store::Figure::Unit unit,
                         std::int64_t numerator, std::int64_t denominator, std::string num_is,
                         std::string den_is) {
  store::Figure figure;
  figure.key = std::move(key);
  figure.label = std::move(label);
  figure.unit = unit;
  figure.numerator = numerator;
  figure.denominator = denominator;
  figure.numerator_is = std::move(num_is);
  figure.denominator_is = std::move(den_is);
  return figure;
}

store::RoiReport HandBuiltReport() {
  using Unit = store::Figure::Unit;
  store::RoiReport report;
  report.query.from = kNov1;
  report.query.to = kNov1 + 3 * kDay;
  report.query.cost_per_message_micros = 7900;
  report.store_id = "store-<7>";
  report.currency = "USD";
  report.attribution_window_days = 7;
  report.generated_at = kNov1 + 3 * kDay + 1000;
  report.sales = 10;
  report.revenue_minor = 100'000;
  report.identified_sales = 6;
  report.customers = 5;
  report.messages_sent = 4;
  report.attributed_sales = 2;
  report.attributed_revenue_minor = 4'500;
  report.attributed_refunded_minor = 250;
  report.headline = {
      MakeFigure("coupon_redemption_rate", "Coupon redemption rate", Unit::kRatio, 6, 24,
                 "coupons redeemed", "coupons texted"),
      MakeFigure("subscriber_repeat_rate", "Subscriber repeat rate", Unit::kRatio, 3, 8,
                 "subscribers who came back", "subscribers who bought"),
      MakeFigure("non_subscriber_repeat_rate", "Non-subscriber repeat rate", Unit::kRatio, 0, 0,
                 "others who came back", "others who bought"),
      MakeFigure("aov_attributed", "Average attributed sale", Unit::kMoney, 4'500, 2,
                 "attributed revenue", "attributed sales"),
      MakeFigure("campaign_roi", "Campaign ROI", Unit::kRatio, 10, 4, "net", "cost"),
  };
  store::CampaignRoi formula;
  formula.campaign = "=HYPERLINK(\"http://x\")";
  formula.rule = "winback";
  formula.purpose = "marketing";
  formula.messages_sent = 3;
  formula.coupons_texted = 2;
  formula.coupons_redeemed = 1;
  formula.attributed_sales = 1;
  formula.attributed_revenue_minor = 2'000;
  formula.cost_minor = 2;
  store::CampaignRoi comma;
  comma.campaign = "Black, Friday";
  comma.messages_sent = 1;
  comma.attributed_revenue_minor = -150;
  report.campaigns = {formula, comma};
  report.opt_ins_by_cashier = {{"@bob", 2, 5}, {"alice", 1, 5}};
  report.opt_ins_by_method = {{"keypad", 3, 10}};
  report.trend = {{"2026-11-01", 30'000, 2'000, 3, 1},
                  {"2026-11-02", 50'000, 0, 5, 0},
                  {"2026-11-03", 20'000, 2'500, 2, 1}};
  report.notes = {"3 sales in EUR are not counted <b>"};
  return report;
}

std::size_t Count(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

TEST_CASE("money, values and how each figure was computed") {
  CHECK(FormatMoney(12'345, "USD") == "123.45 USD");
  CHECK(FormatMoney(-50, "EUR") == "-0.50 EUR");
  CHECK(FormatMoney(5, "USD") == "0.05 USD");
  CHECK(FormatMoney(1'200, "JPY") == "1200 JPY");
  CHECK(FormatMoney(1'234, "KWD") == "1.234 KWD");
  CHECK(FormatMoney(700, "") == "7.00");
  const store::RoiReport report = HandBuiltReport();
  CHECK(FigureText(report.headline[0], "USD") == "25.0%");
  CHECK(FigureText(report.headline[1], "USD") == "37.5%");
  CHECK(FigureText(report.headline[2], "USD") == "n/a");
  CHECK(FigureText(report.headline[3], "USD") == "22.50 USD");
  CHECK(FigureText(report.headline[4], "USD") == "250.0%");
  CHECK(HowComputed(report.headline[0], "USD") == "6 coupons redeemed \u00f7 24 coupons texted");
  CHECK(HowComputed(report.headline[3], "USD") ==
        "45.00 USD attributed revenue \u00f7 2 attributed sales");
  CHECK(HowComputed(report.headline[2], "USD").find("n/a") != std::string::npos);
  // ROI divides amounts: both parts are shown as money.
  CHECK(HowComputed(report.headline[4], "USD") == "0.10 USD net \u00f7 0.04 USD cost");
  CHECK(FirstDay(report) == "2026-11-01");
  CHECK(LastDay(report) == "2026-11-03");
}

TEST_CASE("JSON carries every figure with its parts, null when n/a") {
  const store::RoiReport report = HandBuiltReport();
  const std::string text = RenderJson(report);
  Poco::JSON::Parser parser;
  auto root = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
  CHECK(root->getValue<std::string>("currency") == "USD");
  CHECK(root->getValue<std::string>("store_id") == "store-<7>");
  CHECK(text.find("store-\\u003c7\\u003e") != std::string::npos);  // safe inside HTML
  CHECK(root->getValue<std::string>("generated_at") == "2026-11-04T00:00:01.000Z");
  auto query = root->getObject("query");
  CHECK(query->getValue<std::string>("from") == "2026-11-01T00:00:00.000Z");
  CHECK(query->getValue<std::string>("to") == "2026-11-04T00:00:00.000Z");
  CHECK(query->getValue<std::string>("last_day") == "2026-11-03");
  CHECK(query->getValue<std::string>("cost_per_message") == "0.0079");
  CHECK(query->getValue<std::int64_t>("cost_per_message_micros") == 7900);
  CHECK(root->getObject("window")->getValue<int>("attribution_window_days") == 7);
  CHECK(root->getObject("totals")->getValue<std::int64_t>("attributed_revenue_minor") == 4500);
  CHECK(root->getObject("totals")->getValue<std::int64_t>("attributed_refunded_minor") == 250);
  auto headline = root->getArray("headline");
  REQUIRE(headline->size() == 5);
  auto rate = headline->getObject(0);
  CHECK(rate->getValue<std::string>("key") == "coupon_redemption_rate");
  CHECK(rate->getValue<std::string>("label") == "Coupon redemption rate");
  CHECK(rate->getValue<std::string>("unit") == "ratio");
  CHECK(rate->getValue<double>("value") == 0.25);
  CHECK(rate->getValue<std::int64_t>("numerator") == 6);
  CHECK(rate->getValue<std::int64_t>("denominator") == 24);
  CHECK(rate->getValue<std::string>("numerator_is") == "coupons redeemed");
  CHECK(rate->getValue<std::string>("denominator_is") == "coupons texted");
  CHECK(rate->getValue<std::string>("display") == "25.0%");
  auto none = headline->getObject(2);
  CHECK(none->isNull("value"));
  CHECK(none->getValue<std::string>("display") == "n/a");
  CHECK(headline->getObject(3)->getValue<std::string>("unit") == "money");
  CHECK(headline->getObject(3)->getValue<double>("value") == 22.5);  // major units
  auto campaigns = root->getArray("campaigns");
  REQUIRE(campaigns->size() == 2);
  CHECK(campaigns->getObject(0)->getValue<std::string>("campaign") == "=HYPERLINK(\"http://x\")");
  CHECK(campaigns->getObject(1)->getValue<std::int64_t>("attributed_revenue_minor") == -150);
  CHECK(root->getObject("opt_ins")
            ->getArray("by_cashier")
            ->getObject(0)
            ->getValue<std::string>("name") == "@bob");
  auto trend = root->getArray("trend");
  REQUIRE(trend->size() == 3);
  CHECK(trend->getObject(2)->getValue<std::int64_t>("attributed_revenue_minor") == 2500);
  CHECK(root->getArray("notes")->getElement<std::string>(0) ==
        "3 sales in EUR are not counted <b>");
}

TEST_CASE("JSON stays valid when a stored name is not UTF-8") {
  store::RoiReport report = HandBuiltReport();
  report.store_id = "store-\xff-7";
  const std::string text = RenderJson(report);
  Poco::JSON::Parser parser;
  auto root = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
  CHECK(root->getValue<std::string>("store_id") == "store-\xEF\xBF\xBD-7");
}

TEST_CASE("CSV quotes by RFC 4180 and defuses formulas") {
  const std::string csv = RenderCsv(HandBuiltReport());
  CHECK(csv.find("\r\n") != std::string::npos);
  CHECK(Count(csv, "\n") == Count(csv, "\r\n"));
  CHECK(csv.find("figure,coupon_redemption_rate,Coupon redemption rate,ratio,0.25,25.0%,6,24,"
                 "coupons redeemed,coupons texted\r\n") != std::string::npos);
  CHECK(csv.find("figure,non_subscriber_repeat_rate,Non-subscriber repeat rate,ratio,n/a,n/a,0,0,"
                 "others who came back,others who bought\r\n") != std::string::npos);
  CHECK(csv.find("campaign,\"'=HYPERLINK(\"\"http://x\"\")\",winback,marketing,3,2,1,1,20.00,0.02"
                 "\r\n") != std::string::npos);
  // A negative amount is a number we wrote: not guarded.
  CHECK(csv.find("campaign,\"Black, Friday\",,,1,0,0,0,-1.50,0.00\r\n") != std::string::npos);
  CHECK(csv.find("cashier,'@bob,2,5\r\n") != std::string::npos);
  CHECK(csv.find("method,keypad,3,10\r\n") != std::string::npos);
  CHECK(csv.find("day,2026-11-03,200.00,25.00,2,1\r\n") != std::string::npos);
  CHECK(csv.find("attributed_revenue (USD)") != std::string::npos);
  CHECK(csv.find("report,store-<7>,USD,2026-11-01,2026-11-03,UTC+00:00,7,0.0079,") !=
        std::string::npos);
}

TEST_CASE("HTML is one escaped, self-contained page with three labelled charts") {
  const std::string html = RenderHtml(HandBuiltReport());
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<style>") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find(" src=") == std::string::npos);
  CHECK(html.find(" href=") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find(" style=") == std::string::npos);
  CHECK(html.find("<b>") == std::string::npos);
  CHECK(html.find("not counted &lt;b&gt;") != std::string::npos);
  CHECK(html.find("store-&lt;7&gt;") != std::string::npos);
  CHECK(html.find("=HYPERLINK(&quot;http://x&quot;)") != std::string::npos);
  CHECK(Count(html, "<svg ") == 3);
  CHECK(Count(html, "<title id=") == 3);
  CHECK(Count(html, "<desc id=") == 3);
  CHECK(html.find("data-chart=\"trend\"") != std::string::npos);
  CHECK(html.find("data-chart=\"funnel\"") != std::string::npos);
  CHECK(html.find("data-chart=\"repeat\"") != std::string::npos);
  // Values as text labels: the totals in the trend's legend, each funnel
  // step, each repeat rate (and n/a where there is none).
  CHECK(html.find(">Total revenue: 1000.00 USD</text>") != std::string::npos);
  CHECK(html.find(">Attributed revenue: 45.00 USD</text>") != std::string::npos);
  CHECK(html.find(">24</text>") != std::string::npos);
  CHECK(html.find(">6</text>") != std::string::npos);
  CHECK(html.find(">37.5% (3 of 8)</text>") != std::string::npos);
  CHECK(html.find(">n/a</text>") != std::string::npos);
  CHECK(html.find("<p class=\"tb-value\">25.0%</p>") != std::string::npos);
  CHECK(html.find("How computed: 6 coupons redeemed \u00f7 24 coupons texted") !=
        std::string::npos);
  CHECK(html.find("<td class=\"num\">-1.50 USD</td>") != std::string::npos);
  // The fragment is the page's body, without a stylesheet of its own.
  const std::string fragment = RenderHtmlFragment(HandBuiltReport());
  CHECK(fragment.find("<style") == std::string::npos);
  CHECK(html.find(fragment) != std::string::npos);
}

TEST_CASE("the terminal summary shows each figure and how it was computed") {
  const std::string text = RenderText(HandBuiltReport());
  CHECK(text.find("2026-11-01 to 2026-11-03 (both days included") != std::string::npos);
  CHECK(text.find("Coupon redemption rate      25.0%\n") != std::string::npos);
  CHECK(text.find("= 6 coupons redeemed \u00f7 24 coupons texted\n") != std::string::npos);
  CHECK(text.find("Non-subscriber repeat rate  n/a\n") != std::string::npos);
  CHECK(text.find("2 attributed sales, 45.00 USD (after 2.50 USD refunded)\n") !=
        std::string::npos);
}

TEST_CASE("cost per message, UTC offsets and dates parse exactly") {
  CHECK(*ParseCostPerMessage("0.0079") == 7900);
  CHECK(*ParseCostPerMessage("1") == 1'000'000);
  CHECK(*ParseCostPerMessage("0.5") == 500'000);
  CHECK(*ParseCostPerMessage("12.345678") == 12'345'678);
  CHECK(*ParseCostPerMessage("0") == 0);
  for (const char* bad : {"", "abc", "-1", "0.0000001", "1e3", ".5", "1.", "0,0079", "1001"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseCostPerMessage(bad).ok());
  }
  CHECK(FormatCostPerMessage(7900) == "0.0079");
  CHECK(FormatCostPerMessage(1'000'000) == "1.00");
  CHECK(FormatCostPerMessage(12'345'678) == "12.345678");
  CHECK(*ParseUtcOffset("+01:00") == 60);
  CHECK(*ParseUtcOffset("-05:30") == -330);
  CHECK(*ParseUtcOffset("Z") == 0);
  for (const char* bad : {"+1", "01:00", "+15:00", "+01:60", "+0100"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseUtcOffset(bad).ok());
  }
  CHECK(FormatUtcOffset(-330) == "-05:30");
  CHECK(*ParseDate("1970-01-01") == 0);
  CHECK(*ParseDate("2026-11-01") == 20'758);
  CHECK(*ParseDate("2028-02-29") == 21'243);
  for (const char* bad : {"2026-02-29", "2026-13-01", "2026-1-01", "26-11-01", "2026-11-31"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseDate(bad).ok());
  }
  for (std::int64_t day : {0, 20'758, 21'243, 21'244, 40'000})
    CHECK(*ParseDate(FormatDate(day)) == day);
  CHECK(LocalMidnight(20'758, 0) == kNov1);
  CHECK(LocalMidnight(20'758, 60) == kNov1 - 3'600'000);
  CHECK(LocalDay(kNov1 - 1, 0) == 20'757);
  CHECK(LocalDay(kNov1 - 1, 60) == 20'758);
  CHECK(LocalDay(kNov1, -300) == 20'757);
}

TEST_CASE("a range's days and today follow the store's local time") {
  std::string field;
  auto range = ResolveRange("2026-11-01", "2026-11-30", 20'800, &field);
  REQUIRE(range.ok());
  CHECK(range->first_day == 20'758);
  CHECK(range->last_day == 20'787);
  auto defaulted = ResolveRange("", "", 20'787, &field);
  REQUIRE(defaulted.ok());
  CHECK(defaulted->first_day == 20'758);  // 30 days, today included
  auto reversed = ResolveRange("2026-12-01", "2026-11-30", 20'800, &field);
  CHECK_FALSE(reversed.ok());
  CHECK(field == "from");
  CHECK_FALSE(ResolveRange("2026-11-01", "2026-11-31", 20'800, &field).ok());
  CHECK(field == "to");

  ReportSettings settings;
  settings.utc_offset_minutes = -300;
  store::RoiQuery query = QueryFor(*range, settings);
  CHECK(query.from == kNov1 + 5 * 3'600'000);
  CHECK(query.to == kNov1 + 30 * kDay + 5 * 3'600'000);
  CHECK(query.utc_offset_minutes == -300);
  CHECK(query.cost_per_message_micros == 7900);
  // A zone whose clocks go back an hour at 00:00 UTC on Nov 10 (01:00
  // local): the range starts at +01:00, ends at +00:00, and says where the
  // offset changed, to the millisecond.
  settings.offset_at = [](UnixMillis utc) { return utc < kNov1 + 9 * kDay ? 60 : 0; };
  query = QueryFor(*range, settings);
  CHECK(query.from == kNov1 - 3'600'000);
  CHECK(query.to == kNov1 + 30 * kDay);
  CHECK(query.utc_offset_minutes == 60);
  REQUIRE(query.offset_changes.size() == 1);
  CHECK(query.offset_changes[0].at == kNov1 + 9 * kDay);
  CHECK(query.offset_changes[0].utc_offset_minutes == 0);
  CHECK(OffsetAt(query, kNov1 + 9 * kDay - 1) == 60);
  CHECK(OffsetAt(query, kNov1 + 9 * kDay) == 0);
  // The day after the change starts at midnight +00:00; the day of it at
  // midnight +01:00 (it has 25 hours).
  CHECK(DayStart(20'767, settings) == kNov1 + 9 * kDay - 3'600'000);
  CHECK(DayStart(20'768, settings) == kNov1 + 10 * kDay);
  // Clocks going forward exactly at a local midnight: the day starts at
  // the change.
  settings.offset_at = [](UnixMillis utc) { return utc < kNov1 + 4 * kDay ? 0 : 60; };
  query = QueryFor(*range, settings);
  REQUIRE(query.offset_changes.size() == 1);
  CHECK(query.offset_changes[0].at == kNov1 + 4 * kDay);
  CHECK(query.offset_changes[0].utc_offset_minutes == 60);
  CHECK(query.to == kNov1 + 30 * kDay - 3'600'000);
  settings.offset_at = [](UnixMillis utc) { return utc < kNov1 + 9 * kDay ? 60 : 0; };
  CHECK(Today(settings, kNov1 - 1) == 20'758);              // 00:59 on Nov 1 local
  CHECK(Today(settings, kNov1 + 10 * kDay - 1) == 20'767);  // UTC now: Nov 10
}

TEST_CASE("settings from config name the bad key") {
  ConfigValues values({{"report.attribution_window_days", "14"},
                       {"report.cost_per_message", "0.01"},
                       {"report.utc_offset", "-05:00"}});
  auto settings = ReportSettingsFrom(values);
  REQUIRE(settings.ok());
  CHECK(settings->attribution_window_days == 14);
  CHECK(settings->cost_per_message_micros == 10'000);
  CHECK(settings->utc_offset_minutes == -300);
  values.Set("report.utc_offset", "pos");
  settings = ReportSettingsFrom(values);
  REQUIRE(settings.ok());
  CHECK(settings->follow_pos_time_zone);
  values.Set("report.cost_per_message", "cheap");
  auto bad = ReportSettingsFrom(values);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("report.cost_per_message") != std::string::npos);
}

}  // namespace
}  // namespace tillbridge::report
