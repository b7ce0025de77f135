// The outbox: events waiting for the cloud to acknowledge them, and the
// dead-letter table for events the cloud rejected for good.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/model.h"

namespace tillbridge::store {

struct StoreCore;

struct DeadLetter {
  std::string event_id;
  std::string type;
  std::string reason;
  std::int64_t attempts = 0;
  UnixMillis failed_at = 0;
};

// Thread-safe (serialized through the store).
class Outbox {
 public:
  explicit Outbox(StoreCore& core) : core_(core) {}

  // Oldest-first events that are due (next attempt time reached), at most
  // `max_count` of them and about `max_bytes` of payload (always at least
  // one when any is due).
  Result<std::vector<OutboxEvent>> Due(std::size_t max_count, std::size_t max_bytes);

  // Removes acknowledged events. Unknown ids are ignored.
  Status Acknowledge(const std::vector<std::string>& event_ids);

  // Records a failed attempt and when to try again. Card numbers in `error`
  // (and in MoveToDeadLetter's `reason`) are masked.
  Status Defer(const std::vector<std::string>& event_ids, UnixMillis next_attempt_at,
               std::string_view error);

  // Moves an event to the dead-letter table with `reason`, in one transaction.
  Status MoveToDeadLetter(const std::string& event_id, std::string_view reason);

  Result<std::vector<DeadLetter>> DeadLetters(std::size_t limit);
  // Number of events waiting.
  Result<std::int64_t> Depth();

  // The earliest next-attempt time later than `now` among waiting events, or
  // nullopt when none is deferred past `now` (lets a pusher sleep until a
  // deferred event comes due instead of polling).
  Result<std::optional<UnixMillis>> NextAttemptAfter(UnixMillis now);

  // Wakes every Store::WaitForOutbox caller at once (used to stop a pusher
  // promptly); waiters see a new generation with nothing new to send.
  void WakeWaiters();

 private:
  StoreCore& core_;
};

}  // namespace tillbridge::store
