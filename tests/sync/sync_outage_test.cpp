// A 24-hour cloud outage, time-compressed with a clock that runs fast,
// while 50,000 sales queue up. After recovery everything is delivered, each
// customer's events in the order they happened.
#include <doctest/doctest.h>

#include <map>
#include <thread>

#include "common/metrics.h"
#include "store/outbox.h"
#include "store/store.h"
#include "store/transaction_log.h"
#include "sync/sync_service.h"
#include "tests/sync/sync_test_util.h"
#include "tests/test_util.h"

using namespace std::chrono_literals;
using namespace tillbridge;

TEST_CASE(
    "a 24-hour outage with 50,000 queued events: all delivered after, in order per customer") {
  constexpr std::int64_t kEvents = 50'000;
  constexpr int kCustomers = 250;
  constexpr UnixMillis kDay = 24LL * 3600 * 1000;

  testing::TempDir dir;
  testing::RefCloud::Options cloud_options;
  cloud_options.extra_args = {"--quiet", "--max-batch-events", "2000"};
  auto cloud = testing::RefCloud::Start(dir.path().string(), cloud_options);
  REQUIRE_MESSAGE(cloud.ok(), cloud.status().ToString());
  REQUIRE((*cloud)->SetFaults(R"({"outage":true})"));

  testing::FastClock clock(SystemClock::Instance().NowMillis());
  store::StoreOptions store_options;
  store_options.path = dir.File("agent.db");
  store_options.store_id = "store-1";
  store_options.clock = &clock;
  auto store = store::Store::Open(store_options);
  REQUIRE(store.ok());

  // Production settings for retry timing: 1 s initial, 5 min cap.
  auto options = (*cloud)->SyncOptionsFor();
  options.cloud.endpoint.backoff_initial = 1s;
  options.cloud.endpoint.backoff_max = 5min;
  options.cloud.batch_max_events = 1000;
  options.cloud.pull = false;
  sync::SyncService service(**store, options);
  REQUIRE(service.Start().ok());

  const UnixMillis outage_start = clock.NowMillis();
  // The clock runs an hour per real second while sales queue up, and
  // faster once they are all in: 24 simulated hours in a few real seconds.
  clock.SetSpeed(3600);
  const auto ingest_started = std::chrono::steady_clock::now();
  for (std::int64_t first = 1; first <= kEvents; first += 1000) {
    REQUIRE((*store)
                ->transactions()
                .Ingest("sim", testing::MakeSales(first, 1000, kCustomers, clock.NowMillis()),
                        std::to_string(first + 999))
                .ok());
  }
  MESSAGE(
      "queued "
      << kEvents << " sales in "
      << std::chrono::duration<double>(std::chrono::steady_clock::now() - ingest_started).count()
      << " s");
  clock.SetSpeed(20'000);
  REQUIRE(testing::WaitUntilTrue([&] { return clock.NowMillis() - outage_start >= kDay; }, 60s));
  clock.SetSpeed(600);

  // What status shows during the outage.
  auto during = (*store)->Stats();
  REQUIRE(during.ok());
  CHECK(during->outbox_depth == kEvents);
  CHECK(during->outbox_oldest_age_ms >= kDay - 3600'000);
  CHECK(during->sync.at("cloud.state") == "offline");
  CHECK(service.Snapshot().states.at("cloud") == "offline");
  CHECK(MetricsRegistry::Global().RenderPrometheus().find(
            "tillbridge_sync_online{destination=\"cloud\"} 0") != std::string::npos);
  auto outage_stats = (*cloud)->Stats();
  CHECK(outage_stats.Int("events_distinct") == 0);
  // Retries went on through the outage (the backoff is capped).
  CHECK(outage_stats.Int("faults.outage") >= 5);
  MESSAGE("attempts refused during the outage: " << outage_stats.Int("faults.outage"));

  REQUIRE((*cloud)->SetFaults(R"({"outage":false})"));
  const auto recovered = std::chrono::steady_clock::now();
  const bool drained =
      testing::WaitUntilTrue([&] { return *(*store)->outbox().Depth() == 0; }, 100s);
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - recovered).count();
  REQUIRE(drained);
  MESSAGE("drained " << kEvents << " events in " << seconds << " s after recovery");
  service.Stop();

  auto stats = (*cloud)->Stats();
  CHECK(stats.Int("events_distinct") == kEvents);
  CHECK(stats.Int("effects_repeated") == 0);
  CHECK((*store)->outbox().DeadLetters(5)->empty());
  CHECK((*store)->Stats()->sync.at("cloud.state") == "online");

  // Per customer, the cloud first saw the sales in the order they happened.
  std::map<std::string, std::int64_t> last_seen;
  std::int64_t events = 0, out_of_order = 0;
  for (const auto& [customer, pos_id] : (*cloud)->EventsInOrder()) {
    const std::int64_t number = std::stoll(pos_id);
    auto [it, inserted] = last_seen.emplace(customer, number);
    if (!inserted) {
      if (number < it->second) ++out_of_order;
      it->second = number;
    }
    ++events;
  }
  CHECK(events == kEvents);
  CHECK(last_seen.size() == static_cast<size_t>(kCustomers));
  CHECK(out_of_order == 0);
}
