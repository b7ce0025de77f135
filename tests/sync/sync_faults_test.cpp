// 10,000 events through a cloud that fails 30 % of requests (errors, 429
// with Retry-After, connections dropped before and after processing): the
// cloud ends with exactly 10,000 distinct events and no effect twice.
// TILLBRIDGE_TEST_SEED and TILLBRIDGE_TEST_FAILURE_RATE run it with other
// values (docs/testing.md).
#include <doctest/doctest.h>

#include "common/metrics.h"
#include "store/consent_ledger.h"
#include "store/outbox.h"
#include "store/store.h"
#include "store/transaction_log.h"
#include "sync/sync_service.h"
#include "tests/sync/sync_test_util.h"
#include "tests/test_util.h"

using namespace std::chrono_literals;
using namespace tillbridge;

TEST_CASE(
    "10,000 events through injected failures (30 % of requests by default) arrive exactly once") {
  constexpr std::int64_t kEvents = 10'000;
  constexpr int kCustomers = 100;
  constexpr int kConsenting = 20;
  const std::uint64_t seed = testing::TestSeed();
  const double failure_rate = testing::TestFailureRate(0.30);
  MESSAGE("seed " << seed << ", failure rate " << failure_rate
                  << " (set TILLBRIDGE_TEST_SEED / TILLBRIDGE_TEST_FAILURE_RATE to change)");

  testing::TempDir dir;
  testing::RefCloud::Options cloud_options;
  cloud_options.extra_args = {"--quiet", "--seed", std::to_string(seed % 1'000'000)};
  auto cloud = testing::RefCloud::Start(dir.path().string(), cloud_options);
  REQUIRE_MESSAGE(cloud.ok(), cloud.status().ToString());
  REQUIRE((*cloud)->SetFaults(testing::FaultsForRate(failure_rate)));
  REQUIRE((*cloud)->SetFaults(R"({"latency_ms":1,"latency_jitter_ms":4})"));

  store::StoreOptions store_options;
  store_options.path = dir.File("agent.db");
  store_options.store_id = "store-1";
  auto store = store::Store::Open(store_options);
  REQUIRE(store.ok());
  for (int i = 0; i < kConsenting; ++i) {
    store::ConsentChange change;
    change.phone = testing::CustomerPhone(i);
    change.purpose = store::ConsentPurpose::kTransactional;
    change.granted = true;
    change.method = "keypad";
    change.actor = "c-1";
    change.occurred_at = (*store)->clock().NowMillis();
    REQUIRE((*store)->consents().Record(change).ok());
  }

  auto options = (*cloud)->SyncOptionsFor();
  options.cloud.batch_max_events = 100;
  options.jitter_seed = seed;
  sync::SyncService service(**store, options);
  REQUIRE(service.Start().ok());
  // Sales keep arriving while sync runs, as at a register.
  for (std::int64_t first = 1; first <= kEvents; first += 500) {
    REQUIRE((*store)
                ->transactions()
                .Ingest("sim",
                        testing::MakeSales(first, 500, kCustomers, (*store)->clock().NowMillis()),
                        std::to_string(first + 499))
                .ok());
  }
  const bool drained =
      testing::WaitUntilTrue([&] { return *(*store)->outbox().Depth() == 0; }, 100s);
  auto stats = (*cloud)->Stats();
  MESSAGE("faults injected: " << stats.Text("faults") << "; deliveries "
                              << stats.Int("events_received"));
  REQUIRE(drained);
  service.Stop();

  CHECK(stats.Int("events_distinct") == kEvents + kConsenting);
  CHECK((*store)->outbox().DeadLetters(10)->empty());
  CHECK(stats.Int("effects_repeated") == 0);
  const std::int64_t receipts = kEvents / kCustomers * kConsenting;
  CHECK(stats.Int("messages") == receipts);
  CHECK(stats.Int("effects") == receipts + kConsenting);
  // The faults really happened, and a repeat delivery really occurred.
  if (failure_rate >= 0.05) {
    CHECK(stats.Int("faults.error") > 0);
    CHECK(stats.Int("faults.throttle") > 0);
    CHECK(stats.Int("faults.drop_before") > 0);
    CHECK(stats.Int("faults.drop_after") > 0);
    CHECK(stats.Int("events_received") > stats.Int("events_distinct"));
  }
  CHECK_MESSAGE(stats.Int("faults.early_retries") == 0,
                (*cloud)->process().Output().substr(0, 4000));
  // Every event the cloud holds is one this store queued.
  std::int64_t listed = 0;
  for (const auto& [customer, pos_id] : (*cloud)->EventsInOrder()) {
    (void)customer;
    if (!pos_id.empty()) {
      const auto id = std::stoll(pos_id);
      CHECK((id >= 1 && id <= kEvents));
    }
    ++listed;
  }
  CHECK(listed == kEvents + kConsenting);
}
