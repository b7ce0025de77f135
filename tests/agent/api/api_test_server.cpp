// A real ApiServer on a temp store and an ephemeral port, for tests that
// drive it from outside (the browser test). Prints, one per line:
//   BASE_URL http://127.0.0.1:PORT
//   LAUNCH_URL http://127.0.0.1:PORT/launch?...
//   TOKEN <token>
//   DB <path of the SQLite store>
// then serves until its standard input closes (or "quit" arrives), so it
// never outlives the test that started it. Optional: --double-opt-in.
#include <cstring>
#include <iostream>
#include <string>

#include "agent/api/api_server.h"
#include "agent/api/api_token.h"
#include "common/phone.h"
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
  }
  (*server)->Stop();
  return 0;
}
