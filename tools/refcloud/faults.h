// Fault injection for the reference cloud: error answers, 429 with
// Retry-After, dropped connections, latency and whole outage windows,
// switchable at runtime. Seeded, so a run can be repeated.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace tillbridge::refcloud {

struct FaultSettings {
  double error_rate = 0;  // share of requests answered with error_status
  int error_status = 503;
  double throttle_rate = 0;  // share answered 429 with Retry-After
  int retry_after_seconds = 1;
  bool retry_after_as_date = false;  // send the HTTP-date form instead of seconds
  double drop_rate = 0;              // share whose connection is closed without an answer
  int latency_ms = 0;                // added before answering
  int latency_jitter_ms = 0;
  bool outage = false;          // every request dropped until switched off
  UnixMillis outage_until = 0;  // or until this time
  std::vector<std::pair<UnixMillis, UnixMillis>> windows;  // [start, end) outages
};

enum class FaultKind { kNone, kOutage, kError, kThrottle, kDropBefore, kDropAfter };

struct FaultDecision {
  FaultKind kind = FaultKind::kNone;
  std::chrono::milliseconds latency{0};
};

// Thread-safe.
class FaultInjector {
 public:
  FaultInjector(std::uint64_t seed, const Clock& clock);

  FaultSettings settings() const;
  void Set(FaultSettings settings);

  // What to do to the next request. A dropped request is dropped before it
  // is processed or, as often, after (so the client cannot know whether it
  // took effect).
  FaultDecision Decide();
  bool InOutage() const;

  // Retry-After bookkeeping per client stream (e.g. "agt_1/events"): a 429
  // told it to wait until `until`; a request on it before then counts as an
  // early retry.
  void NoteThrottled(const std::string& stream, UnixMillis until);
  // Returns how many ms too early the request came (0 when on time).
  std::int64_t NoteRequest(const std::string& stream);

  // Injected faults by kind ("error", "throttle", "drop_before", ...) and
  // "early_retries".
  std::map<std::string, std::int64_t> Counts() const;

 private:
  bool InOutageLocked(UnixMillis now) const;

  const Clock& clock_;
  mutable std::mutex mutex_;
  FaultSettings settings_;                             // guarded by mutex_
  std::mt19937_64 random_;                             // guarded by mutex_
  std::map<std::string, std::int64_t> counts_;         // guarded by mutex_
  std::map<std::string, UnixMillis> throttled_until_;  // guarded by mutex_
};

}  // namespace tillbridge::refcloud
