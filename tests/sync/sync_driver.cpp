// tillbridge-sync-driver: opens a store and runs SyncService against a
// cloud, optionally producing numbered sales as a POS source would. The
// kill test SIGKILLs it at random moments and starts it again.
//
//   tillbridge-sync-driver --store FILE --url URL --token T
//       [--produce N] [--customers C] [--batch B] [--pause-ms P]
//       [--consenting K] [--batch-max-events E] [--seed S] [--exit-when-drained]
#include <charconv>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "store/consent_ledger.h"
#include "store/outbox.h"
#include "store/store.h"
#include "store/transaction_log.h"
#include "sync/sync_service.h"
#include "tests/sync/sync_test_util.h"

namespace {

using namespace tillbridge;

struct Args {
  std::string store;
  std::string url;
  std::string token;
  std::int64_t produce = 0;
  int customers = 0;
  int consenting = 0;  // the first K customers opt in to transactional texts
  std::int64_t batch = 100;
  int pause_ms = 0;
  std::int64_t batch_max_events = 100;
  std::uint64_t seed = 1;
  bool exit_when_drained = false;
};

bool ParseInt(const char* text, std::int64_t* out) {
  const std::string value(text);
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), *out);
  return ec == std::errc() && ptr == value.data() + value.size();
}

bool Parse(int argc, char** argv, Args* args) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--exit-when-drained") {
      args->exit_when_drained = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    const char* value = argv[++i];
    std::int64_t number = 0;
    if (flag == "--store")
      args->store = value;
    else if (flag == "--url")
      args->url = value;
    else if (flag == "--token")
      args->token = value;
    else if (!ParseInt(value, &number))
      return false;
    else if (flag == "--produce")
      args->produce = number;
    else if (flag == "--customers")
      args->customers = static_cast<int>(number);
    else if (flag == "--consenting")
      args->consenting = static_cast<int>(number);
    else if (flag == "--batch")
      args->batch = number;
    else if (flag == "--pause-ms")
      args->pause_ms = static_cast<int>(number);
    else if (flag == "--batch-max-events")
      args->batch_max_events = number;
    else if (flag == "--seed")
      args->seed = static_cast<std::uint64_t>(number);
    else
      return false;
  }
  return !args->store.empty() && !args->url.empty();
}

// Idempotent: a repeated opt-in adds no ledger row and queues nothing.
Status OptInCustomers(store::Store& store, int count) {
  for (int i = 0; i < count; ++i) {
    store::ConsentChange change;
    change.phone = testing::CustomerPhone(i);
    change.purpose = store::ConsentPurpose::kTransactional;
    change.granted = true;
    change.method = "customer_display";
    change.actor = "driver";
    change.occurred_at = 1'700'000'000'000;
    auto outcome = store.consents().Record(change);
    if (!outcome.ok()) return outcome.status();
  }
  return Status::Ok();
}

// Continues from the source cursor, so a restart after SIGKILL neither
// skips nor repeats a sale.
Status Produce(store::Store& store, const Args& args) {
  for (;;) {
    auto cursor = store.transactions().Cursor("sim");
    if (!cursor.ok()) return cursor.status();
    const std::int64_t done = cursor->has_value() ? std::stoll(**cursor) : 0;
    if (done >= args.produce) return Status::Ok();
    const std::int64_t count = std::min(args.batch, args.produce - done);
    TB_RETURN_IF_ERROR(store.transactions().Ingest(
        "sim", testing::MakeSales(done + 1, count, args.customers, store.clock().NowMillis()),
        std::to_string(done + count)));
    if (args.pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(args.pause_ms));
  }
}

int Run(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, &args)) {
    std::fprintf(stderr, "usage: see the comment at the top of sync_driver.cpp\n");
    return 2;
  }
  store::StoreOptions store_options;
  store_options.path = args.store;
  store_options.store_id = "store-1";
  store_options.terminal_id = "lane-1";
  auto store = store::Store::Open(store_options);
  if (!store.ok()) {
    std::fprintf(stderr, "driver: %s\n", store.status().ToString().c_str());
    return 1;
  }
  sync::SyncOptions options;
  options.cloud.enabled = true;
  options.cloud.endpoint.url = args.url;
  options.cloud.token = args.token;
  options.cloud.endpoint.timeout = std::chrono::seconds(10);
  options.cloud.endpoint.backoff_initial = std::chrono::milliseconds(20);
  options.cloud.endpoint.backoff_max = std::chrono::milliseconds(300);
  options.cloud.batch_max_events = static_cast<std::size_t>(args.batch_max_events);
  options.cloud.long_poll_timeout = std::chrono::seconds(5);
  options.jitter_seed = args.seed;
  sync::SyncService service(**store, options);
  if (Status started = service.Start(); !started.ok()) {
    std::fprintf(stderr, "driver: %s\n", started.ToString().c_str());
    return 1;
  }
  std::printf("driver started\n");
  std::fflush(stdout);
  if (Status consent = OptInCustomers(**store, args.consenting); !consent.ok()) {
    std::fprintf(stderr, "driver: %s\n", consent.ToString().c_str());
    return 1;
  }
  if (Status produced = Produce(**store, args); !produced.ok()) {
    std::fprintf(stderr, "driver: %s\n", produced.ToString().c_str());
    return 1;
  }
  std::printf("driver produced %lld\n", static_cast<long long>(args.produce));
  std::fflush(stdout);
  for (;;) {
    auto depth = (*store)->outbox().Depth();
    if (depth.ok() && *depth == 0 && args.exit_when_drained) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  service.Stop();
  std::printf("driver drained\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
