// `tillbridge report` and `tillbridge manager-password`, run as the real
// executable on a store holding the ROI fixture (tests/store/roi_fixture.h):
// the figures it prints are the fixture's hand-computed ones, and bad
// options exit 2 naming the option.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "store/store.h"
#include "store/web_sessions.h"
#include "tests/store/roi_fixture.h"
#include "tests/test_util.h"

namespace tillbridge {
namespace {

using namespace store::testing;

struct Run {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Quote(const std::string& arg) {
  std::string out = "'";
  for (const char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The fixture's store and a config naming it.
class Fixture {
 public:
  Fixture() {
    store::StoreOptions options;
    options.path = dir_.File("tillbridge.db");
    auto opened = store::Store::Open(options);
    REQUIRE(opened.ok());
    REQUIRE(FillRoiFixture(**opened).ok());
    WriteConfig();
  }

  // The config: the fixture's data folder, then `extra` (INI sections).
  // By default the report's days are UTC days, as the fixture's are.
  void WriteConfig(const std::string& extra = "[report]\nutc_offset = +00:00\n") {
    std::ofstream(config_) << "[agent]\ndata_dir = " << dir_.path().string()
                           << "\n[api]\nport = 0\n"
                           << extra;
  }

  // Runs tillbridge with `args`, feeding `input` to its standard input.
  Run Tillbridge(const std::string& args, const std::string& input = "") const {
    const std::string in = dir_.File("stdin"), out = dir_.File("stdout"), err = dir_.File("stderr");
    std::ofstream(in) << input;
    const std::string command = Quote(TILLBRIDGE_BINARY) + " " + args + " --config " +
                                Quote(config_) + " <" + Quote(in) + " >" + Quote(out) + " 2>" +
                                Quote(err);
    const int status = std::system(command.c_str());
    Run run;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = ReadFile(out);
    run.err = ReadFile(err);
    return run;
  }

  std::string File(const std::string& name) const { return dir_.File(name); }
  std::string db() const { return dir_.File("tillbridge.db"); }

 private:
  testing::TempDir dir_;
  std::string config_ = dir_.File("tillbridge.ini");
};

Poco::JSON::Object::Ptr Figure(const Poco::JSON::Object::Ptr& root, const std::string& key) {
  auto headline = root->getArray("headline");
  for (unsigned i = 0; i < headline->size(); ++i) {
    if (headline->getObject(i)->getValue<std::string>("key") == key) return headline->getObject(i);
  }
  FAIL("no figure " << key);
  return nullptr;
}

void CheckParts(const Poco::JSON::Object::Ptr& root, const std::string& key, std::int64_t numerator,
                std::int64_t denominator) {
  CAPTURE(key);
  auto figure = Figure(root, key);
  CHECK(figure->getValue<std::int64_t>("numerator") == numerator);
  CHECK(figure->getValue<std::int64_t>("denominator") == denominator);
}

const char* kNovember = "report --from 2026-11-01 --to 2026-11-30";

TEST_CASE("report --format json gives the fixture's figures") {
  Fixture fixture;
  const Run run = fixture.Tillbridge(std::string(kNovember) + " --format json");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  Poco::JSON::Parser parser;
  auto root = parser.parse(run.out).extract<Poco::JSON::Object::Ptr>();
  auto query = root->getObject("query");
  // --to is the last day included: the store is asked for [Nov 1, Dec 1).
  CHECK(*ParseRfc3339(query->getValue<std::string>("from")) == kRoiFrom);
  CHECK(*ParseRfc3339(query->getValue<std::string>("to")) == kRoiTo);
  CHECK(query->getValue<std::int64_t>("cost_per_message_micros") == kRoiCostPerMessageMicros);
  CHECK(root->getValue<std::string>("currency") == kRoiCurrency);
  CHECK(root->getObject("window")->getValue<int>("attribution_window_days") == 7);
  auto totals = root->getObject("totals");
  CHECK(totals->getValue<std::int64_t>("sales") == kRoiSales);
  CHECK(totals->getValue<std::int64_t>("revenue_minor") == kRoiRevenue);
  CHECK(totals->getValue<std::int64_t>("identified_sales") == kRoiIdentifiedSales);
  CHECK(totals->getValue<std::int64_t>("customers") == kRoiCustomers);
  CHECK(totals->getValue<std::int64_t>("messages_sent") == kRoiMessagesSent);
  CHECK(totals->getValue<std::int64_t>("attributed_sales") == kRoiAttributedSales);
  CHECK(totals->getValue<std::int64_t>("attributed_revenue_minor") == kRoiAttributedRevenue);
  CHECK(totals->getValue<std::int64_t>("reversed_attributions") == kRoiReversedAttributions);

  CheckParts(root, "coupon_redemption_rate", kRoiCouponsRedeemed, kRoiCouponsTexted);
  CheckParts(root, "subscriber_repeat_rate", kRoiSubscriberRepeaters, kRoiSubscriberCustomers);
  CheckParts(root, "non_subscriber_repeat_rate", kRoiNonSubscriberRepeaters,
             kRoiNonSubscriberCustomers);
  CheckParts(root, "aov_attributed", kRoiAttributedRevenue, kRoiAttributedSales);
  CheckParts(root, "aov_other", kRoiOtherRevenue, kRoiOtherSales);
  CheckParts(root, "aov_uplift", kRoiUpliftNumerator, kRoiUpliftDenominator);
  CheckParts(root, "revenue_per_message", kRoiAttributedRevenue, kRoiMessagesSent);
  CheckParts(root, "campaign_roi", kRoiRoiNumerator, kRoiCostMinor);
  CheckParts(root, "counter_opt_in_rate", kRoiCounterOptIns, kRoiSales);
  // The value is the quotient: a fraction for ratios, dollars for money.
  CHECK(Figure(root, "coupon_redemption_rate")->getValue<double>("value") ==
        doctest::Approx(static_cast<double>(kRoiCouponsRedeemed) / kRoiCouponsTexted));
  CHECK(Figure(root, "aov_attributed")->getValue<double>("value") ==
        doctest::Approx(static_cast<double>(kRoiAttributedRevenue) / kRoiAttributedSales / 100));
  CHECK(Figure(root, "aov_attributed")->getValue<std::string>("unit") == "money");

  // The campaign table of the fixture's comment, most revenue first.
  auto campaigns = root->getArray("campaigns");
  REQUIRE(campaigns->size() == 4);
  CHECK(campaigns->getObject(0)->getValue<std::string>("campaign") == "cmp_weekend");
  CHECK(campaigns->getObject(0)->getValue<std::int64_t>("attributed_revenue_minor") == 9200);
  CHECK(campaigns->getObject(1)->getValue<std::string>("campaign") == "cmp_welcome_coupon");
  auto trend = root->getArray("trend");
  REQUIRE(trend->size() == 30);
  CHECK(trend->getObject(0)->getValue<std::string>("date") == "2026-11-01");
  CHECK(trend->getObject(29)->getValue<std::string>("date") == "2026-11-30");
  CHECK(trend->getObject(27)->getValue<std::int64_t>("attributed_revenue_minor") == 4500);
  CHECK(root->getArray("notes")->size() == 1);
}

TEST_CASE("report writes csv and html files, and a text summary by default") {
  Fixture fixture;
  const std::string csv_path = fixture.File("roi.csv");
  Run run = fixture.Tillbridge(std::string(kNovember) + " --format csv --out " + Quote(csv_path));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.find("2026-11-01 to 2026-11-30 (both days included)") != std::string::npos);
  const std::string csv = ReadFile(csv_path);
  CHECK(csv.find("figure,coupon_redemption_rate,Coupon redemption rate,ratio,0.6,60.0%,3,5,") !=
        std::string::npos);
  CHECK(csv.find(",campaign_roi,Campaign ROI,ratio,") != std::string::npos);
  CHECK(csv.find(",18693,7,") != std::string::npos);
  CHECK(csv.find("day,2026-11-28,45.00,45.00,1,1\r\n") != std::string::npos);
  CHECK(csv.find("cashier,c-ann,2,4\r\n") != std::string::npos);

  const std::string html_path = fixture.File("roi.html");
  run = fixture.Tillbridge(std::string(kNovember) + " --format html --out " + Quote(html_path));
  REQUIRE(run.exit_code == 0);
  const std::string html = ReadFile(html_path);
  CHECK(html.find("<p class=\"tb-value\">60.0%</p>") != std::string::npos);
  CHECK(html.find(">Attributed revenue: 187.00 USD</text>") != std::string::npos);
  CHECK(html.find(">Total revenue: 356.00 USD</text>") != std::string::npos);
  CHECK(html.find("data-chart=\"funnel\"") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);

  run = fixture.Tillbridge(kNovember);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.find("Coupon redemption rate") != std::string::npos);
  CHECK(run.out.find("= 3 distinct coupon codes") != std::string::npos);
  CHECK(run.out.find("60.0%") != std::string::npos);
}

TEST_CASE("--cost-per-message and report.* keys change the cost and the days") {
  Fixture fixture;
  // 9 messages x 1.58 cents = 14.22 cents -> 14.
  Run run = fixture.Tillbridge(std::string(kNovember) + " --format json --cost-per-message 0.0158");
  REQUIRE(run.exit_code == 0);
  Poco::JSON::Parser parser;
  auto root = parser.parse(run.out).extract<Poco::JSON::Object::Ptr>();
  CHECK(Figure(root, "campaign_roi")->getValue<std::int64_t>("denominator") == 14);

  // Local days one hour east of UTC: the report starts an hour earlier.
  fixture.WriteConfig("[report]\nutc_offset = +01:00\ncost_per_message = 0.0100\n");
  run = fixture.Tillbridge(std::string(kNovember) + " --format json");
  REQUIRE(run.exit_code == 0);
  root = Poco::JSON::Parser().parse(run.out).extract<Poco::JSON::Object::Ptr>();
  CHECK(*ParseRfc3339(root->getObject("query")->getValue<std::string>("from")) ==
        kRoiFrom - 3'600'000);
  CHECK(root->getObject("query")->getValue<std::int64_t>("cost_per_message_micros") == 10'000);

  // By default the days are the POS's: pos.time_zone, two hours east here.
  fixture.WriteConfig("[pos]\ntime_zone = +02:00\n");
  run = fixture.Tillbridge(std::string(kNovember) + " --format json");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  root = Poco::JSON::Parser().parse(run.out).extract<Poco::JSON::Object::Ptr>();
  CHECK(*ParseRfc3339(root->getObject("query")->getValue<std::string>("from")) ==
        kRoiFrom - 2 * 3'600'000);
  CHECK(root->getObject("query")->getValue<std::string>("utc_offset") == "+02:00");
  CHECK(root->getObject("query")->getArray("utc_offset_changes")->size() == 0);

  // A zone with daylight saving: New York's clocks go back on Nov 1, 2026
  // at 06:00 UTC, so November starts at 04:00 UTC (EDT) and ends at 05:00
  // UTC (EST), and the report says so.
  fixture.WriteConfig("[pos]\ntime_zone = America/New_York\n");
  run = fixture.Tillbridge(std::string(kNovember) + " --format json");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  root = Poco::JSON::Parser().parse(run.out).extract<Poco::JSON::Object::Ptr>();
  auto query = root->getObject("query");
  CHECK(query->getValue<std::string>("from") == "2026-11-01T04:00:00.000Z");
  CHECK(query->getValue<std::string>("to") == "2026-12-01T05:00:00.000Z");
  CHECK(query->getValue<std::string>("last_day") == "2026-11-30");
  CHECK(query->getValue<std::string>("utc_offset") == "-04:00");
  auto changes = query->getArray("utc_offset_changes");
  REQUIRE(changes->size() == 1);
  CHECK(changes->getObject(0)->getValue<std::string>("at") == "2026-11-01T06:00:00.000Z");
  CHECK(changes->getObject(0)->getValue<std::string>("utc_offset") == "-05:00");
  CHECK(root->getObject("totals")->getValue<std::int64_t>("sales") == kRoiSales);
  run = fixture.Tillbridge(kNovember);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.find("(both days included, UTC-04:00, UTC-05:00 from 2026-11-01 01:00)") !=
        std::string::npos);

  fixture.WriteConfig("[report]\ncost_per_message = free\n");
  run = fixture.Tillbridge(kNovember);
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("report.cost_per_message") != std::string::npos);
  fixture.WriteConfig("[report]\nutc_offset = +1\n");
  run = fixture.Tillbridge(kNovember);
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("report.utc_offset") != std::string::npos);
  fixture.WriteConfig("[pos]\ntime_zone = Nowhere/Atlantis\n");
  run = fixture.Tillbridge(kNovember);
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("pos.time_zone") != std::string::npos);
}

