// The change puller: long-polls the cloud's change feed and applies each
// page, with the cursor after it, in one store transaction.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "store/cloud_changes.h"
#include "sync/backoff.h"
#include "sync/stop_signal.h"
#include "sync/sync_status.h"

namespace tillbridge::store {
class Store;
}

namespace tillbridge::sync {

class CloudClient;

// Long-poll, page size and retry timing for the puller.
struct PullerOptions {
  std::chrono::milliseconds long_poll{25'000};
  std::size_t page_size = 500;
  std::chrono::milliseconds backoff_initial{1000};
  std::chrono::milliseconds backoff_max{300'000};
  std::uint64_t jitter_seed = 0;
};

// Called after a page that changed something was committed.
using ChangesListener = std::function<void(const store::ApplyReport& report)>;

// Runs on one thread (Run); the client outlives it.
class Puller {
 public:
  Puller(store::Store& store, CloudClient& client, PullerOptions options, SyncStatus& status,
         StopSignal& stop, ChangesListener on_changes);

  // Loops until `stop` is set (Stop cancels a long poll in flight).
  void Run();

 private:
  // One request; returns when to try again (0: at once).
  UnixMillis PullOnce();

  store::Store& store_;
  CloudClient& client_;
  const Clock& clock_;
  PullerOptions options_;
  SyncStatus& status_;
  StopSignal& stop_;
  ChangesListener on_changes_;
  Backoff backoff_;
  std::optional<std::string> stored_cursor_;   // what the store holds
  std::optional<std::string> request_cursor_;  // what to ask for next
  bool more_ = false;                          // the last page said more changes are ready
};

}  // namespace tillbridge::sync
