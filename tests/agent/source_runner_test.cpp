#include "agent/source_runner.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "store/transaction_log.h"
#include "tests/test_util.h"

namespace tillbridge::agent {
namespace {

// A scripted source: fails to open `open_failures` times, then hands out one
// record per poll until `total` records have been read.
class ScriptedSource : public drivers::TransactionSource {
 public:
  ScriptedSource(int open_failures, int total) : open_failures_(open_failures), total_(total) {}
  std::string_view Name() const override { return "scripted"; }
  Status Open() override {
    ++opens;
    if (open_failures_-- > 0) return Status::Unavailable("connection refused");
    return Status::Ok();
  }
  Result<drivers::Batch> Poll(const drivers::Cursor& cursor,
                              std::chrono::milliseconds wait) override {
    cursors_seen.push_back(cursor);
    const int next = cursor.empty() ? 1 : std::stoi(cursor) + 1;
    drivers::Batch batch;
    if (next > total_) {
      std::this_thread::sleep_for(wait);
      batch.cursor = cursor;
      return batch;
    }
    store::Transaction txn;
    txn.source = "scripted";
    txn.pos_id = std::to_string(next);
    txn.total_minor = next;
    batch.records.push_back(txn);
    batch.cursor = std::to_string(next);
    return batch;
  }
  drivers::SourceHealth Health() const override { return {}; }

  std::atomic<int> opens{0};
  std::vector<std::string> cursors_seen;

 private:
  int open_failures_;
  int total_;
};

std::unique_ptr<store::Store> OpenStore(const std::string& path) {
  store::StoreOptions options;
  options.path = path;
  return std::move(store::Store::Open(options)).value();
}

bool WaitFor(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace

TEST_CASE("the runner reconnects, stores every record once and resumes from the cursor") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  SourceRunnerOptions options;
  options.backoff_initial = std::chrono::milliseconds(5);
  options.poll_wait = std::chrono::milliseconds(20);
  auto source = std::make_unique<ScriptedSource>(2, 5);
  ScriptedSource* raw = source.get();
  {
    SourceRunner runner(std::move(source), *store, options);
    runner.Start();
    REQUIRE(WaitFor([&] { return store->transactions().Count().value() == 5; }));
    runner.Stop();
    CHECK(raw->opens == 3);
    CHECK(runner.State().records == 5);
    CHECK(runner.State().connected);
  }
  CHECK(store->transactions().Cursor("scripted").value().value_or("") == "5");
  // A new runner over the same store continues after record 5.
  auto again = std::make_unique<ScriptedSource>(0, 7);
  ScriptedSource* second = again.get();
  SourceRunner runner(std::move(again), *store, options);
  runner.Start();
  REQUIRE(WaitFor([&] { return store->transactions().Count().value() == 7; }));
  runner.Stop();
  CHECK(second->cursors_seen.front() == "5");
}

TEST_CASE("an unavailable source is reported, logged once and retried") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  SourceRunnerOptions options;
  options.backoff_initial = std::chrono::milliseconds(1);
  options.backoff_max = std::chrono::milliseconds(4);
  SourceRunner runner(std::make_unique<ScriptedSource>(1'000'000, 1), *store, options);
  runner.Start();
  REQUIRE(WaitFor([&] { return !runner.State().last_error.empty(); }));
  CHECK(runner.State().last_error == "cannot open: connection refused");
  CHECK_FALSE(runner.State().connected);
  const auto stats = store->Stats().value();
  CHECK(stats.sync.at("source.scripted.error") == "cannot open: connection refused");
  runner.Stop();
}

TEST_CASE("Stop returns promptly even during a long backoff") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  SourceRunnerOptions options;
  options.backoff_initial = std::chrono::seconds(60);
  options.backoff_max = std::chrono::seconds(60);
  SourceRunner runner(std::make_unique<ScriptedSource>(1'000'000, 1), *store, options);
  runner.Start();
  REQUIRE(WaitFor([&] { return !runner.State().last_error.empty(); }));
  const auto start = std::chrono::steady_clock::now();
  runner.Stop();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

}  // namespace tillbridge::agent
