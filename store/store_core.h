// Internal to store/: the connection and shared state behind the repository
// types.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "store/sqlite_db.h"
#include "store/store.h"

namespace tillbridge::store {

struct StoreCore {
  StoreOptions options;
  std::string agent_id;
  std::unique_ptr<Database> db;  // guarded by mutex
  mutable std::mutex mutex;
  mutable std::condition_variable outbox_changed;
  std::uint64_t outbox_generation = 0;  // guarded by mutex
  // The last write check (Store::CheckWritable) and when it ran.
  Status write_status;             // guarded by mutex
  UnixMillis write_checked_at = 0;  // guarded by mutex

  const Clock& clock() const { return *options.clock; }
  UnixMillis Now() const { return options.clock->NowMillis(); }
  // Runs the fault hook, if any, at `point`.
  Status Fault(std::string_view point) const {
    return options.fault_hook ? options.fault_hook(point) : Status::Ok();
  }
  // Call with `mutex` held, after a commit that added outbox rows.
  void NotifyOutboxLocked() {
    ++outbox_generation;
    outbox_changed.notify_all();
  }
};

}  // namespace tillbridge::store
