#include "sync/pusher.h"

#include <algorithm>

#include "common/log.h"
#include "store/outbox.h"
#include "store/store.h"

namespace tillbridge::sync {
namespace {

constexpr std::string_view kComponent = "sync";
// With nothing queued, the pusher sleeps until an outbox commit (or Stop)
// wakes it; the timeout only refreshes the backlog figures.
constexpr std::chrono::milliseconds kIdleWait{30'000};

}  // namespace

Pusher::Pusher(store::Store& store, std::vector<EventSink*> sinks, PusherLimits limits,
               SyncStatus& status, StopSignal& stop, AcknowledgedListener on_acknowledged)
    : store_(store),
      clock_(store.clock()),
      sinks_(std::move(sinks)),
      limits_(limits),
      status_(status),
      stop_(stop),
      on_acknowledged_(std::move(on_acknowledged)),
      backoff_(limits.backoff_initial, limits.backoff_max, limits.jitter_seed),
      batch_limit_(limits.max_events) {}

std::size_t Pusher::MaxEvents() const {
  std::size_t limit = std::min(limits_.max_events, batch_limit_);
  for (const EventSink* sink : sinks_) {
    if (sink->MaxBatchEvents() > 0) limit = std::min(limit, sink->MaxBatchEvents());
  }
  return std::max<std::size_t>(limit, 1);
}

std::size_t Pusher::MaxBytes() const {
  std::size_t limit = limits_.max_bytes;
  for (const EventSink* sink : sinks_) {
    // Leave room for the batch envelope around the events.
    if (sink->MaxBatchBytes() > 0) limit = std::min(limit, sink->MaxBatchBytes() * 9 / 10);
  }
  return std::max<std::size_t>(limit, 1);
}

void Pusher::Run() {
  for (const EventSink* sink : sinks_) status_.SetState(sink->Name(), kStateConnecting);
  ReportBacklog(true);
  UnixMillis resume_at = 0;
  while (!stop_.stopped()) {
    if (clock_.NowMillis() < resume_at) {
      if (WaitUntil(clock_, resume_at, stop_)) break;
      continue;
    }
    const std::uint64_t generation = store_.OutboxGeneration();
    const UnixMillis checked_at = clock_.NowMillis();
    auto next = RunOnce();
    if (!next) {
      ReportBacklog(true);
      WaitForWork(generation, checked_at);
      continue;
    }
    resume_at = *next;
    ReportBacklog(false);
  }
}

std::optional<UnixMillis> Pusher::RunOnce() {
  auto due = store_.outbox().Due(MaxEvents(), MaxBytes());
  if (!due.ok()) {
    LogError(kComponent, "cannot read the outbox: " + due.status().ToString());
    return clock_.NowMillis() + 1000;
  }
  if (due->empty()) return std::nullopt;
  const std::vector<store::OutboxEvent>& events = *due;

  std::vector<SendOutcome> outcomes(events.size(), SendOutcome::Ok());
  for (EventSink* sink : sinks_) {
    // Each destination gets what the ones before it took, in order.
    std::vector<size_t> indexes;
    std::vector<store::OutboxEvent> subset;
    for (size_t i = 0; i < events.size(); ++i) {
      if (outcomes[i].result == SendResult::kOk) {
        indexes.push_back(i);
        subset.push_back(events[i]);
      }
    }
    if (subset.empty()) break;
    Delivery delivery = sink->Deliver(subset);
    if (stop_.stopped()) return 0;
    status_.ClockSkew(sink->ClockSkewMs());
    status_.SetState(sink->Name(),
                     !delivery.reached       ? kStateOffline
                     : delivery.unauthorized ? kStateUnauthorized
                                             : kStateOnline,
                     delivery.error);
    if (delivery.split) {
      batch_limit_ = std::max<std::size_t>(1, subset.size() / 2);
      LogWarning(kComponent, std::string(sink->Name()) + " refused a batch of " +
                                 std::to_string(subset.size()) + " events (" + delivery.error +
                                 "); retrying in batches of " + std::to_string(batch_limit_));
      return 0;
    }
    for (size_t k = 0; k < indexes.size() && k < delivery.per_event.size(); ++k) {
      outcomes[indexes[k]] = delivery.per_event[k];
    }
  }
  return Settle(events, outcomes);
}

UnixMillis Pusher::Settle(const std::vector<store::OutboxEvent>& events,
                          const std::vector<SendOutcome>& outcomes) {
  std::vector<std::string> acknowledged;
  std::vector<std::string> retry;
  std::optional<std::chrono::milliseconds> retry_after;
  std::string retry_reason;
  std::int64_t dead = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const SendOutcome& outcome = outcomes[i];
    switch (outcome.result) {
      case SendResult::kOk:
        acknowledged.push_back(events[i].event_id);
        break;
      case SendResult::kFatal: {
        Status moved = store_.outbox().MoveToDeadLetter(events[i].event_id, outcome.reason);
        if (!moved.ok()) {
          LogError(kComponent,
                   "cannot dead-letter " + events[i].event_id + ": " + moved.ToString());
        } else {
          ++dead;
          LogWarning(kComponent, "event " + events[i].event_id + " (" + events[i].type +
                                     ") moved to dead letters: " + outcome.reason);
        }
        break;
      }
      case SendResult::kRetry:
        retry.push_back(events[i].event_id);
        if (retry_reason.empty()) retry_reason = outcome.reason;
        if (outcome.retry_after)
          retry_after =
              std::max(retry_after.value_or(std::chrono::milliseconds(0)), *outcome.retry_after);
        break;
    }
  }
  if (!acknowledged.empty()) {
    Status acked = store_.outbox().Acknowledge(acknowledged);
    if (!acked.ok()) {
      // They stay queued and go again; the cloud answers "duplicate".
      LogError(kComponent, "cannot acknowledge delivered events: " + acked.ToString());
    } else if (on_acknowledged_) {
      on_acknowledged_(acknowledged);
    }
  }
  // Counted once per batch, under the first destination.
  status_.Pushed(sinks_.front()->Name(), static_cast<std::int64_t>(acknowledged.size()), dead,
                 static_cast<std::int64_t>(retry.size()));
  if (retry.empty()) {
    backoff_.Reset();
    batch_limit_ = std::min(limits_.max_events, batch_limit_ * 2);
    return 0;
  }
  // Retry-After is obeyed as given; otherwise capped full-jitter backoff.
  const std::chrono::milliseconds delay = retry_after ? *retry_after : backoff_.Next();
  const UnixMillis next_attempt = clock_.NowMillis() + delay.count();
  Status deferred = store_.outbox().Defer(retry, next_attempt, retry_reason);
  if (!deferred.ok()) LogError(kComponent, "cannot defer events: " + deferred.ToString());
  LogDebug(kComponent, std::to_string(retry.size()) + " events retry in " +
                           std::to_string(delay.count()) + " ms: " + retry_reason);
  return next_attempt;
}

void Pusher::WaitForWork(std::uint64_t generation, UnixMillis checked_at) {
  std::chrono::milliseconds wait = kIdleWait;
  // Anything due at `checked_at` was offered by Due(); look for later ones.
  auto next = store_.outbox().NextAttemptAfter(checked_at);
  if (next.ok() && next->has_value()) {
    // Deferred events exist: wake when the first comes due (re-reading the
    // clock now and then, in case it is an injected one that runs fast).
    const std::int64_t until = **next - clock_.NowMillis();
    wait =
        std::clamp(std::chrono::milliseconds(until), std::chrono::milliseconds(1), kClockRecheck);
  }
  store_.WaitForOutbox(generation, wait);
}

void Pusher::ReportBacklog(bool force) {
  // Counting a large outbox costs a scan; a few times a second is plenty.
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_backlog_ < std::chrono::milliseconds(500)) return;
  last_backlog_ = now;
  auto depth = store_.outbox().Depth();
  if (depth.ok()) status_.Backlog(*depth, force);
}

}  // namespace tillbridge::sync
