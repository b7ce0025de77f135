// The local store: one SQLite file that holds all of the agent's state.
// Every other component reads and writes through the repository types
// reached from here; one repository call is one SQLite transaction.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace tillbridge::store {

class TransactionLog;
class Outbox;
class ConsentLedger;
class Disclosures;
class SyncState;
class CloudChanges;
class Customers;
class IdempotencyKeys;
class WebSessions;
class Attributions;
class RoiReports;
struct StoreCore;

// Called at named points inside multi-step writes ("ingest.after_transaction",
// ...). Returning an error makes the write fail and roll back. Tests use it
// for fault injection; production leaves it empty.
using FaultHook = std::function<Status(std::string_view point)>;

struct StoreOptions {
  std::string path;  // SQLite file; its folder must exist
  std::string store_id = "store-1";
  std::string terminal_id = "terminal-1";
  const Clock* clock = nullptr;  // nullptr: the system clock
  FaultHook fault_hook;
  int busy_timeout_ms = 5000;
  // How long after an attributable SMS a sale to the same phone is credited
  // to it (last touch, store/attribution.h). Each attribution keeps the
  // window it was decided with.
  int attribution_window_days = 7;
};

struct SourceCursorInfo {
  std::string source;
  std::string cursor;
  std::int64_t records = 0;
  UnixMillis updated_at = 0;
};

// What `tillbridge status` shows about the store.
struct StoreStats {
  int schema_version = 0;
  std::string agent_id;
  std::int64_t transactions = 0;
  std::int64_t outbox_depth = 0;
  std::int64_t outbox_oldest_age_ms = 0;  // 0 when empty
  std::int64_t dead_letters = 0;
  std::map<std::string, std::int64_t> consents_by_state;  // "opted_in" -> n
  std::int64_t ledger_rows = 0;
  std::vector<SourceCursorInfo> source_cursors;
  std::map<std::string, std::string> sync;  // sync_state keys (last push, ...)
};

// Owns the SQLite connection. Thread-safe: calls are serialized internally.
class Store {
 public:
  // Opens or creates the store at options.path, sets WAL mode,
  // synchronous=FULL, foreign keys and the busy timeout, migrates the schema
  // and creates the agent id on first open.
  static Result<std::unique_ptr<Store>> Open(StoreOptions options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  TransactionLog& transactions();
  Outbox& outbox();
  ConsentLedger& consents();
  Disclosures& disclosures();
  SyncState& sync_state();
  Customers& customers();
  IdempotencyKeys& idempotency_keys();
  CloudChanges& cloud_changes();
  WebSessions& web_sessions();
  // Which SMS message is credited with each sale (store/attribution.h).
  Attributions& attributions();
  // The measured-ROI report over a date range (store/roi_report.h).
  RoiReports& roi_reports();

  const std::string& agent_id() const;
  const std::string& store_id() const;
  const std::string& terminal_id() const;
  const Clock& clock() const;

  Result<StoreStats> Stats();
  // The connection's durability settings as "journal_mode=wal synchronous=2
  // foreign_keys=1", for doctor and tests.
  Result<std::string> Settings();
  // PRAGMA quick_check plus the consent chain check; Corruption on failure.
  Status CheckIntegrity();
  // Whether the store can take writes now: a small committed write, and
  // room on the disk. The error says "the disk is full" or that the folder
  // cannot be written, in those words. The answer is reused for a second,
  // so health checks stay cheap.
  Status CheckWritable();
  // Whether a CheckWritable (or Open) error means the disk is full.
  static bool IsDiskFull(const Status& status);

  // Outbox change signal: a counter bumped after every commit that adds
  // outbox rows. WaitForOutbox blocks until it differs from `seen` or
  // `timeout` passes, and returns the current value.
  std::uint64_t OutboxGeneration() const;
  std::uint64_t WaitForOutbox(std::uint64_t seen, std::chrono::milliseconds timeout) const;

 private:
  explicit Store(std::unique_ptr<StoreCore> core);
  static Result<std::unique_ptr<Store>> OpenUnexplained(StoreOptions options);
  std::unique_ptr<StoreCore> core_;
  std::unique_ptr<TransactionLog> transactions_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<ConsentLedger> consents_;
  std::unique_ptr<Disclosures> disclosures_;
  std::unique_ptr<SyncState> sync_state_;
  std::unique_ptr<Customers> customers_;
  std::unique_ptr<IdempotencyKeys> idempotency_keys_;
  std::unique_ptr<CloudChanges> cloud_changes_;
  std::unique_ptr<WebSessions> web_sessions_;
  std::unique_ptr<Attributions> attributions_;
  std::unique_ptr<RoiReports> roi_reports_;
};

}  // namespace tillbridge::store
