#include "store/store.h"

#include <filesystem>

#include "common/digest.h"
#include "common/platform/files.h"
#include "store/attribution.h"
#include "store/cloud_changes.h"
#include "store/consent_ledger.h"
#include "store/customers.h"
#include "store/disclosures.h"
#include "store/idempotency.h"
#include "store/web_sessions.h"
#include "store/migrations.h"
#include "store/outbox.h"
#include "store/roi_report.h"
#include "store/store_core.h"
#include "store/sync_state.h"
#include "store/transaction_log.h"

namespace tillbridge::store {
namespace {

Status ConfigureConnection(Database& db, int busy_timeout_ms) {
  TB_RETURN_IF_ERROR(db.Exec("PRAGMA busy_timeout = " + std::to_string(busy_timeout_ms)));
  // WAL + FULL: a commit survives power loss once COMMIT returns.
  auto mode = db.Prepare("PRAGMA journal_mode = WAL");
  if (!mode.ok()) return mode.status();
  auto row = mode->Step();
  if (!row.ok()) return row.status();
  if (!*row || mode->Text(0) != "wal") {
    return Status::IoError(
        "cannot switch the store to WAL mode (file system without shared memory?)");
  }
  TB_RETURN_IF_ERROR(db.Exec("PRAGMA synchronous = FULL"));
  TB_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys = ON"));
  return Status::Ok();
}

Result<std::string> EnsureAgentId(StoreCore& core) {
  auto select = core.db->Prepare("SELECT value FROM meta WHERE key = 'agent_id'");
  if (!select.ok()) return select.status();
  auto row = select->Step();
  if (!row.ok()) return row.status();
  if (*row) return select->Text(0);
  const std::string id = "agt_" + RandomHex(12);
  auto insert =
      core.db->Prepare("INSERT INTO meta (key, value) VALUES ('agent_id', ?1), ('created_at', ?2)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, id).Bind(2, FormatRfc3339(core.Now()));
  TB_RETURN_IF_ERROR(insert->Run());
  return id;
}

constexpr std::string_view kDiskFullPrefix = "the disk is full";
// Below this much free space a failed write is put down to a full disk.
constexpr std::uintmax_t kFullBelow = 4 * 1024 * 1024;
// With less than this free, the store is reported as not writable even when
// a small write still fits (the next batch of sales would not).
constexpr std::uintmax_t kWritableMinimum = 1024 * 1024;

std::filesystem::path FolderOf(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

std::string Bytes(std::uintmax_t bytes) {
  if (bytes >= 10 * 1024 * 1024) return std::to_string(bytes / (1024 * 1024)) + " MiB";
  if (bytes >= 10 * 1024) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " bytes";
}

// Puts a failed store operation in a store manager's words when the cause
// is a full disk or a folder that cannot be written; other errors pass.
Status ExplainStoreFailure(const std::string& path, const Status& error) {
  if (error.ok()) return error;
  const std::filesystem::path folder = FolderOf(path);
  std::error_code failed;
  const auto space = std::filesystem::space(folder, failed);
  const bool sqlite_full = error.message().find("database or disk is full") != std::string::npos;
  if (sqlite_full || (!failed && space.available < kFullBelow &&
                      (error.code() == StatusCode::kIoError ||
                       error.code() == StatusCode::kInternal))) {
    return Status::IoError(std::string(kDiskFullPrefix) + ": " +
                           (failed ? std::string() : Bytes(space.available) + " free ") +
                           "on the drive holding " + folder.string() +
                           "; free some space" +
                           (sqlite_full ? std::string() : " (" + error.message() + ")"));
  }
  const bool read_only = error.code() == StatusCode::kPermissionDenied ||
                         error.message().find("readonly") != std::string::npos ||
                         error.message().find("read-only") != std::string::npos ||
                         (error.code() == StatusCode::kIoError &&
                          !platform::CanReadAndWrite(folder.string()));
  if (read_only) {
    return Status::PermissionDenied("the data folder " + folder.string() +
                                    " cannot be written (a read-only disk, or owned by another "
                                    "user); give the agent's user write access (" +
                                    error.message() + ")");
  }
  return error;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(StoreOptions options) {
  const std::string path = options.path;
  auto opened = OpenUnexplained(std::move(options));
  if (!opened.ok()) return ExplainStoreFailure(path, opened.status());
  return opened;
}

bool Store::IsDiskFull(const Status& status) {
  return status.code() == StatusCode::kIoError &&
         status.message().rfind(kDiskFullPrefix, 0) == 0;
}

Status Store::CheckWritable() {
  std::lock_guard lock(core_->mutex);
  const UnixMillis now = core_->Now();
  if (core_->write_checked_at != 0 && now >= core_->write_checked_at &&
      now - core_->write_checked_at < 1000) {
    return core_->write_status;
  }
  // The same row with the same value every time: a real commit through the
  // WAL, yet the database file's bytes stay the same once checkpointed, so
  // status and doctor leave a store as they found it.
  Status status = core_->db->Exec(
      "INSERT INTO meta (key, value) VALUES ('write_check', 'ok') "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  if (status.ok()) {
    std::error_code failed;
    const auto space = std::filesystem::space(FolderOf(core_->options.path), failed);
    if (!failed && space.available < kWritableMinimum) {
      status = Status::IoError("database or disk is full");
    }
  }
  core_->write_status = ExplainStoreFailure(core_->options.path, status);
  core_->write_checked_at = now;
  return core_->write_status;
}

Result<std::unique_ptr<Store>> Store::OpenUnexplained(StoreOptions options) {
  if (options.clock == nullptr) options.clock = &SystemClock::Instance();
  auto db = Database::Open(options.path, /*create=*/true);
  if (!db.ok()) return db.status();
  auto core = std::make_unique<StoreCore>();
  core->options = std::move(options);
  core->db = std::move(db).value();
  TB_RETURN_IF_ERROR(ConfigureConnection(*core->db, core->options.busy_timeout_ms));
  TB_RETURN_IF_ERROR(Migrate(*core->db));
  auto agent_id = EnsureAgentId(*core);
  if (!agent_id.ok()) return agent_id.status();
  core->agent_id = *agent_id;
  return std::unique_ptr<Store>(new Store(std::move(core)));
}

Store::Store(std::unique_ptr<StoreCore> core)
    : core_(std::move(core)),
      transactions_(std::make_unique<TransactionLog>(*core_)),
      outbox_(std::make_unique<Outbox>(*core_)),
      consents_(std::make_unique<ConsentLedger>(*core_)),
      disclosures_(std::make_unique<Disclosures>(*core_)),
      sync_state_(std::make_unique<SyncState>(*core_)),
      customers_(std::make_unique<Customers>(*core_)),
      idempotency_keys_(std::make_unique<IdempotencyKeys>(*core_)),
      cloud_changes_(std::make_unique<CloudChanges>(*core_, *consents_)),
      web_sessions_(std::make_unique<WebSessions>(*core_)),
      attributions_(std::make_unique<Attributions>(*core_)),
      roi_reports_(std::make_unique<RoiReports>(*core_)) {}

Store::~Store() = default;

TransactionLog& Store::transactions() { return *transactions_; }
Outbox& Store::outbox() { return *outbox_; }
ConsentLedger& Store::consents() { return *consents_; }
Disclosures& Store::disclosures() { return *disclosures_; }
SyncState& Store::sync_state() { return *sync_state_; }
Customers& Store::customers() { return *customers_; }
IdempotencyKeys& Store::idempotency_keys() { return *idempotency_keys_; }
CloudChanges& Store::cloud_changes() { return *cloud_changes_; }
WebSessions& Store::web_sessions() { return *web_sessions_; }
Attributions& Store::attributions() { return *attributions_; }
RoiReports& Store::roi_reports() { return *roi_reports_; }
const std::string& Store::agent_id() const { return core_->agent_id; }
const std::string& Store::store_id() const { return core_->options.store_id; }
const std::string& Store::terminal_id() const { return core_->options.terminal_id; }
const Clock& Store::clock() const { return core_->clock(); }

std::uint64_t Store::OutboxGeneration() const {
  std::lock_guard lock(core_->mutex);
  return core_->outbox_generation;
}

std::uint64_t Store::WaitForOutbox(std::uint64_t seen, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(core_->mutex);
  core_->outbox_changed.wait_for(lock, timeout, [&] { return core_->outbox_generation != seen; });
  return core_->outbox_generation;
}

Result<StoreStats> Store::Stats() {
  std::lock_guard lock(core_->mutex);
  Database& db = *core_->db;
  StoreStats stats;
  stats.agent_id = core_->agent_id;
  auto version = db.QueryInt("PRAGMA user_version");
  if (!version.ok()) return version.status();
  stats.schema_version = static_cast<int>(*version);
  auto count = db.QueryInt("SELECT count(*) FROM transactions");
  if (!count.ok()) return count.status();
  stats.transactions = *count;
  auto depth = db.QueryInt("SELECT count(*) FROM outbox");
  if (!depth.ok()) return depth.status();
  stats.outbox_depth = *depth;
  if (stats.outbox_depth > 0) {
    auto oldest = db.QueryInt("SELECT min(created_at) FROM outbox");
    if (!oldest.ok()) return oldest.status();
    stats.outbox_oldest_age_ms = std::max<std::int64_t>(0, core_->Now() - *oldest);
  }
  auto dead = db.QueryInt("SELECT count(*) FROM dead_letters");
  if (!dead.ok()) return dead.status();
  stats.dead_letters = *dead;
  auto ledger = db.QueryInt("SELECT count(*) FROM consent_ledger");
  if (!ledger.ok()) return ledger.status();
  stats.ledger_rows = *ledger;
  for (const char* state : {"pending", "opted_in", "opted_out"}) {
    stats.consents_by_state[state] = 0;
  }
  auto by_state = db.Prepare("SELECT state, count(*) FROM consent_state GROUP BY state");
  if (!by_state.ok()) return by_state.status();
  for (;;) {
    auto row = by_state->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    stats.consents_by_state[by_state->Text(0)] = by_state->Int(1);
  }
  auto cursors =
      db.Prepare("SELECT source, cursor, records, updated_at FROM source_cursors ORDER BY source");
  if (!cursors.ok()) return cursors.status();
  for (;;) {
    auto row = cursors->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    stats.source_cursors.push_back(
        {cursors->Text(0), cursors->Text(1), cursors->Int(2), cursors->Int(3)});
  }
  auto sync = db.Prepare("SELECT key, value FROM sync_state ORDER BY key");
  if (!sync.ok()) return sync.status();
  for (;;) {
    auto row = sync->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    stats.sync[sync->Text(0)] = sync->Text(1);
  }
  return stats;
}

Result<std::string> Store::Settings() {
  std::lock_guard lock(core_->mutex);
  Database& db = *core_->db;
  auto mode = db.Prepare("PRAGMA journal_mode");
  if (!mode.ok()) return mode.status();
  auto row = mode->Step();
  if (!row.ok()) return row.status();
  auto synchronous = db.QueryInt("PRAGMA synchronous");
  if (!synchronous.ok()) return synchronous.status();
  auto foreign_keys = db.QueryInt("PRAGMA foreign_keys");
  if (!foreign_keys.ok()) return foreign_keys.status();
  return "journal_mode=" + mode->Text(0) + " synchronous=" + std::to_string(*synchronous) +
         " foreign_keys=" + std::to_string(*foreign_keys);
}

Status Store::CheckIntegrity() {
  {
    std::lock_guard lock(core_->mutex);
    auto check = core_->db->Prepare("PRAGMA quick_check");
    if (!check.ok()) return check.status();
    auto row = check->Step();
    if (!row.ok()) return row.status();
    if (!*row || check->Text(0) != "ok") {
      return Status::Corruption("SQLite quick_check: " + (*row ? check->Text(0) : "no answer"));
    }
  }
  auto chain = consents_->Verify();
  if (!chain.ok()) return chain.status();
  if (chain->first_bad_seq) {
    return Status::Corruption("consent ledger row " + std::to_string(*chain->first_bad_seq) + ": " +
                              chain->reason);
  }
  return Status::Ok();
}

}  // namespace tillbridge::store
