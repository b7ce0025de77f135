#include "sync/webhook_sink.h"

#include <algorithm>
#include <charconv>

#include "common/digest.h"
#include "sync/cloud_client.h"
#include "sync/http_transport.h"

namespace tillbridge::sync {
namespace {

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

std::string Excerpt(const std::string& body) {
  std::string text = body.substr(0, 200);
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

}  // namespace

std::string WebhookSignature(std::string_view secret, std::int64_t timestamp_seconds,
                             std::string_view body) {
  std::string signed_text = std::to_string(timestamp_seconds);
  signed_text.push_back('.');
  signed_text.append(body);
  return "v1=" + HmacSha256Hex(secret, signed_text);
}

Status VerifyWebhookSignature(std::string_view secret, std::string_view timestamp_header,
                              std::string_view signature_header, std::string_view body,
                              std::int64_t now_seconds, std::int64_t tolerance_seconds) {
  std::int64_t timestamp = 0;
  const auto* end = timestamp_header.data() + timestamp_header.size();
  auto [ptr, ec] = std::from_chars(timestamp_header.data(), end, timestamp);
  if (timestamp_header.empty() || ec != std::errc() || ptr != end) {
    return Status::PermissionDenied("Tillbridge-Timestamp is missing or not a number");
  }
  if (std::llabs(now_seconds - timestamp) > tolerance_seconds) {
    return Status::PermissionDenied("Tillbridge-Timestamp is " +
                                    std::to_string(now_seconds - timestamp) +
                                    " s away from now (replayed or clock wrong)");
  }
  if (!ConstantTimeEqual(WebhookSignature(secret, timestamp, body), signature_header)) {
    return Status::PermissionDenied("Tillbridge-Signature does not match the body");
  }
  return Status::Ok();
}

WebhookSink::WebhookSink(const WebhookOptions& options, const Clock& clock)
    : options_(options), clock_(clock) {}

WebhookSink::~WebhookSink() = default;

Result<std::unique_ptr<WebhookSink>> WebhookSink::Create(const WebhookOptions& options,
                                                         const Clock& clock,
                                                         std::string agent_version) {
  std::unique_ptr<WebhookSink> sink(new WebhookSink(options, clock));
  auto transport = HttpTransport::Create(options.endpoint, "tillbridge/" + agent_version);
  if (!transport.ok()) return transport.status();
  sink->transport_ = std::move(transport).value();
  return sink;
}

bool WebhookSink::Wanted(const std::string& type) const {
  return options_.event_types.empty() ||
         std::find(options_.event_types.begin(), options_.event_types.end(), type) !=
             options_.event_types.end();
}

Delivery WebhookSink::Deliver(const std::vector<store::OutboxEvent>& events) {
  Delivery delivery;
  delivery.per_event.reserve(events.size());
  for (const auto& event : events) {
    if (!delivery.per_event.empty() && delivery.per_event.back().result == SendResult::kRetry) {
      // Keep order: nothing after a retried event goes out before it.
      delivery.per_event.push_back(delivery.per_event.back());
      continue;
    }
    if (!Wanted(event.type)) {
      delivery.per_event.push_back(SendOutcome::Ok());
      continue;
    }
    const std::int64_t timestamp = clock_.NowMillis() / 1000;
    HttpRequest request;
    request.method = "POST";
    request.body = event.payload_json;
    request.headers = {{std::string(kWebhookTimestampHeader), std::to_string(timestamp)},
                       {std::string(kWebhookSignatureHeader),
                        WebhookSignature(options_.secret, timestamp, request.body)},
                       {std::string(kWebhookEventIdHeader), event.event_id},
                       {std::string(kWebhookEventTypeHeader), event.type}};
    auto response = transport_->Send(request);
    if (!response.ok()) {
      delivery.error = "webhook: " + response.status().message();
      delivery.per_event.push_back(SendOutcome::Retry(delivery.error));
      continue;
    }
    delivery.reached = true;
    const int status = response->status;
    if (status / 100 == 2) {
      delivery.per_event.push_back(SendOutcome::Ok());
      continue;
    }
    const std::string what = "webhook answered " + std::to_string(status) +
                             (response->body.empty() ? "" : ": " + Excerpt(response->body));
    delivery.error = what;
    if (status == 401 || status == 403) delivery.unauthorized = true;
    const bool endpoint_problem =
        status == 401 || status == 403 || status == 404 || status == 405 || status == 410;
    if (status / 100 == 4 && !endpoint_problem && status != 408 && status != 425 && status != 429) {
      // The hook refused this event's content; others may still pass.
      delivery.per_event.push_back(SendOutcome::Fatal(what));
      continue;
    }
    // A wrong URL or secret, a busy or broken receiver: retry with backoff,
    // never dead-letter events for the receiver's own trouble.
    delivery.per_event.push_back(
        RetryFor(status, response->Header("Retry-After"), clock_.NowMillis(), what));
  }
  return delivery;
}

void WebhookSink::Cancel() { transport_->Cancel(); }

}  // namespace tillbridge::sync
