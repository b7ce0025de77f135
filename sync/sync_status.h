// What sync reports about itself: state keys in the store's sync_state
// table (shown by `tillbridge status` through Store::Stats().sync) and
// gauges/counters in MetricsRegistry::Global() (shown by /metrics).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "store/cloud_changes.h"

namespace tillbridge::store {
class Store;
}

namespace tillbridge::sync {

// Destination states written under "<destination>.state".
inline constexpr std::string_view kStateDisabled = "disabled";
inline constexpr std::string_view kStateConnecting = "connecting";
inline constexpr std::string_view kStateOnline = "online";
inline constexpr std::string_view kStateOffline = "offline";
inline constexpr std::string_view kStateUnauthorized = "unauthorized";

// A copy of the current state for status pages and tests.
struct SyncSnapshot {
  std::map<std::string, std::string> states;  // "cloud" -> "online", "webhook" -> ...
  UnixMillis last_push_at = 0;                // 0 when never
  UnixMillis last_pull_at = 0;
  std::int64_t backlog = 0;
  std::int64_t delivered = 0;  // accepted or duplicate, all destinations
  std::int64_t dead_lettered = 0;
  std::int64_t retried = 0;
  std::int64_t changes_applied = 0;
  std::int64_t changes_skipped = 0;
  std::string last_error;
  std::optional<std::int64_t> clock_skew_ms;
};

// Thread-safe. Store writes are best effort: a failure to record status is
// logged and never stops sync.
class SyncStatus {
 public:
  SyncStatus(store::Store& store, const Clock& clock);

  // Records "<destination>.state" when it changes, and the error.
  void SetState(std::string_view destination, std::string_view state, std::string_view error = "");
  // After a push: counts, last push time (store write at most once a second).
  void Pushed(std::string_view destination, std::int64_t delivered, std::int64_t dead_lettered,
              std::int64_t retried);
  // After a pulled page was applied (or an empty long poll returned).
  void Pulled(const store::ApplyReport& report, std::int64_t unusable);
  // Outbox depth; `force` (the pusher went idle) also writes whatever the
  // once-a-second limit held back.
  void Backlog(std::int64_t depth, bool force);
  void ClockSkew(std::optional<std::int64_t> skew_ms);
  SyncSnapshot Snapshot() const;

 private:
  void Write(std::string_view key, std::string_view value);
  bool Due(std::chrono::steady_clock::time_point& last);

  store::Store& store_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  // Held across a state change and its store writes; taken before mutex_.
  std::mutex state_write_mutex_;
  SyncSnapshot snapshot_;                                       // guarded by mutex_
  std::chrono::steady_clock::time_point last_push_write_{};     // guarded by mutex_
  std::chrono::steady_clock::time_point last_pull_write_{};     // guarded by mutex_
  std::chrono::steady_clock::time_point last_backlog_write_{};  // guarded by mutex_
  std::optional<std::int64_t> written_skew_;                    // guarded by mutex_
  // Destination whose last_push_at write was held back; guarded by mutex_.
  std::string unwritten_push_;
};

}  // namespace tillbridge::sync