TEST_CASE("report refuses bad options with exit 2 naming them") {
  Fixture fixture;
  struct Case {
    std::string args, option;
  };
  for (const Case& bad : {
           Case{"report --from 2026-13-01", "--from"},
           Case{"report --from 2026-11-01 --to 2026-11-31", "--to"},
           Case{"report --from 2026-12-01 --to 2026-11-01", "--from"},
           Case{"report --format pdf", "--format"},
           Case{"report --cost-per-message abc", "--cost-per-message"},
           Case{"report --out /nonexistent-folder/roi.csv --format csv", "--out"},
           Case{"report --frm 2026-11-01", "--frm"},
           Case{"report extra", "extra"},
       }) {
    CAPTURE(bad.args);
    const Run run = fixture.Tillbridge(bad.args);
    CHECK(run.exit_code == 2);
    CHECK(run.err.find(bad.option) != std::string::npos);
    CHECK(run.out.empty());
  }
}

TEST_CASE("manager-password stores a salted PBKDF2 hash that status does not show") {
  Fixture fixture;
  Run run = fixture.Tillbridge("manager-password --stdin", "short\n");
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("at least 10 characters") != std::string::npos);
  // Without --stdin, a pipe is refused: the password would be asked twice.
  run = fixture.Tillbridge("manager-password", "long enough password\n");
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("--stdin") != std::string::npos);

  run = fixture.Tillbridge("manager-password --stdin", "correct horse battery\n");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  {
    store::StoreOptions options;
    options.path = fixture.db();
    auto opened = store::Store::Open(options);
    REQUIRE(opened.ok());
    auto hash = (*opened)->web_sessions().ManagerPasswordHash();
    REQUIRE(hash.ok());
    REQUIRE(hash->has_value());
    CHECK((*hash)->rfind("pbkdf2-sha256$210000$", 0) == 0);
    CHECK((*hash)->find("correct horse") == std::string::npos);
  }
  run = fixture.Tillbridge("status --json");
  CHECK(run.out.find("pbkdf2") == std::string::npos);
  CHECK(run.out.find("manager.") == std::string::npos);
}

}  // namespace
}  // namespace tillbridge
