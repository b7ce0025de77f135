// A real ApiServer on a temp store and an ephemeral port, for tests that
// drive it from outside (the browser test). Prints, one per line:
//   BASE_URL http://127.0.0.1:PORT
//   LAUNCH_URL http://127.0.0.1:PORT/launch?...
//   TOKEN <token>
//   DB <path of the SQLite store>
// then serves until its standard input closes (or "quit" arrives), so it
// never outlives the test that started it. Optional: --double-opt-in;
// --roi-fixture fills the store with the ROI fixture (tests/store/
// roi_fixture.h) and, before DB, prints one line per headline figure with
// the fixture's hand-computed parts: "EXPECT KEY UNIT NUMERATOR DENOMINATOR";
// --manager-password PW sets the manager page's password.
// "coupon CODE FROM_S UNTIL_S [PHONE|-] [UPC]" on standard input stores a coupon
// valid from FROM_S to UNTIL_S seconds from now (issued to PHONE when given),
// as the change feed would, and answers "COUPON CODE". These store cloud data
// the same way and answer "DONE <the line>":
//   loyalty PHONE POINTS TIER
//   segments PHONE NAME...
//   engagement PHONE KIND MINUTES_AGO CAMPAIGN NAME WITH SPACES
//   lastpull SECONDS_AGO      (when the change feed last answered)
#include <cstdint>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>

#include "agent/api/api_server.h"
#include "agent/api/api_token.h"
#include "agent/api/manager_password.h"
#include "common/clock.h"
#include "common/phone.h"
#include "store/cloud_changes.h"
#include "store/store.h"
#include "store/sync_state.h"
#include "store/web_sessions.h"
#include "tests/store/roi_fixture.h"
#include "tests/test_util.h"

