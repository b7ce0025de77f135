// A real ApiServer on a temp store and an ephemeral port, for tests that
// drive it from outside (the browser test). Prints, one per line:
//   BASE_URL http://127.0.0.1:PORT
//   LAUNCH_URL http://127.0.0.1:PORT/launch?...
//   TOKEN <token>
//   DB <path of the SQLite store>
// then serves until its standard input closes (or "quit" arrives), so it
// never outlives the test that started it. Optional: --double-opt-in.
// "coupon CODE FROM_S UNTIL_S" on standard input stores a coupon valid from
// FROM_S to UNTIL_S seconds from now, as the change feed would, and answers
// "COUPON CODE".
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>

#include "agent/api/api_server.h"
#include "agent/api/api_token.h"
#include "common/phone.h"
#include "store/cloud_changes.h"
#include "store/store.h"
#include "tests/test_util.h"

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
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--double-opt-in") == 0) options.double_opt_in = true;
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
            << "TOKEN " << *token << "\n"
            << "DB " << store_options.path << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line == "quit") break;
    if (line == "launch") std::cout << "LAUNCH_URL " << (*server)->LaunchUrl() << std::endl;
    if (line.rfind("coupon ", 0) == 0) {
      std::istringstream words(line.substr(7));
      store::CloudCoupon coupon;
      std::int64_t from_s = 0, until_s = 0;
      words >> coupon.code >> from_s >> until_s;
      const UnixMillis now = SystemClock::Instance().NowMillis();
      coupon.description = "10% off your next purchase";
      coupon.discount_percent = 10;
      coupon.valid_from = now + from_s * 1000;
      coupon.valid_until = now + until_s * 1000;
      store::CloudChange change;
      change.change_id = "chg-" + coupon.code;
      change.occurred_at = now;
      change.data = coupon;
      auto applied = (*store)->cloud_changes().ApplyPage({change}, "test-" + coupon.code);
      std::cout << (applied.ok() ? "COUPON " + coupon.code : "ERROR " + applied.status().ToString())
                << std::endl;
    }
  }
  (*server)->Stop();
  return 0;
}
