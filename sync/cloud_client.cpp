#include "sync/cloud_client.h"

#include <algorithm>
#include <cctype>

#include "common/digest.h"
#include "common/log.h"
#include "sync/backoff.h"

namespace tillbridge::sync {
namespace {

constexpr std::string_view kComponent = "sync";

std::string Excerpt(const std::string& body) {
  std::string text = body.substr(0, 200);
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

std::string Describe(const HttpResponse& response, const std::string& what) {
  const ApiError error = ParseApiError(response.body);
  std::string text = what + ": cloud answered " + std::to_string(response.status);
  if (!error.code.empty()) {
    text += " " + error.code + (error.message.empty() ? "" : " (" + error.message + ")");
  } else if (!response.body.empty()) {
    text += " " + Excerpt(response.body);
  }
  return text;
}

// Statuses that say the request itself (not the moment) is wrong.
bool IsRequestError(int status) {
  return status == 400 || status == 413 || status == 415 || status == 422;
}

}  // namespace

SendOutcome RetryFor(int status, const std::string& retry_after_header, UnixMillis now,
                     const std::string& what) {
  std::optional<std::chrono::milliseconds> retry_after;
  if (!retry_after_header.empty() && (status == 429 || status == 503 || status / 100 == 5)) {
    retry_after = ParseRetryAfter(retry_after_header, now);
  }
  return SendOutcome::Retry(what, retry_after);
}

CloudClient::CloudClient(const CloudOptions& options, AgentInfo agent, const Clock& clock)
    : options_(options), agent_(std::move(agent)), clock_(clock) {}

CloudClient::~CloudClient() = default;

Result<std::unique_ptr<CloudClient>> CloudClient::Create(const CloudOptions& options,
                                                         AgentInfo agent, const Clock& clock) {
  std::unique_ptr<CloudClient> client(new CloudClient(options, std::move(agent), clock));
  const std::string user_agent = "tillbridge/" + client->agent_.agent_version;
  auto push = HttpTransport::Create(options.endpoint, user_agent);
  if (!push.ok()) return push.status();
  client->push_transport_ = std::move(push).value();
  // The cloud holds a pull open for up to long_poll_timeout; the request
  // limit must outlast it.
  auto pull = HttpTransport::Create(options.endpoint, user_agent,
                                    options.long_poll_timeout + options.endpoint.timeout);
  if (!pull.ok()) return pull.status();
  client->pull_transport_ = std::move(pull).value();
  return client;
}

HttpRequest CloudClient::Authorized(std::string method, std::string path) const {
  HttpRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.headers = {{"Authorization", "Bearer " + options_.token},
                     {std::string(kApiVersionHeader), std::string(kApiVersion)},
                     {std::string(kAgentIdHeader), agent_.agent_id},
                     {std::string(kSentAtHeader), FormatRfc3339(clock_.NowMillis())}};
  return request;
}

void CloudClient::NoteServerTime(const HttpResponse& response) {
  const std::string header = response.Header(kServerTimeHeader);
  if (header.empty()) return;
  auto server = ParseRfc3339(header);
  if (!server.ok()) return;
  skew_ms_.store(*server - clock_.NowMillis());
  have_skew_.store(true);
}

std::optional<SendOutcome> CloudClient::HeldBack() const {
  const UnixMillis remaining = not_before_.load() - clock_.NowMillis();
  if (remaining <= 0) return std::nullopt;
  return SendOutcome::Retry("waiting for the cloud's Retry-After",
                            std::chrono::milliseconds(remaining));
}

SendOutcome CloudClient::Remember(SendOutcome outcome) {
  if (outcome.result == SendResult::kRetry && outcome.retry_after) {
    // A Retry-After holds for the whole client: the other thread's next
    // request must not come early either.
    const UnixMillis until = clock_.NowMillis() + outcome.retry_after->count();
    if (HoldUntil(until) && on_hold_) on_hold_(until);
  }
  return outcome;
}

bool CloudClient::HoldUntil(UnixMillis until) {
  UnixMillis seen = not_before_.load();
  while (seen < until) {
    if (not_before_.compare_exchange_weak(seen, until)) return true;
  }
  return false;
}

void CloudClient::SetHoldListener(std::function<void(UnixMillis until)> listener) {
  on_hold_ = std::move(listener);
}

std::optional<std::int64_t> CloudClient::ClockSkewMs() const {
  if (!have_skew_.load()) return std::nullopt;
  return skew_ms_.load();
}

std::size_t CloudClient::MaxBatchEvents() const {
  const std::size_t server = server_max_events_.load();
  return server > 0 ? std::min(server, options_.batch_max_events) : options_.batch_max_events;
}

std::size_t CloudClient::MaxBatchBytes() const {
  const std::size_t server = server_max_bytes_.load();
  return server > 0 ? std::min(server, options_.batch_max_bytes) : options_.batch_max_bytes;
}

SendOutcome CloudClient::Register() { return RegisterDetailed(nullptr, nullptr); }

SendOutcome CloudClient::RegisterDetailed(bool* reached, bool* unauthorized) {
  std::lock_guard lock(register_mutex_);
  if (auto held = HeldBack()) return *held;
  HttpRequest request = Authorized("PUT", "/v1/agents/" + agent_.agent_id);
  request.body = BuildRegistrationBody(agent_);
  auto response = push_transport_->Send(request);
  if (!response.ok()) return SendOutcome::Retry("register: " + response.status().message());
  if (reached != nullptr) *reached = true;
  NoteServerTime(*response);
  if (response->status == 200 || response->status == 201) {
    auto limits = ParseRegistrationResponse(response->body);
    if (!limits.ok()) return SendOutcome::Retry("register: " + limits.status().message());
    server_max_events_.store(limits->max_batch_events);
    server_max_bytes_.store(limits->max_batch_bytes);
    server_max_wait_ms_.store(limits->max_wait.count());
    if (!registered_.exchange(true)) {
      LogInfo(kComponent, "registered agent " + agent_.agent_id + " for store " + agent_.store_id +
                              " with " + options_.endpoint.url);
    }
    return SendOutcome::Ok();
  }
  if (unauthorized != nullptr) {
    *unauthorized = response->status == 401 || response->status == 403;
  }
  // A refused registration (4xx) will not fix itself, but retrying with
  // backoff picks up a corrected token or config without a restart.
  return Remember(RetryFor(response->status, response->Header("Retry-After"), clock_.NowMillis(),
                           Describe(*response, "register")));
}

Delivery CloudClient::PushOnce(const std::vector<store::OutboxEvent>& events,
                               bool* not_registered) {
  Delivery delivery;
  const auto fill = [&](const SendOutcome& outcome) {
    delivery.per_event.assign(events.size(), outcome);
    delivery.error = outcome.reason;
  };
  if (auto held = HeldBack()) {
    delivery.reached = true;  // it answered; it asked us to wait
    fill(*held);
    return delivery;
  }
  HttpRequest request = Authorized("POST", "/v1/agents/" + agent_.agent_id + "/events");
  request.body = BuildPushBody(events, RandomHex(8), clock_.NowMillis());
  auto response = push_transport_->Send(request);
  if (!response.ok()) {
    fill(SendOutcome::Retry("push: " + response.status().message()));
    return delivery;
  }
  delivery.reached = true;
  NoteServerTime(*response);
  const int status = response->status;
  if (status == 200) {
    auto results = ParsePushResponse(response->body);
    if (!results.ok()) {
      fill(SendOutcome::Retry("push: " + results.status().message()));
      return delivery;
    }
    // Match by id: an event the answer leaves out is retried, not assumed.
    delivery.per_event.assign(events.size(), SendOutcome::Retry("push: no result for this event"));
    bool missing = false;
    for (size_t i = 0, r = 0; i < events.size(); ++i) {
      const EventResult* found = nullptr;
      if (r < results->size() && (*results)[r].event_id == events[i].event_id) {
        found = &(*results)[r++];
      } else {
        for (const auto& result : *results) {
          if (result.event_id == events[i].event_id) found = &result;
        }
      }
      if (found == nullptr) {
        missing = true;
        // Order: once one event must be retried, so must every later one.
        break;
      }
      delivery.per_event[i] = found->status == EventStatus::kRejected
                                  ? SendOutcome::Fatal("cloud rejected: " + found->reason)
                                  : SendOutcome::Ok();
    }
    if (missing) delivery.error = "push: the answer left out some events";
    return delivery;
  }
  const std::string what = Describe(*response, "push");
  if (status == 401 || status == 403) {
    delivery.unauthorized = true;
    fill(SendOutcome::Retry(what));
    return delivery;
  }
  if (status == 409 && ParseApiError(response->body).code == "agent_not_registered") {
    registered_.store(false);
    *not_registered = true;
    fill(SendOutcome::Retry(what));
    return delivery;
  }
  if (IsRequestError(status) ||
      (status / 100 == 4 && status != 404 && status != 405 && status != 408 && status != 410 &&
       status != 425 && status != 426 && status != 429)) {
    if (events.size() > 1) {
      delivery.split = true;
      fill(SendOutcome::Retry(what));
    } else {
      fill(SendOutcome::Fatal(what));
    }
    return delivery;
  }
  fill(Remember(RetryFor(status, response->Header("Retry-After"), clock_.NowMillis(), what)));
  return delivery;
}

Delivery CloudClient::Deliver(const std::vector<store::OutboxEvent>& events) {
  if (!registered_.load()) {
    Delivery delivery;
    SendOutcome outcome = RegisterDetailed(&delivery.reached, &delivery.unauthorized);
    if (outcome.result != SendResult::kOk) {
      delivery.per_event.assign(events.size(), outcome);
      delivery.error = outcome.reason;
      return delivery;
    }
  }
  bool not_registered = false;
  Delivery delivery = PushOnce(events, &not_registered);
  if (not_registered && Register().result == SendResult::kOk) {
    // The cloud forgot this agent (e.g. its records were reset): register
    // again and resend at once; the event ids make the resend harmless.
    not_registered = false;
    delivery = PushOnce(events, &not_registered);
  }
  return delivery;
}

CloudClient::PullReply CloudClient::Pull(const std::optional<std::string>& cursor,
                                         std::chrono::milliseconds wait, std::size_t limit) {
  PullReply reply;
  if (!registered_.load()) {
    reply.outcome = RegisterDetailed(&reply.reached, &reply.unauthorized);
    if (reply.outcome.result != SendResult::kOk) return reply;
  }
  const std::int64_t server_wait = server_max_wait_ms_.load();
  if (server_wait > 0) wait = std::min(wait, std::chrono::milliseconds(server_wait));
  std::string path = "/v1/agents/" + agent_.agent_id + "/changes?limit=" + std::to_string(limit) +
                     "&wait=" + std::to_string(wait.count() / 1000);
  if (cursor && !cursor->empty()) {
    // Cursors are opaque; percent-encode so any character survives.
    std::string encoded;
    for (unsigned char c : *cursor) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        encoded.push_back(static_cast<char>(c));
      } else {
        static constexpr char kHex[] = "0123456789ABCDEF";
        encoded += '%';
        encoded += kHex[c >> 4];
        encoded += kHex[c & 0x0f];
      }
    }
    path += "&cursor=" + encoded;
  }
  if (auto held = HeldBack()) {
    reply.reached = true;
    reply.outcome = *held;
    return reply;
  }
  auto response = pull_transport_->Send(Authorized("GET", path));
  if (!response.ok()) {
    reply.outcome = SendOutcome::Retry("pull: " + response.status().message());
    return reply;
  }
  reply.reached = true;
  NoteServerTime(*response);
  const int status = response->status;
  const std::string what = Describe(*response, "pull");
  if (status == 200) {
    auto page = ParseChangesPage(response->body);
    if (!page.ok()) {
      reply.outcome = SendOutcome::Retry("pull: " + page.status().message());
      return reply;
    }
    reply.page = std::move(page).value();
    reply.outcome = SendOutcome::Ok();
    return reply;
  }
  if (status == 401 || status == 403) {
    reply.unauthorized = true;
    reply.outcome = SendOutcome::Retry(what);
    return reply;
  }
  const ApiError error = ParseApiError(response->body);
  if (status == 409 && error.code == "agent_not_registered") {
    registered_.store(false);
    reply.outcome = SendOutcome::Retry(what, std::chrono::milliseconds(0));
    return reply;
  }
  if (status == 400 && error.code == "invalid_cursor") {
    reply.bad_cursor = true;
    reply.outcome = SendOutcome::Fatal(what);
    return reply;
  }
  reply.outcome =
      Remember(RetryFor(status, response->Header("Retry-After"), clock_.NowMillis(), what));
  return reply;
}

Status CloudClient::Health() {
  auto response = push_transport_->Send(Authorized("GET", "/v1/health"));
  if (!response.ok()) {
    return Status::Unavailable(options_.endpoint.url + ": " + response.status().message());
  }
  NoteServerTime(*response);
  if (response->status == 200) return Status::Ok();
  const std::string what = Describe(*response, options_.endpoint.url + "/v1/health");
  if (response->status == 401 || response->status == 403) {
    return Status::PermissionDenied(what + "; check cloud.token");
  }
  return Status::Unavailable(what);
}

void CloudClient::Cancel() {
  push_transport_->Cancel();
  pull_transport_->Cancel();
}

}  // namespace tillbridge::sync
