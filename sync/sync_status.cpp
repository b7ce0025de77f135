#include "sync/sync_status.h"

#include <cstdlib>
#include <utility>
#include <vector>

#include "common/log.h"
#include "common/metrics.h"
#include "store/store.h"
#include "store/sync_state.h"

namespace tillbridge::sync {
namespace {

constexpr auto kWriteEvery = std::chrono::seconds(1);
// Skews below this are network noise, not a wrong clock.
constexpr std::int64_t kSkewWorthNoting = 2'000;
constexpr std::int64_t kSkewWarning = 5 * 60'000;

MetricsRegistry& Metrics() { return MetricsRegistry::Global(); }

std::string Label(std::string_view destination) {
  return "{destination=\"" + std::string(destination) + "\"}";
}

}  // namespace

SyncStatus::SyncStatus(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

void SyncStatus::Write(std::string_view key, std::string_view value) {
  Status written = store_.sync_state().Set(key, value);
  if (!written.ok()) {
    LogWarning("sync", "cannot record " + std::string(key) + ": " + written.ToString());
  }
}

bool SyncStatus::Due(std::chrono::steady_clock::time_point& last) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last < kWriteEvery) return false;
  last = now;
  return true;
}

void SyncStatus::SetState(std::string_view destination, std::string_view state,
                          std::string_view error) {
  // Two threads changing the state must write it to the store in the order
  // they changed it in memory, or the store keeps the older state for good.
  std::lock_guard ordered(state_write_mutex_);
  std::vector<std::pair<std::string, std::string>> writes;
  {
    std::lock_guard lock(mutex_);
    // The error first: whoever sees the new state also finds its reason.
    if (!error.empty() && snapshot_.last_error != error) {
      snapshot_.last_error = std::string(error);
      writes.emplace_back(std::string(destination) + ".last_error", snapshot_.last_error);
    }
    std::string& current = snapshot_.states[std::string(destination)];
    if (current != state) {
      current = std::string(state);
      writes.emplace_back(std::string(destination) + ".state", current);
      if (state == kStateOnline) {
        LogInfo("sync", std::string(destination) + " is online");
      } else if (state != kStateConnecting && state != kStateDisabled) {
        LogWarning("sync", std::string(destination) + " is " + current +
                               (error.empty() ? "" : ": " + std::string(error)));
      }
    }
  }
  Metrics()
      .GetGauge("tillbridge_sync_online" + Label(destination),
                "1 when the destination answered the last request, else 0")
      .Set(state == kStateOnline ? 1 : 0);
  for (const auto& [key, value] : writes) Write(key, value);
}

void SyncStatus::Pushed(std::string_view destination, std::int64_t delivered,
                        std::int64_t dead_lettered, std::int64_t retried) {
  const UnixMillis now = clock_.NowMillis();
  bool write = false;
  {
    std::lock_guard lock(mutex_);
    snapshot_.delivered += delivered;
    snapshot_.dead_lettered += dead_lettered;
    snapshot_.retried += retried;
    if (delivered > 0 || dead_lettered > 0) {
      snapshot_.last_push_at = now;
      write = Due(last_push_write_);
      // A skipped write is made up for when the pusher goes idle.
      unwritten_push_ = write ? std::string() : std::string(destination);
    }
  }
  const std::string label = "{destination=\"" + std::string(destination) + "\",result=";
  const std::string help = "Events by what the destination answered";
  Metrics()
      .GetCounter("tillbridge_sync_events_total" + label + "\"delivered\"}", help)
      .Increment(delivered);
  Metrics()
      .GetCounter("tillbridge_sync_events_total" + label + "\"dead_lettered\"}", help)
      .Increment(dead_lettered);
  Metrics()
      .GetCounter("tillbridge_sync_events_total" + label + "\"retried\"}", help)
      .Increment(retried);
  if (delivered > 0 || dead_lettered > 0) {
    Metrics()
        .GetGauge("tillbridge_sync_last_push_timestamp_seconds" + Label(destination),
                  "When the destination last took events (Unix seconds)")
        .Set(now / 1000);
  }
  if (write) Write(std::string(destination) + ".last_push_at", FormatRfc3339(now));
}

void SyncStatus::Pulled(const store::ApplyReport& report, std::int64_t unusable) {
  const UnixMillis now = clock_.NowMillis();
  bool write = false;
  {
    std::lock_guard lock(mutex_);
    snapshot_.changes_applied += report.applied;
    snapshot_.changes_skipped += report.skipped + unusable;
    snapshot_.last_pull_at = now;
    write = Due(last_pull_write_) || report.applied > 0;
  }
  const std::string help = "Pulled changes by what applying them did";
  Metrics()
      .GetCounter("tillbridge_sync_changes_total{result=\"applied\"}", help)
      .Increment(report.applied);
  Metrics()
      .GetCounter("tillbridge_sync_changes_total{result=\"unchanged\"}", help)
      .Increment(report.unchanged);
  Metrics()
      .GetCounter("tillbridge_sync_changes_total{result=\"skipped\"}", help)
      .Increment(report.skipped + unusable);
  Metrics()
      .GetGauge("tillbridge_sync_last_pull_timestamp_seconds",
                "When the change feed last answered (Unix seconds)")
      .Set(now / 1000);
  if (write) Write("cloud.last_pull_at", FormatRfc3339(now));
}

void SyncStatus::Backlog(std::int64_t depth, bool force) {
  bool write = false;
  std::string push_destination;
  UnixMillis last_push_at = 0;
  {
    std::lock_guard lock(mutex_);
    const bool changed = snapshot_.backlog != depth;
    snapshot_.backlog = depth;
    write = changed && (force || Due(last_backlog_write_));
    if (force && !unwritten_push_.empty()) {
      push_destination.swap(unwritten_push_);
      last_push_at = snapshot_.last_push_at;
    }
  }
  Metrics().GetGauge("tillbridge_sync_backlog", "Events waiting in the outbox").Set(depth);
  if (write) Write("sync.backlog", std::to_string(depth));
  if (!push_destination.empty()) {
    Write(push_destination + ".last_push_at", FormatRfc3339(last_push_at));
  }
}

void SyncStatus::ClockSkew(std::optional<std::int64_t> skew_ms) {
  if (!skew_ms) return;
  bool write = false;
  {
    std::lock_guard lock(mutex_);
    snapshot_.clock_skew_ms = skew_ms;
    const std::int64_t before = written_skew_.value_or(0);
    if (std::llabs(*skew_ms - before) >= kSkewWorthNoting) {
      written_skew_ = skew_ms;
      write = true;
    }
  }
  Metrics()
      .GetGauge("tillbridge_sync_clock_skew_ms", "Cloud clock minus this machine's clock")
      .Set(*skew_ms);
  if (!write) return;
  Write("cloud.clock_skew_ms", std::to_string(*skew_ms));
  if (std::llabs(*skew_ms) > kSkewWarning) {
    LogWarning("sync", "this machine's clock is " + std::to_string(*skew_ms / 1000) +
                           " s away from the cloud's; event times come from this clock");
  }
}

SyncSnapshot SyncStatus::Snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

}  // namespace tillbridge::sync
