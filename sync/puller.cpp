#include "sync/puller.h"

#include "common/log.h"
#include "common/metrics.h"
#include "store/store.h"
#include "sync/cloud_client.h"

namespace tillbridge::sync {
namespace {

constexpr std::string_view kComponent = "sync";

}  // namespace

Puller::Puller(store::Store& store, CloudClient& client, PullerOptions options, SyncStatus& status,
               StopSignal& stop, ChangesListener on_changes)
    : store_(store),
      client_(client),
      clock_(store.clock()),
      options_(options),
      status_(status),
      stop_(stop),
      on_changes_(std::move(on_changes)),
      backoff_(options.backoff_initial, options.backoff_max, options.jitter_seed ^ 0x9e3779b9) {}

void Puller::Run() {
  while (!stop_.stopped()) {
    auto cursor = store_.cloud_changes().Cursor();
    if (cursor.ok()) {
      stored_cursor_ = *cursor;
      request_cursor_ = *cursor;
      break;
    }
    LogError(kComponent, "cannot read the pull cursor: " + cursor.status().ToString());
    if (stop_.WaitFor(std::chrono::seconds(1))) return;
  }
  while (!stop_.stopped()) {
    const UnixMillis resume_at = PullOnce();
    if (resume_at > 0 && WaitUntil(clock_, resume_at, stop_)) break;
  }
}

UnixMillis Puller::PullOnce() {
  const auto wait = more_ ? std::chrono::milliseconds(0) : options_.long_poll;
  const auto started = std::chrono::steady_clock::now();
  CloudClient::PullReply reply = client_.Pull(request_cursor_, wait, options_.page_size);
  if (stop_.stopped()) return 0;
  status_.ClockSkew(client_.ClockSkewMs());
  if (reply.outcome.result != SendResult::kOk) {
    status_.SetState("cloud",
                     !reply.reached       ? kStateOffline
                     : reply.unauthorized ? kStateUnauthorized
                                          : kStateOnline,
                     reply.outcome.reason);
    if (reply.bad_cursor) {
      // Replaying the feed from the start is safe: consent follows the
      // opt-out-wins rules, engagement rows are keyed by change id and the
      // other changes carry absolute values.
      LogWarning(kComponent,
                 "the cloud does not know the pull cursor; reading the change feed "
                 "again from the start");
      MetricsRegistry::Global()
          .GetCounter("tillbridge_sync_pull_cursor_resets_total",
                      "Times the cloud refused the pull cursor and the feed restarted")
          .Increment();
      request_cursor_.reset();
    }
    more_ = false;
    const auto delay = reply.outcome.retry_after ? *reply.outcome.retry_after : backoff_.Next();
    return clock_.NowMillis() + delay.count();
  }
  backoff_.Reset();
  status_.SetState("cloud", kStateOnline);
  const ChangesPage& page = reply.page;
  for (const auto& reason : page.unusable) {
    LogWarning(kComponent, "skipped a change from the cloud: " + reason);
  }
  store::ApplyReport report;
  if (!page.changes.empty() || page.next_cursor != stored_cursor_.value_or("")) {
    auto applied = store_.cloud_changes().ApplyPage(page.changes, page.next_cursor,
                                                    stored_cursor_.value_or(""));
    if (!applied.ok()) {
      LogError(kComponent, "cannot apply pulled changes: " + applied.status().ToString());
      // Re-read the cursor: if another writer moved it, continue from there.
      auto cursor = store_.cloud_changes().Cursor();
      if (cursor.ok()) {
        stored_cursor_ = *cursor;
        request_cursor_ = *cursor;
      }
      more_ = false;
      return clock_.NowMillis() + backoff_.Next().count();
    }
    report = std::move(applied).value();
    stored_cursor_ = page.next_cursor;
    for (const auto& reason : report.skip_reasons) {
      LogWarning(kComponent, "skipped a change from the cloud: " + reason);
    }
    for (const auto& phone : report.consent_changed) {
      LogInfo(kComponent, "consent of " + phone + " changed by the cloud");
    }
  }
  const bool moved = page.next_cursor != request_cursor_.value_or("");
  request_cursor_ = page.next_cursor;
  // "More" without progress would spin; so would a cloud that answers an
  // empty long poll at once.
  more_ = page.has_more && (moved || !page.changes.empty());
  status_.Pulled(report, static_cast<std::int64_t>(page.unusable.size()));
  if (on_changes_ && (report.applied > 0 || report.unchanged > 0)) on_changes_(report);
  const bool quick_empty =
      page.changes.empty() && page.unusable.empty() && !more_ && !moved &&
      std::chrono::steady_clock::now() - started < std::chrono::milliseconds(500);
  return quick_empty ? clock_.NowMillis() + 1000 : 0;
}

}  // namespace tillbridge::sync
