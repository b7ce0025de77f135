// A destination for outbox events (the Sync API, a webhook) and the
// Ok / Retry / Fatal answer every send gives.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/model.h"

namespace tillbridge::sync {

// Ok: delivered (or already delivered), acknowledge it. Retry: try again
// later, with backoff. Fatal: the destination will never take it, move it to
// the dead-letter table with the reason.
enum class SendResult { kOk, kRetry, kFatal };

// One event's outcome, with the reason for Retry and Fatal.
struct SendOutcome {
  SendResult result = SendResult::kOk;
  std::string reason;
  // Set when the destination said when to come back (Retry-After).
  std::optional<std::chrono::milliseconds> retry_after;

  static SendOutcome Ok() { return {}; }
  static SendOutcome Retry(std::string reason,
                           std::optional<std::chrono::milliseconds> retry_after = std::nullopt) {
    return {SendResult::kRetry, std::move(reason), retry_after};
  }
  static SendOutcome Fatal(std::string reason) {
    return {SendResult::kFatal, std::move(reason), {}};
  }
};

// How a destination dealt with one batch.
struct Delivery {
  std::vector<SendOutcome> per_event;  // one per event, in the batch's order
  // The destination refused the batch as a whole (too large, unreadable):
  // send smaller batches; nothing was delivered and nothing is deferred.
  bool split = false;
  bool reached = false;       // an HTTP answer came back at all
  bool unauthorized = false;  // the answer was 401/403: fix the credentials
  std::string error;          // what went wrong, for status and logs
};

// Sends events somewhere. Deliver is called from one thread; Cancel from any.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // "cloud" or "webhook": names state keys and metrics.
  virtual std::string_view Name() const = 0;
  // Delivers `events` in order. A Retry outcome is followed only by Retry
  // outcomes, so per-customer order survives a partial delivery.
  virtual Delivery Deliver(const std::vector<store::OutboxEvent>& events) = 0;
  // Aborts a delivery in flight; later deliveries fail fast.
  virtual void Cancel() = 0;
  // Destination clock minus local clock, when the destination reports it.
  virtual std::optional<std::int64_t> ClockSkewMs() const { return std::nullopt; }
  // The most events / bytes this destination takes per Deliver; 0: no limit.
  virtual std::size_t MaxBatchEvents() const { return 0; }
  virtual std::size_t MaxBatchBytes() const { return 0; }
};

}  // namespace tillbridge::sync
