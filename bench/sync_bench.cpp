// Cloud sync end to end against the reference cloud on loopback:
//  - latency from commit (TransactionLog::Ingest returns) to the cloud's
//    acknowledgement reaching the agent, at a steady trickle of sales (from
//    the POS database's commit, through the source, see pos_source_bench);
//  - drain rate of a 100,000-event backlog queued while sync was stopped.
// Prints a table of medians over several runs.
//
//   sync_bench [--runs N] [--backlog N] [--latency-events N] [--rate PER_SECOND]
//              [--refcloud PATH] [--dir PATH]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/refcloud_child.h"
#include "common/log.h"
#include "store/model.h"
#include "store/outbox.h"
#include "store/store.h"
#include "store/transaction_log.h"
#include "sync/sync_service.h"

using namespace tillbridge;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Args {
  int runs = 3;
  long backlog = 100'000;
  long latency_events = 2000;
  int rate = 200;
  std::string refcloud = TILLBRIDGE_REFCLOUD_PATH;
  std::string dir = std::filesystem::temp_directory_path().string();
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "sync_bench: %s\n", what.c_str());
  std::exit(1);
}

store::Transaction Sale(long n, UnixMillis at) {
  store::Transaction sale;
  sale.source = "bench";
  sale.pos_id = std::to_string(n);
  sale.occurred_at = at;
  sale.total_minor = 1000 + n % 500;
  sale.subtotal_minor = sale.total_minor - 80;
  sale.tax_minor = 80;
  sale.cashier = "c1";
  sale.customer_phone = "+1415555" + std::to_string(1000 + n % 2000);
  for (int i = 0; i < 3; ++i) {
    sale.lines.push_back({"SKU-" + std::to_string(i), "Item " + std::to_string(i), 1000, 300, 300});
  }
  sale.payments.push_back({"card", sale.total_minor});
  return sale;
}

