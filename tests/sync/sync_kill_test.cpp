// The syncing process is SIGKILLed at random moments, again and again, while
// it produces sales and syncs both ways through a faulty cloud. Afterwards
// nothing may be lost and nothing applied twice. TILLBRIDGE_TEST_SEED,
// TILLBRIDGE_TEST_FAILURE_RATE and TILLBRIDGE_TEST_KILLS run it with other
// values (docs/testing.md).
#include <doctest/doctest.h>
#include <signal.h>

#include <map>
#include <random>
#include <thread>

#include "store/customers.h"
#include "store/outbox.h"
#include "store/store.h"
#include "store/transaction_log.h"
#include "sync/sync_service.h"
#include "tests/sync/sync_test_util.h"
#include "tests/test_util.h"

using namespace std::chrono_literals;
using namespace tillbridge;

namespace {

constexpr std::int64_t kSales = 6000;
constexpr int kCustomers = 40;
constexpr int kConsenting = 10;
constexpr int kDefaultKills = 24;

}  // namespace

TEST_CASE("SIGKILL at random moments loses nothing and applies nothing twice") {
  const std::uint64_t seed = testing::TestSeed();
  const double failure_rate = testing::TestFailureRate(0.25);
  const int kills = testing::TestKills(kDefaultKills);
  MESSAGE("seed " << seed << ", failure rate " << failure_rate << ", " << kills
                  << " kills (set TILLBRIDGE_TEST_SEED / _FAILURE_RATE / _KILLS to change)");
  std::mt19937_64 random(seed);
  testing::TempDir dir;
  testing::RefCloud::Options cloud_options;
  cloud_options.extra_args = {"--quiet", "--seed", std::to_string(seed % 1'000'000)};
  auto cloud = testing::RefCloud::Start(dir.path().string(), cloud_options);
  REQUIRE_MESSAGE(cloud.ok(), cloud.status().ToString());
  REQUIRE((*cloud)->SetFaults(testing::FaultsForRate(failure_rate)));
  const std::string store_path = dir.File("agent.db");
  const std::vector<std::string> argv = {testing::BinaryPath("tests/sync/tillbridge-sync-driver"),
                                         "--store",
                                         store_path,
                                         "--url",
                                         (*cloud)->url(),
                                         "--token",
                                         (*cloud)->options().token,
                                         "--produce",
                                         std::to_string(kSales),
                                         "--customers",
                                         std::to_string(kCustomers),
                                         "--consenting",
                                         std::to_string(kConsenting),
                                         "--batch",
                                         "60",
                                         "--pause-ms",
                                         "30",
                                         "--batch-max-events",
                                         "80",
                                         "--seed",
                                         std::to_string(seed % 100000 + 1)};

  std::uniform_int_distribution<int> pause_ms(80, 700);
  int killed_while_running = 0;
  for (int round = 0; round < kills; ++round) {
    auto driver = testing::ChildProcess::Spawn(argv, dir.File("driver.log"));
    REQUIRE(driver.ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
    if ((*driver)->running()) ++killed_while_running;
    (*driver)->Signal(SIGKILL);
    CHECK((*driver)->Wait(10s) == 128 + SIGKILL);
  }
  CHECK(killed_while_running == kills);

  // Let it finish: produce the rest and drain, still through the faults.
  std::vector<std::string> last = argv;
  last.push_back("--exit-when-drained");
  auto driver = testing::ChildProcess::Spawn(last, dir.File("driver.log"));
  REQUIRE(driver.ok());
  const int exit_code = (*driver)->Wait(90s);
  REQUIRE_MESSAGE(exit_code == 0, (*driver)->Output());

  // Catch up on the change feed without faults, in this process.
  REQUIRE((*cloud)->SetFaults(R"({"reset":true})"));
  store::StoreOptions options;
  options.path = store_path;
  options.store_id = "store-1";
  options.terminal_id = "lane-1";
  auto store = store::Store::Open(options);
  REQUIRE(store.ok());
  REQUIRE((*store)->CheckIntegrity().ok());
  CHECK(*(*store)->transactions().Count() == kSales);
  CHECK(*(*store)->outbox().Depth() == 0);
  CHECK((*store)->outbox().DeadLetters(10)->empty());

  auto stats = (*cloud)->Stats();
  const auto ledger_rows = (*store)->Stats()->ledger_rows;
  CHECK(ledger_rows == kConsenting);
  // Every sale and every consent change, each exactly once.
  CHECK(stats.Int("events_distinct") == kSales + kConsenting);
  CHECK(stats.Int("effects_repeated") == 0);
  // Receipts went to the consenting customers' sales only, once each.
  const std::int64_t receipts = kSales / kCustomers * kConsenting;
  CHECK(stats.Int("effects") == receipts + kConsenting);
  CHECK(stats.Int("messages") == receipts);
  MESSAGE("cloud saw " << stats.Int("events_received") << " deliveries of "
                       << stats.Int("events_distinct") << " events; faults "
                       << stats.Text("faults"));
  if (failure_rate >= 0.05) CHECK(stats.Int("events_received") > stats.Int("events_distinct"));

  // Pulled engagement: every "message sent" the cloud recorded arrived once.
  auto sync_options = (*cloud)->SyncOptionsFor();
  sync::SyncService service(**store, sync_options);
  REQUIRE(service.Start().ok());
  std::map<std::string, std::int64_t> sent_by_phone;
  auto messages = (*cloud)->Admin("GET", "/admin/messages?limit=100000").json.Array("messages");
  for (const auto& message : messages) ++sent_by_phone[message.Text("phone")];
  REQUIRE(sent_by_phone.size() == static_cast<size_t>(kConsenting));
  const auto local_sent = [&](const std::string& phone) -> std::int64_t {
    auto profile = (*store)->customers().Find(phone);
    if (!profile.ok() || !profile->has_value()) return -1;
    auto it = (*profile)->engagement_counts.find("message_sent");
    return it == (*profile)->engagement_counts.end() ? 0 : it->second;
  };
  CHECK(testing::WaitUntilTrue(
      [&] {
        for (const auto& [phone, count] : sent_by_phone) {
          if (local_sent(phone) != count) return false;
        }
        return true;
      },
      30s));
  for (const auto& [phone, count] : sent_by_phone) CHECK(local_sent(phone) == count);
}
