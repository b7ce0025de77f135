// Cloud sync both ways: pushes the store's outbox to the Sync API and/or a
// webhook, and pulls the cloud's change feed into the store. Owns its
// threads; everything it learns goes through the store.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/cloud_changes.h"
#include "sync/sync_options.h"
#include "sync/sync_status.h"

namespace tillbridge::store {
class Store;
}

namespace tillbridge::sync {

// Start/Stop may be called from any thread, not concurrently with each
// other. `store` must outlive the service. Time (backoff, next attempts,
// status times) comes from store.clock().
class SyncService {
 public:
  SyncService(store::Store& store, SyncOptions options);
  ~SyncService();  // Stops.
  SyncService(const SyncService&) = delete;
  SyncService& operator=(const SyncService&) = delete;

  // Creates the HTTP clients and starts the pusher (cloud and/or webhook)
  // and the puller (cloud with cloud.pull). With neither destination
  // enabled, records state "disabled" and starts nothing. InvalidArgument
  // for unusable options; FailedPrecondition when already running.
  Status Start();

  // Cancels requests in flight and joins the threads. Idempotent. Events
  // not yet acknowledged stay in the outbox for the next start.
  void Stop();

  bool running() const;

  // Current state for status pages and tests.
  SyncSnapshot Snapshot() const;

  // Observers, set before Start. Called on the sync threads: keep them short.
  void SetAcknowledgedListener(std::function<void(const std::vector<std::string>&)> listener);
  void SetChangesListener(std::function<void(const store::ApplyReport&)> listener);

 private:
  struct Running;
  store::Store& store_;
  SyncOptions options_;
  SyncStatus status_;
  std::function<void(const std::vector<std::string>&)> on_acknowledged_;
  std::function<void(const store::ApplyReport&)> on_changes_;
  std::unique_ptr<Running> running_;
};

}  // namespace tillbridge::sync