std::unique_ptr<store::Store> OpenStore(const std::string& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  store::StoreOptions options;
  options.path = dir + "/agent.db";
  options.store_id = "bench-store";
  auto store = store::Store::Open(options);
  if (!store.ok()) Die(store.status().ToString());
  return std::move(store).value();
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

double Median(std::vector<double> values) { return Percentile(std::move(values), 0.5); }

struct LatencyResult {
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

// Sales one at a time at `rate` per second; each one's commit-to-ack time.
LatencyResult MeasureLatency(const Args& args, const std::string& dir) {
  auto store = OpenStore(dir + "/store");
  bench::RefCloudChild cloud(args.refcloud, dir, 1000);
  std::mutex mutex;
  std::condition_variable acked_cv;
  std::map<std::string, SteadyClock::time_point> acked;  // guarded by mutex
  sync::SyncService service(*store, cloud.PushOptions(500));
  service.SetAcknowledgedListener([&](const std::vector<std::string>& ids) {
    const auto now = SteadyClock::now();
    std::lock_guard lock(mutex);
    for (const auto& id : ids) acked.emplace(id, now);
    acked_cv.notify_all();
  });
  if (Status started = service.Start(); !started.ok()) Die(started.ToString());
  std::map<std::string, SteadyClock::time_point> committed;
  const auto interval = std::chrono::microseconds(1'000'000 / std::max(1, args.rate));
  auto next = SteadyClock::now();
  for (long n = 0; n < args.latency_events; ++n) {
    std::this_thread::sleep_until(next);
    next += interval;
    const auto sale = Sale(n, store->clock().NowMillis());
    if (Status ingested = store->transactions().Ingest("bench", {sale}, std::to_string(n));
        !ingested.ok()) {
      Die(ingested.ToString());
    }
    // Commit = Ingest returned (the SQLite COMMIT, fsynced, is done).
    committed[store::MakeEventId(store->store_id(), sale.source, sale.pos_id,
                                 "transaction.completed", sale.revision)] = SteadyClock::now();
  }
  std::unique_lock lock(mutex);
  acked_cv.wait_for(lock, std::chrono::seconds(60),
                    [&] { return acked.size() >= committed.size(); });
  std::vector<double> latencies;
  for (const auto& [id, commit] : committed) {
    auto it = acked.find(id);
    if (it == acked.end()) Die("sale " + id + " was never acknowledged");
    // An ack can beat Ingest's return by microseconds (the pusher wakes on
    // the commit signal); count that as zero.
    latencies.push_back(
        std::max(0.0, std::chrono::duration<double, std::milli>(it->second - commit).count()));
  }
  LatencyResult result;
  result.p50_ms = Percentile(latencies, 0.50);
  result.p99_ms = Percentile(latencies, 0.99);
  result.max_ms = *std::max_element(latencies.begin(), latencies.end());
  return result;
}

struct DrainResult {
  double ingest_per_s = 0;
  double drain_per_s = 0;
};

// Queues `backlog` sales with sync stopped, then times the drain.
DrainResult MeasureDrain(const Args& args, const std::string& dir, std::size_t batch) {
  auto store = OpenStore(dir + "/store");
  bench::RefCloudChild cloud(args.refcloud, dir, std::max<std::size_t>(batch, 1000));
  const auto ingest_start = SteadyClock::now();
  for (long n = 0; n < args.backlog; n += 1000) {
    std::vector<store::Transaction> sales;
    for (long i = n; i < std::min(args.backlog, n + 1000); ++i) {
      sales.push_back(Sale(i, store->clock().NowMillis()));
    }
    if (Status ingested = store->transactions().Ingest("bench", sales, std::to_string(n));
        !ingested.ok()) {
      Die(ingested.ToString());
    }
  }
  const double ingest_s = std::chrono::duration<double>(SteadyClock::now() - ingest_start).count();
  std::atomic<long> acknowledged{0};
  std::mutex mutex;
  std::condition_variable done;
  sync::SyncService service(*store, cloud.PushOptions(batch));
  service.SetAcknowledgedListener([&](const std::vector<std::string>& ids) {
    if (acknowledged.fetch_add(static_cast<long>(ids.size())) + static_cast<long>(ids.size()) >=
        args.backlog) {
      std::lock_guard lock(mutex);
      done.notify_all();
    }
  });
  const auto start = SteadyClock::now();
  if (Status started = service.Start(); !started.ok()) Die(started.ToString());
  {
    std::unique_lock lock(mutex);
    done.wait_for(lock, std::chrono::minutes(10),
                  [&] { return acknowledged.load() >= args.backlog; });
  }
  const double drain_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
  service.Stop();
  if (acknowledged.load() < args.backlog) Die("the backlog did not drain");
  if (cloud.DistinctEvents() != args.backlog) Die("the cloud does not hold every event once");
  return {static_cast<double>(args.backlog) / ingest_s,
          static_cast<double>(args.backlog) / drain_s};
}

Args Parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--runs")
      args.runs = std::stoi(value);
    else if (flag == "--backlog")
      args.backlog = std::stol(value);
    else if (flag == "--latency-events")
      args.latency_events = std::stol(value);
    else if (flag == "--rate")
      args.rate = std::stoi(value);
    else if (flag == "--refcloud")
      args.refcloud = value;
    else if (flag == "--dir")
      args.dir = value;
    else
      Die("unknown option " + flag);
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  const std::string dir = args.dir + "/tillbridge-sync-bench-" + std::to_string(getpid());
  std::vector<double> p50, p99, worst, ingest, drain500, drain1000;
  for (int run = 0; run < args.runs; ++run) {
    const LatencyResult latency = MeasureLatency(args, dir);
    p50.push_back(latency.p50_ms);
    p99.push_back(latency.p99_ms);
    worst.push_back(latency.max_ms);
    const DrainResult d500 = MeasureDrain(args, dir, 500);
    ingest.push_back(d500.ingest_per_s);
    drain500.push_back(d500.drain_per_s);
    drain1000.push_back(MeasureDrain(args, dir, 1000).drain_per_s);
    std::fprintf(stderr, "run %d: p50 %.2f ms, p99 %.2f ms, drain %.0f / %.0f events/s\n", run + 1,
                 latency.p50_ms, latency.p99_ms, d500.drain_per_s, drain1000.back());
  }
  std::filesystem::remove_all(dir);
  std::printf("sync_bench: medians of %d runs, reference cloud on loopback (plain HTTP)\n",
              args.runs);
  std::printf("%-52s %12s\n", "measure", "median");
  std::printf(
      "%-52s %9.2f ms\n",
      ("store commit -> cloud ack, p50 (" + std::to_string(args.rate) + " sales/s)").c_str(),
      Median(p50));
  std::printf("%-52s %9.2f ms\n", "store commit -> cloud ack, p99", Median(p99));
  std::printf("%-52s %9.2f ms\n", "store commit -> cloud ack, max", Median(worst));
  std::printf(
      "%-52s %9.0f /s\n",
      ("queue " + std::to_string(args.backlog) + " sales (ingest, batches of 1000)").c_str(),
      Median(ingest));
  std::printf("%-52s %9.0f /s\n",
              ("drain " + std::to_string(args.backlog) + " queued events, batch 500").c_str(),
              Median(drain500));
  std::printf("%-52s %9.0f /s\n",
              ("drain " + std::to_string(args.backlog) + " queued events, batch 1000").c_str(),
              Median(drain1000));
  return 0;
}
