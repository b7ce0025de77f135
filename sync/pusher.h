// The outbox pusher: takes due events from the store in batches, hands
// them to each destination, and acknowledges, dead-letters or defers each
// one by what the destinations answered.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "store/model.h"
#include "sync/backoff.h"
#include "sync/event_sink.h"
#include "sync/stop_signal.h"
#include "sync/sync_status.h"

namespace tillbridge::store {
class Store;
}

namespace tillbridge::sync {

// Batch limits and retry timing for the pusher.
struct PusherLimits {
  std::size_t max_events = 500;
  std::size_t max_bytes = 1 << 20;
  std::chrono::milliseconds backoff_initial{1000};
  std::chrono::milliseconds backoff_max{300'000};
  std::uint64_t jitter_seed = 0;
};

// Called with the ids every destination took, after they left the outbox.
using AcknowledgedListener = std::function<void(const std::vector<std::string>& event_ids)>;

// Runs on one thread (Run); the destinations outlive it.
class Pusher {
 public:
  Pusher(store::Store& store, std::vector<EventSink*> sinks, PusherLimits limits,
         SyncStatus& status, StopSignal& stop, AcknowledgedListener on_acknowledged);

  // Loops until `stop` is set. Sleeps on Store::WaitForOutbox when there is
  // nothing due, and on the clock during backoff.
  void Run();

  // One round: takes one batch and delivers it. Returns the clock time
  // before which no further round should start (0: go on at once), or
  // nullopt when nothing was due.
  std::optional<UnixMillis> RunOnce();

 private:
  std::size_t MaxEvents() const;
  std::size_t MaxBytes() const;
  UnixMillis Settle(const std::vector<store::OutboxEvent>& events,
                    const std::vector<SendOutcome>& outcomes);
  void WaitForWork(std::uint64_t generation, UnixMillis checked_at);
  void ReportBacklog(bool force);

  store::Store& store_;
  const Clock& clock_;
  std::vector<EventSink*> sinks_;
  PusherLimits limits_;
  SyncStatus& status_;
  StopSignal& stop_;
  AcknowledgedListener on_acknowledged_;
  Backoff backoff_;
  std::size_t batch_limit_;  // shrinks after a refused batch, grows back after success
  std::chrono::steady_clock::time_point last_backlog_{};
};

}  // namespace tillbridge::sync
