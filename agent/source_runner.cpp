#include "agent/source_runner.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <random>
#include <sstream>

#include "common/log.h"
#include "common/metrics.h"
#include "store/sync_state.h"
#include "store/transaction_log.h"

namespace tillbridge::agent {
namespace {

constexpr std::chrono::seconds kFactsInterval{1};

}  // namespace

SourceRunner::SourceRunner(std::unique_ptr<drivers::TransactionSource> source, store::Store& store,
                           SourceRunnerOptions options)
    : source_(std::move(source)), store_(store), options_(options) {
  state_.name = std::string(source_->Name());
}

SourceRunner::~SourceRunner() { Stop(); }

void SourceRunner::Start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void SourceRunner::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SourceRunnerState SourceRunner::State() const {
  std::lock_guard lock(mutex_);
  return state_;
}

bool SourceRunner::Sleep(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, delay, [this] { return stopping_.load(); });
  return !stopping_;
}

// Only the runner's thread changes the state. It writes the store before it
// publishes the state, so whoever sees an error in State() (the API, a test)
// finds it in the store as well, where `tillbridge status` in another process
// reads it.
void SourceRunner::SetError(const std::string& error) {
  const bool changed = State().last_error != error;
  // Log a failure once when it starts, not on every retry.
  if (changed) {
    LogWarning("source", "source '" + state_.name + "': " + error);
    (void)store_.sync_state().Set("source." + state_.name + ".error", error);
  }
  std::lock_guard lock(mutex_);
  state_.last_error = error;
  state_.connected = false;
}

void SourceRunner::SetHealthy() {
  const SourceRunnerState now = State();
  if (!now.last_error.empty() || !now.connected) {
    LogInfo("source", "source '" + state_.name + "' connected");
    (void)store_.sync_state().Set("source." + state_.name + ".error", "");
  }
  std::lock_guard lock(mutex_);
  state_.connected = true;
  state_.last_error.clear();
}

void SourceRunner::PublishFacts() {
  const auto now = std::chrono::steady_clock::now();
  if (now - facts_published_at_ < kFactsInterval) return;
  facts_published_at_ = now;
  const std::vector<drivers::SourceFact> facts = source_->Health().facts;
  if (facts.empty()) return;
  // Another process (`tillbridge status`) reads them from the store; written
  // only when something changed, so an idle agent does not write at all.
  Poco::JSON::Array list;
  for (const auto& fact : facts) {
    Poco::JSON::Object item(Poco::JSON_PRESERVE_KEY_ORDER);
    item.set("key", fact.key);
    item.set("label", fact.label);
    item.set("text", fact.text);
    if (fact.number) item.set("number", *fact.number);
    list.add(item);
  }
  std::ostringstream json;
  list.stringify(json);
  if (json.str() == facts_published_) return;
  if (store_.sync_state().Set("source." + state_.name + ".facts", json.str()).ok()) {
    facts_published_ = json.str();
  }
}

void SourceRunner::Loop() {
  const std::string name = state_.name;
  Counter& ingested = MetricsRegistry::Global().GetCounter(
      "tillbridge_source_records_total{source=\"" + name + "\"}",
      "Records stored from each transaction source");
  std::mt19937_64 random(std::random_device{}());
  std::chrono::milliseconds backoff = options_.backoff_initial;
  auto back_off = [&]() {
    // Full jitter keeps many terminals from reconnecting in step.
    std::uniform_int_distribution<std::int64_t> pick(0, backoff.count());
    const bool keep_going = Sleep(std::chrono::milliseconds(pick(random)));
    backoff = std::min(backoff * 2, options_.backoff_max);
    return keep_going;
  };

  bool open = false;
  std::optional<std::string> cursor;
  while (!stopping_) {
    if (!open) {
      Status opened = source_->Open();
      if (!opened.ok()) {
        SetError("cannot open: " + opened.message());
        if (!back_off()) break;
        continue;
      }
      open = true;
      SetHealthy();
    }
    if (!cursor) {
      auto stored = store_.transactions().Cursor(name);
      if (!stored.ok()) {
        SetError("cannot read cursor from store: " + stored.status().message());
        if (!back_off()) break;
        continue;
      }
      cursor = stored->value_or("");
    }
    auto batch = source_->Poll(*cursor, options_.poll_wait);
    PublishFacts();
    if (!batch.ok()) {
      SetError(batch.status().message());
      open = false;
      if (!back_off()) break;
      continue;
    }
    if (batch->records.empty() && batch->cursor == *cursor) continue;
    Status stored = store_.transactions().Ingest(name, batch->records, batch->cursor);
    if (!stored.ok()) {
      // The cursor did not advance; the same records are read again.
      SetError("cannot store batch: " + stored.message());
      if (!back_off()) break;
      continue;
    }
    cursor = batch->cursor;
    backoff = options_.backoff_initial;
    ingested.Increment(static_cast<std::int64_t>(batch->records.size()));
    SetHealthy();
    std::lock_guard lock(mutex_);
    ++state_.batches;
    state_.records += static_cast<std::int64_t>(batch->records.size());
  }
}

}  // namespace tillbridge::agent
