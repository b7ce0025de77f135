#include "store/store.h"

#include "common/digest.h"
#include "store/cloud_changes.h"
#include "store/consent_ledger.h"
#include "store/customers.h"
#include "store/disclosures.h"
#include "store/idempotency.h"
#include "store/migrations.h"
#include "store/outbox.h"
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

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(StoreOptions options) {
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
      cloud_changes_(std::make_unique<CloudChanges>(*core_, *consents_)) {}

Store::~Store() = default;

TransactionLog& Store::transactions() { return *transactions_; }
Outbox& Store::outbox() { return *outbox_; }
ConsentLedger& Store::consents() { return *consents_; }
Disclosures& Store::disclosures() { return *disclosures_; }
SyncState& Store::sync_state() { return *sync_state_; }
Customers& Store::customers() { return *customers_; }
IdempotencyKeys& Store::idempotency_keys() { return *idempotency_keys_; }
CloudChanges& Store::cloud_changes() { return *cloud_changes_; }
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
