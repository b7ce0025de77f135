#include "sync/sync_service.h"

#include <algorithm>
#include <thread>

#include "common/log.h"
#include "store/outbox.h"
#include "store/store.h"
#include "store/sync_state.h"
#include "sync/backoff.h"
#include "sync/cloud_client.h"
#include "sync/puller.h"
#include "sync/pusher.h"
#include "sync/webhook_sink.h"

namespace tillbridge::sync {
namespace {

std::string Platform() {
#if defined(_WIN32)
  return "windows";
#elif defined(__APPLE__)
  return "macos";
#else
  return "linux";
#endif
}

// Where the cloud's latest Retry-After is kept, so that a restarted agent
// does not come back before the cloud asked it to.
constexpr std::string_view kHoldKey = "cloud.retry_after_until";

void KeepHoldAcrossRestarts(store::Store& store, CloudClient& client) {
  auto held = store.sync_state().Get(kHoldKey);
  if (held.ok() && held->has_value()) {
    auto until = ParseRfc3339(**held);
    const UnixMillis now = store.clock().NowMillis();
    // Never longer than a Retry-After can be, whatever the clock did since.
    if (until.ok() && *until > now) {
      client.HoldUntil(std::min<UnixMillis>(*until, now + kMaxRetryAfter.count()));
      LogInfo("sync", "the cloud asked for no requests before " + **held + "; waiting");
    }
  }
  client.SetHoldListener([&store](UnixMillis until) {
    Status written = store.sync_state().Set(kHoldKey, FormatRfc3339(until));
    if (!written.ok()) {
      LogWarning("sync", "cannot record the cloud's Retry-After: " + written.ToString());
    }
  });
}

}  // namespace

struct SyncService::Running {
  StopSignal stop;
  std::unique_ptr<CloudClient> cloud;
  std::unique_ptr<WebhookSink> webhook;
  std::unique_ptr<Pusher> pusher;
  std::unique_ptr<Puller> puller;
  std::thread push_thread;
  std::thread pull_thread;
};

SyncService::SyncService(store::Store& store, SyncOptions options)
    : store_(store), options_(std::move(options)), status_(store, store.clock()) {}

SyncService::~SyncService() { Stop(); }

bool SyncService::running() const { return running_ != nullptr; }

SyncSnapshot SyncService::Snapshot() const { return status_.Snapshot(); }

void SyncService::SetAcknowledgedListener(
    std::function<void(const std::vector<std::string>&)> listener) {
  on_acknowledged_ = std::move(listener);
}

void SyncService::SetChangesListener(std::function<void(const store::ApplyReport&)> listener) {
  on_changes_ = std::move(listener);
}

Status SyncService::Start() {
  if (running_) return Status::FailedPrecondition("sync is already running");
  const CloudOptions& cloud = options_.cloud;
  const WebhookOptions& webhook = options_.webhook;
  if (!cloud.enabled) status_.SetState("cloud", kStateDisabled);
  if (!webhook.enabled) status_.SetState("webhook", kStateDisabled);
  if (!cloud.enabled && !webhook.enabled) return Status::Ok();
  if (cloud.enabled && !cloud.endpoint.verify_tls) {
    LogWarning("sync", "cloud.verify_tls is off: the cloud's identity is not checked");
  }

  auto run = std::make_unique<Running>();
  std::vector<EventSink*> sinks;
  if (cloud.enabled) {
    AgentInfo agent{store_.agent_id(),      store_.store_id(), store_.terminal_id(),
                    options_.agent_version, Platform(),        store_.clock().NowMillis()};
    auto client = CloudClient::Create(cloud, std::move(agent), store_.clock());
    if (!client.ok()) return client.status();
    run->cloud = std::move(client).value();
    KeepHoldAcrossRestarts(store_, *run->cloud);
    sinks.push_back(run->cloud.get());
  }
  if (webhook.enabled) {
    auto sink = WebhookSink::Create(webhook, store_.clock(), options_.agent_version);
    if (!sink.ok()) return sink.status();
    run->webhook = std::move(sink).value();
    sinks.push_back(run->webhook.get());
  }

  const EndpointOptions& timing = cloud.enabled ? cloud.endpoint : webhook.endpoint;
  PusherLimits limits;
  limits.max_events = cloud.enabled ? cloud.batch_max_events : 100;
  limits.max_bytes = cloud.enabled ? cloud.batch_max_bytes : (1u << 20);
  limits.backoff_initial = timing.backoff_initial;
  limits.backoff_max = timing.backoff_max;
  limits.jitter_seed = options_.jitter_seed;
  run->pusher = std::make_unique<Pusher>(store_, std::move(sinks), limits, status_, run->stop,
                                         on_acknowledged_);
  if (cloud.enabled && cloud.pull) {
    PullerOptions pull;
    pull.long_poll = cloud.long_poll_timeout;
    pull.page_size = cloud.pull_page_size;
    pull.backoff_initial = cloud.endpoint.backoff_initial;
    pull.backoff_max = cloud.endpoint.backoff_max;
    pull.jitter_seed = options_.jitter_seed;
    run->puller =
        std::make_unique<Puller>(store_, *run->cloud, pull, status_, run->stop, on_changes_);
  }

  Running* raw = run.get();
  raw->push_thread = std::thread([raw] { raw->pusher->Run(); });
  if (raw->puller) raw->pull_thread = std::thread([raw] { raw->puller->Run(); });
  running_ = std::move(run);
  LogInfo("sync", std::string("sync started:") +
                      (cloud.enabled ? " cloud " + cloud.endpoint.url : "") +
                      (webhook.enabled ? " webhook" : "") +
                      (cloud.enabled && cloud.pull ? " (pulling changes)" : ""));
  return Status::Ok();
}

void SyncService::Stop() {
  if (!running_) return;
  running_->stop.Stop();
  // Wake the pusher from its outbox wait and abort requests in flight (a
  // long poll would otherwise hold Stop for its whole timeout).
  store_.outbox().WakeWaiters();
  if (running_->cloud) running_->cloud->Cancel();
  if (running_->webhook) running_->webhook->Cancel();
  if (running_->push_thread.joinable()) running_->push_thread.join();
  if (running_->pull_thread.joinable()) running_->pull_thread.join();
  running_.reset();
  LogInfo("sync", "sync stopped");
}

}  // namespace tillbridge::sync
