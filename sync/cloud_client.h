// The agent's side of the Sync API (docs/sync-api.md): registration, batch
// push with per-event results, and the long-polled change feed.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "sync/event_sink.h"
#include "sync/http_transport.h"
#include "sync/sync_api.h"
#include "sync/sync_options.h"

namespace tillbridge::sync {

// Thread-safe: the pusher calls Deliver while the puller calls Pull; each
// has its own connection.
class CloudClient final : public EventSink {
 public:
  // InvalidArgument for a URL the HTTP layer cannot use.
  static Result<std::unique_ptr<CloudClient>> Create(const CloudOptions& options, AgentInfo agent,
                                                     const Clock& clock);
  ~CloudClient() override;

  std::string_view Name() const override { return "cloud"; }

  // PUT /v1/agents/{agent_id}. Ok records the limits the cloud announced.
  SendOutcome Register();
  bool registered() const { return registered_.load(); }

  // POST /v1/agents/{agent_id}/events. Registers first when needed (and
  // again when the cloud says it does not know the agent).
  Delivery Deliver(const std::vector<store::OutboxEvent>& events) override;

  struct PullReply {
    SendOutcome outcome;
    ChangesPage page;  // valid when outcome is Ok
    bool reached = false;
    bool unauthorized = false;
    bool bad_cursor = false;  // the cloud does not know the cursor
  };
  // GET /v1/agents/{agent_id}/changes; waits up to `wait` for changes.
  PullReply Pull(const std::optional<std::string>& cursor, std::chrono::milliseconds wait,
                 std::size_t limit);

  // GET /v1/health with the token: Ok, PermissionDenied (token refused),
  // Unavailable (no answer, TLS failure, unexpected status).
  Status Health();

  void Cancel() override;

  // Sends no request before `until` (a Retry-After remembered from before a
  // restart); an earlier time than the one already held changes nothing.
  // True when the hold moved later.
  bool HoldUntil(UnixMillis until);
  // Called, on the thread that read the answer, whenever a Retry-After moves
  // the hold later, so the caller can keep it across restarts. Set before
  // the first request.
  void SetHoldListener(std::function<void(UnixMillis until)> listener);

  // Batch limits: the configured ones, lowered to what the cloud announced.
  std::size_t MaxBatchEvents() const override;
  std::size_t MaxBatchBytes() const override;
  // Server clock minus local clock from the last answer, when known.
  std::optional<std::int64_t> ClockSkewMs() const override;

 private:
  CloudClient(const CloudOptions& options, AgentInfo agent, const Clock& clock);
  HttpRequest Authorized(std::string method, std::string path) const;
  // Register(), also telling whether an answer came and whether it was 401/403.
  SendOutcome RegisterDetailed(bool* reached, bool* unauthorized);
  void NoteServerTime(const HttpResponse& response);
  Delivery PushOnce(const std::vector<store::OutboxEvent>& events, bool* not_registered);
  // Retry (with the time left) while an earlier Retry-After still holds.
  std::optional<SendOutcome> HeldBack() const;
  // Notes the outcome's Retry-After as the earliest time for any request.
  SendOutcome Remember(SendOutcome outcome);

  CloudOptions options_;
  AgentInfo agent_;
  const Clock& clock_;
  std::unique_ptr<HttpTransport> push_transport_;
  std::unique_ptr<HttpTransport> pull_transport_;
  std::atomic<bool> registered_{false};
  std::mutex register_mutex_;  // one registration at a time
  std::atomic<std::size_t> server_max_events_{0};
  std::atomic<std::size_t> server_max_bytes_{0};
  std::atomic<std::int64_t> server_max_wait_ms_{0};
  std::atomic<UnixMillis> not_before_{0};  // no request before this (Retry-After)
  std::function<void(UnixMillis)> on_hold_;
  std::atomic<bool> have_skew_{false};
  std::atomic<std::int64_t> skew_ms_{0};
};

// A Retry outcome for an HTTP status the Sync API or a webhook gave, with
// Retry-After honoured; shared so both destinations classify alike.
SendOutcome RetryFor(int status, const std::string& retry_after_header, UnixMillis now,
                     const std::string& what);

}  // namespace tillbridge::sync
