// The webhook sink: each event as one JSON POST to a Zapier-style catch
// hook, signed so the receiver can check it came from this agent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "sync/event_sink.h"
#include "sync/sync_options.h"

namespace tillbridge::sync {

class HttpTransport;

// Headers of each webhook delivery (docs/sync-api.md, "Webhook sink").
inline constexpr std::string_view kWebhookTimestampHeader = "Tillbridge-Timestamp";
inline constexpr std::string_view kWebhookSignatureHeader = "Tillbridge-Signature";
inline constexpr std::string_view kWebhookEventIdHeader = "Tillbridge-Event-Id";
inline constexpr std::string_view kWebhookEventTypeHeader = "Tillbridge-Event-Type";

// The Tillbridge-Signature value: "v1=" + hex HMAC-SHA256 under `secret` of
// "<timestamp_seconds>.<body>" (docs/sync-api.md tells receivers how to
// check it).
std::string WebhookSignature(std::string_view secret, std::int64_t timestamp_seconds,
                             std::string_view body);

// Checks a received signature the way a receiver should: the timestamp is
// within `tolerance_seconds` of `now_seconds` and the signature matches (in
// constant time). PermissionDenied says which check failed.
Status VerifyWebhookSignature(std::string_view secret, std::string_view timestamp_header,
                              std::string_view signature_header, std::string_view body,
                              std::int64_t now_seconds, std::int64_t tolerance_seconds = 300);

// One POST per event, in order; stops at the first event that must be
// retried so later events keep their order.
class WebhookSink final : public EventSink {
 public:
  static Result<std::unique_ptr<WebhookSink>> Create(const WebhookOptions& options,
                                                     const Clock& clock, std::string agent_version);
  ~WebhookSink() override;

  std::string_view Name() const override { return "webhook"; }
  Delivery Deliver(const std::vector<store::OutboxEvent>& events) override;
  void Cancel() override;

 private:
  WebhookSink(const WebhookOptions& options, const Clock& clock);
  bool Wanted(const std::string& type) const;

  WebhookOptions options_;
  const Clock& clock_;
  std::unique_ptr<HttpTransport> transport_;
};

}  // namespace tillbridge::sync