namespace {

using namespace tillbridge;

// Applies one change as the feed would; "DONE <line>" or "ERROR <why>".
std::string ApplyOne(store::Store& store, const std::string& line, store::CloudChange change) {
  static int serial = 0;
  change.change_id = "chg-test-" + std::to_string(++serial);
  if (change.occurred_at == 0) change.occurred_at = SystemClock::Instance().NowMillis();
  auto applied = store.cloud_changes().ApplyPage({change}, change.change_id);
  if (!applied.ok()) return "ERROR " + applied.status().ToString();
  if (!applied->skip_reasons.empty()) return "ERROR " + applied->skip_reasons.front();
  return "DONE " + line;
}

// Handles the cloud-data commands; empty when `line` is none of them.
std::string CloudCommand(store::Store& store, const std::string& line) {
  std::istringstream words(line);
  std::string command;
  words >> command;
  const UnixMillis now = SystemClock::Instance().NowMillis();
  if (command == "lastpull") {
    std::int64_t seconds_ago = 0;
    if (!(words >> seconds_ago)) return "ERROR lastpull needs SECONDS_AGO";
    auto set =
        store.sync_state().Set("cloud.last_pull_at", FormatRfc3339(now - seconds_ago * 1000));
    return set.ok() ? "DONE " + line : "ERROR " + set.ToString();
  }
  store::CloudChange change;
  words >> change.phone;
  if (command == "loyalty") {
    store::CloudLoyalty loyalty;
    std::int64_t points = 0;
    std::string tier;
    words >> points >> tier;
    loyalty.points = points;
    loyalty.tier = tier;
    change.data = loyalty;
    return ApplyOne(store, line, change);
  }
  if (command == "segments") {
    store::CloudSegments segments;
    for (std::string name; words >> name;) segments.segments.push_back(name);
    change.data = segments;
    return ApplyOne(store, line, change);
  }
  if (command == "engagement") {
    store::CloudEngagement engagement;
    std::int64_t minutes_ago = 0;
    words >> engagement.kind >> minutes_ago >> std::ws;
    std::getline(words, engagement.campaign);
    change.occurred_at = now - minutes_ago * 60'000;
    change.data = engagement;
    return ApplyOne(store, line, change);
  }
  return "";
}

// The ROI fixture's expected headline, from its constants.
void PrintRoiExpectations() {
  using namespace store::testing;
  struct Expected {
    const char* key;
    const char* unit;
    std::int64_t numerator, denominator;
  };
  const Expected figures[] = {
      {"coupon_redemption_rate", "ratio", kRoiCouponsRedeemed, kRoiCouponsTexted},
      {"subscriber_repeat_rate", "ratio", kRoiSubscriberRepeaters, kRoiSubscriberCustomers},
      {"non_subscriber_repeat_rate", "ratio", kRoiNonSubscriberRepeaters,
       kRoiNonSubscriberCustomers},
      {"aov_attributed", "money", kRoiAttributedRevenue, kRoiAttributedSales},
      {"aov_other", "money", kRoiOtherRevenue, kRoiOtherSales},
      {"aov_uplift", "ratio", kRoiUpliftNumerator, kRoiUpliftDenominator},
      {"revenue_per_message", "money", kRoiAttributedRevenue, kRoiMessagesSent},
      {"campaign_roi", "ratio", kRoiRoiNumerator, kRoiCostMinor},
      {"counter_opt_in_rate", "ratio", kRoiCounterOptIns, kRoiSales},
  };
  for (const Expected& figure : figures) {
    std::cout << "EXPECT " << figure.key << " " << figure.unit << " " << figure.numerator << " "
              << figure.denominator << "\n";
  }
  std::cout << "EXPECT_TOTAL revenue " << kRoiRevenue << " attributed " << kRoiAttributedRevenue
            << " sales " << kRoiAttributedSales << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tillbridge;
  testing::TempDir dir;
  store::StoreOptions store_options;
  store_options.path = dir.File("store.db");
  store_options.store_id = "store-7";
  store_options.terminal_id = "lane-3";
  auto store = store::Store::Open(store_options);
  if (!store.ok()) {
    std::cerr << "cannot open the store: " << store.status().ToString() << "\n";
    return 1;
  }
  agent::ApiOptions options;
  options.port = 0;
  options.token_file = dir.File("api-token");
  bool roi_fixture = false;
  std::string manager_password;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--double-opt-in") == 0) options.double_opt_in = true;
    if (std::strcmp(argv[i], "--roi-fixture") == 0) roi_fixture = true;
    if (std::strcmp(argv[i], "--manager-password") == 0 && i + 1 < argc) {
      manager_password = argv[++i];
    }
  }
  if (roi_fixture) {
    if (Status filled = store::testing::FillRoiFixture(**store); !filled.ok()) {
      std::cerr << "cannot fill the ROI fixture: " << filled.ToString() << "\n";
      return 1;
    }
  }
  if (!manager_password.empty()) {
    auto hash = agent::HashManagerPassword(manager_password);
    if (!hash.ok() || !(*store)->web_sessions().SetManagerPasswordHash(*hash).ok()) {
      std::cerr << "cannot set the manager password\n";
      return 1;
    }
  }
  options.transactional_disclosure = {
      "By giving us your mobile number you agree to receive transactional text messages "
      "(receipts, order updates) from this store. Msg & data rates may apply. Reply STOP to "
      "stop, HELP for help. Consent is not a condition of purchase.",
      "About one message per purchase"};
  options.marketing_disclosure = {
      "Yes, send me recurring marketing text messages (offers, coupons, loyalty news) from this "
      "store. Msg & data rates may apply. Consent is not a condition of purchase. Reply STOP to "
      "opt out at any time.",
      "Up to 4 messages per month"};
  PhoneNormalizer phones("US");
  auto server = agent::ApiServer::Start(options, **store, phones);
  if (!server.ok()) {
    std::cerr << "cannot start the API: " << server.status().ToString() << "\n";
    return 1;
  }
  auto token = agent::LoadOrCreateApiToken(options.token_file);
  if (!token.ok()) {
    std::cerr << token.status().ToString() << "\n";
    return 1;
  }
  std::cout << "BASE_URL " << (*server)->BaseUrl() << "\n"
            << "LAUNCH_URL " << (*server)->LaunchUrl() << "\n"
            << "TOKEN " << *token << "\n";
  if (roi_fixture) PrintRoiExpectations();
  std::cout << "DB " << store_options.path << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line == "quit") break;
    if (line == "launch") std::cout << "LAUNCH_URL " << (*server)->LaunchUrl() << std::endl;
    if (line.rfind("coupon ", 0) == 0) {
      std::istringstream words(line.substr(7));
      store::CloudCoupon coupon;
      std::int64_t from_s = 0, until_s = 0;
      std::string phone, upc;
      words >> coupon.code >> from_s >> until_s >> phone >> upc;
      if (phone == "-") phone.clear();
      coupon.upc = upc;
      const UnixMillis now = SystemClock::Instance().NowMillis();
      coupon.description = "10% off your next purchase";
      coupon.discount_percent = 10;
      coupon.valid_from = now + from_s * 1000;
      coupon.valid_until = now + until_s * 1000;
      store::CloudChange change;
      change.change_id = "chg-" + coupon.code;
      change.phone = phone;
      change.occurred_at = now;
      change.data = coupon;
      auto applied = (*store)->cloud_changes().ApplyPage({change}, "test-" + coupon.code);
      std::cout << (applied.ok() ? "COUPON " + coupon.code : "ERROR " + applied.status().ToString())
                << std::endl;
    } else if (const std::string answer = CloudCommand(**store, line); !answer.empty()) {
      std::cout << answer << std::endl;
    }
  }
  (*server)->Stop();
  return 0;
}
