#include "tools/refcloud/cloud_db.h"

#include <sqlite3.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "common/digest.h"

namespace tillbridge::refcloud {
namespace {

// Thrown by the statement helpers below and caught at every public method,
// so SQL failures never leave this file as exceptions.
struct SqlError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      throw SqlError(std::string("prepare: ") + sqlite3_errmsg(db) + " in " + sql);
    }
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  Stmt& Bind(int index, const std::string& value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    return *this;
  }
  bool Step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw SqlError(std::string("step: ") + sqlite3_errmsg(db_));
  }
  void Run() { Step(); }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::string Text(int column) const {
    const auto* text = sqlite3_column_text(stmt_, column);
    return text ? std::string(reinterpret_cast<const char*>(text),
                              static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
                : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

void Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw SqlError(message);
  }
}

std::int64_t QueryInt(sqlite3* db, const char* sql) {
  Stmt stmt(db, sql);
  return stmt.Step() ? stmt.Int(0) : 0;
}

template <typename F>
auto Guarded(F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const SqlError& error) {
    return Status::Internal(std::string("refcloud database: ") + error.what());
  }
}

// Rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) { Exec(db_, "BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void Commit() {
    Exec(db_, "COMMIT");
    open_ = false;
  }

 private:
  sqlite3* db_;
  bool open_ = true;
};

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS agents (
  agent_id TEXT PRIMARY KEY, store_id TEXT NOT NULL, terminal_id TEXT NOT NULL,
  agent_version TEXT NOT NULL, platform TEXT NOT NULL,
  registered_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
  store_id TEXT NOT NULL, agent_id TEXT NOT NULL, customer TEXT NOT NULL, pos_id TEXT NOT NULL,
  occurred_at INTEGER NOT NULL, first_received_at INTEGER NOT NULL,
  last_received_at INTEGER NOT NULL, seen_count INTEGER NOT NULL, payload TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_customer ON events (customer, seq);
-- No unique key on purpose: a repeated effect must stay visible.
CREATE TABLE IF NOT EXISTS effects (
  seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL, kind TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY, phone TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL,
  cause TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS follow_ups (
  seq INTEGER PRIMARY KEY, rule TEXT NOT NULL, sale_key TEXT NOT NULL, cause TEXT NOT NULL,
  phone TEXT NOT NULL, store_id TEXT NOT NULL, due_at INTEGER NOT NULL,
  consent_at_sale TEXT NOT NULL, item TEXT NOT NULL, sku TEXT NOT NULL, pos_id TEXT NOT NULL,
  total TEXT NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL, created_at INTEGER NOT NULL,
  done_at INTEGER NOT NULL, UNIQUE (rule, sale_key));
CREATE INDEX IF NOT EXISTS follow_ups_due ON follow_ups (status, due_at);
CREATE INDEX IF NOT EXISTS effects_event ON effects (event_id, kind);
CREATE TABLE IF NOT EXISTS changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, phone TEXT NOT NULL,
  occurred_at INTEGER NOT NULL, data TEXT NOT NULL, origin_agent TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contacts (
  phone TEXT PRIMARY KEY, transactional TEXT NOT NULL, marketing TEXT NOT NULL,
  transactional_at INTEGER NOT NULL, marketing_at INTEGER NOT NULL, orders INTEGER NOT NULL,
  lifetime_value_minor INTEGER NOT NULL, points INTEGER NOT NULL, tier TEXT NOT NULL,
  segments TEXT NOT NULL, last_store TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hook_deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, hook TEXT NOT NULL,
  type TEXT NOT NULL, customer TEXT NOT NULL, first_received_at INTEGER NOT NULL,
  seen_count INTEGER NOT NULL, payload TEXT NOT NULL);
)sql";

EventRecord ReadEvent(const Stmt& s) {
  EventRecord event;
  event.seq = s.Int(0);
  event.id = s.Text(1);
  event.type = s.Text(2);
  event.store_id = s.Text(3);
  event.agent_id = s.Text(4);
  event.customer = s.Text(5);
  event.pos_id = s.Text(6);
  event.occurred_at = s.Int(7);
  event.first_received_at = s.Int(8);
  event.seen_count = s.Int(9);
  return event;
}

// Columns added after the first release of a table, for databases made
// by an older refcloud (the demo keeps its file between runs).
struct AddedColumn {
  const char* table;
  const char* name;
  const char* declaration;
};
constexpr AddedColumn kAddedColumns[] = {
    {"messages", "campaign", "TEXT NOT NULL DEFAULT ''"},
    {"messages", "rule", "TEXT NOT NULL DEFAULT ''"},
    {"messages", "purpose", "TEXT NOT NULL DEFAULT ''"},
    {"messages", "number", "TEXT NOT NULL DEFAULT ''"},
    {"messages", "number_type", "TEXT NOT NULL DEFAULT ''"},
    {"messages", "store_id", "TEXT NOT NULL DEFAULT ''"},
    {"messages", "coupon_code", "TEXT NOT NULL DEFAULT ''"},
    {"messages", "attributable", "INTEGER NOT NULL DEFAULT 0"},
    {"messages", "status", "TEXT NOT NULL DEFAULT 'sent'"},
    {"messages", "reason", "TEXT NOT NULL DEFAULT ''"},
    {"contacts", "last_purchase_at", "INTEGER NOT NULL DEFAULT 0"},
    {"contacts", "sale_transactional", "TEXT NOT NULL DEFAULT 'none'"},
    {"contacts", "sale_marketing", "TEXT NOT NULL DEFAULT 'none'"},
};

void AddMissingColumns(sqlite3* db) {
  for (const AddedColumn& column : kAddedColumns) {
    Stmt info(db, (std::string("PRAGMA table_info(") + column.table + ")").c_str());
    bool present = false;
    while (info.Step()) present = present || info.Text(1) == column.name;
    if (!present) {
      Exec(db, (std::string("ALTER TABLE ") + column.table + " ADD COLUMN " + column.name + " " +
                column.declaration)
                   .c_str());
    }
  }
  Exec(db, "CREATE INDEX IF NOT EXISTS contacts_last_purchase ON contacts (last_purchase_at)");
}

constexpr const char* kMessageColumns =
    "seq, phone, kind, body, cause, created_at, campaign, rule, purpose, number, number_type, "
    "store_id, coupon_code, attributable, status, reason";

MessageRecord ReadMessage(const Stmt& s) {
  MessageRecord m;
  m.seq = s.Int(0);
  m.phone = s.Text(1);
  m.kind = s.Text(2);
  m.body = s.Text(3);
  m.cause = s.Text(4);
  m.created_at = s.Int(5);
  m.campaign = s.Text(6);
  m.rule = s.Text(7);
  m.purpose = s.Text(8);
  m.number = s.Text(9);
  m.number_type = s.Text(10);
  m.store_id = s.Text(11);
  m.coupon_code = s.Text(12);
  m.attributable = s.Int(13) != 0;
  m.status = s.Text(14);
  m.reason = s.Text(15);
  return m;
}

constexpr const char* kFollowUpColumns =
    "seq, rule, sale_key, cause, phone, store_id, due_at, consent_at_sale, item, sku, pos_id, "
    "total, status, reason, created_at, done_at";

FollowUp ReadFollowUp(const Stmt& s) {
  FollowUp f;
  f.seq = s.Int(0);
  f.rule = s.Text(1);
  f.sale_key = s.Text(2);
  f.cause = s.Text(3);
  f.phone = s.Text(4);
  f.store_id = s.Text(5);
  f.due_at = s.Int(6);
  f.consent_at_sale = s.Text(7);
  f.item = s.Text(8);
  f.sku = s.Text(9);
  f.pos_id = s.Text(10);
  f.total = s.Text(11);
  f.status = s.Text(12);
  f.reason = s.Text(13);
  f.created_at = s.Int(14);
  f.done_at = s.Int(15);
  return f;
}

constexpr const char* kContactColumns =
    "phone, transactional, marketing, transactional_at, marketing_at, orders, "
    "lifetime_value_minor, points, tier, segments, last_store, last_purchase_at, "
    "sale_transactional, sale_marketing";

Contact ReadContact(const Stmt& s) {
  Contact c;
  c.phone = s.Text(0);
  c.transactional = s.Text(1);
  c.marketing = s.Text(2);
  c.transactional_at = s.Int(3);
  c.marketing_at = s.Int(4);
  c.orders = s.Int(5);
  c.lifetime_value_minor = s.Int(6);
  c.points = s.Int(7);
  c.tier = s.Text(8);
  c.segments_json = s.Text(9);
  c.last_store = s.Text(10);
  c.last_purchase_at = s.Int(11);
  c.sale_transactional = s.Text(12);
  c.sale_marketing = s.Text(13);
  return c;
}

ChangeRecord ReadChange(const Stmt& s) {
  return {s.Int(0), s.Text(1), s.Text(2), s.Int(3), s.Text(4), s.Text(5)};
}

AgentRecord ReadAgent(const Stmt& s) {
  return {s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Int(5), s.Int(6)};
}

}  // namespace

class CloudDb::Txn final : public CloudTxn {
 public:
  Txn(sqlite3* db, UnixMillis now) : db_(db), now_(now) {}

  // A statement prepared once per transaction and reset for each use: a
  // batch of a thousand events runs the same few statements thousands of
  // times.
  Stmt& Cached(std::unique_ptr<Stmt>& slot, const char* sql) {
    if (!slot) {
      slot = std::make_unique<Stmt>(db_, sql);
    } else {
      slot->Reset();
    }
    return *slot;
  }
  UnixMillis now() const override { return now_; }
  bool added_changes() const { return added_changes_; }

  Result<Contact> GetContact(const std::string& phone) override {
    return Guarded([&]() -> Result<Contact> {
      Stmt& select = Cached(
          get_contact_,
          (std::string("SELECT ") + kContactColumns + " FROM contacts WHERE phone = ?1").c_str());
      select.Bind(1, phone);
      Contact contact;
      contact.phone = phone;
      if (!select.Step()) return contact;
      contact = ReadContact(select);
      select.Reset();  // no read left open when the transaction commits
      return contact;
    });
  }

  Status PutContact(const Contact& c) override {
    return Guarded([&]() -> Status {
      Stmt& upsert =
          Cached(put_contact_, (std::string("INSERT OR REPLACE INTO contacts (") + kContactColumns +
                                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                                "?11, ?12, ?13, ?14)")
                                   .c_str());
      upsert.Bind(1, c.phone).Bind(2, c.transactional).Bind(3, c.marketing);
      upsert.Bind(4, c.transactional_at).Bind(5, c.marketing_at).Bind(6, c.orders);
      upsert.Bind(7, c.lifetime_value_minor).Bind(8, c.points).Bind(9, c.tier);
      upsert.Bind(10, c.segments_json).Bind(11, c.last_store).Bind(12, c.last_purchase_at);
      upsert.Bind(13, c.sale_transactional).Bind(14, c.sale_marketing);
      upsert.Run();
      return Status::Ok();
    });
  }

  Result<std::int64_t> AddMessage(const MessageRecord& m) override {
    return Guarded([&]() -> Result<std::int64_t> {
      Stmt& insert = Cached(add_message_,
                            "INSERT INTO messages (phone, kind, body, cause, created_at, campaign, "
                            "rule, purpose, number, number_type, store_id, coupon_code, "
                            "attributable, status, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                            "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
      insert.Bind(1, m.phone).Bind(2, m.kind).Bind(3, m.body).Bind(4, m.cause).Bind(5, now_);
      insert.Bind(6, m.campaign).Bind(7, m.rule).Bind(8, m.purpose).Bind(9, m.number);
      insert.Bind(10, m.number_type).Bind(11, m.store_id).Bind(12, m.coupon_code);
      insert.Bind(13, std::int64_t{m.attributable ? 1 : 0}).Bind(14, m.status).Bind(15, m.reason);
      insert.Run();
      return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
    });
  }

  Result<std::int64_t> AddChange(const std::string& type, const std::string& phone,
                                 UnixMillis occurred_at, const std::string& data_json,
                                 const std::string& origin_agent) override {
    return Guarded([&]() -> Result<std::int64_t> {
      Stmt& insert = Cached(add_change_,
                            "INSERT INTO changes (type, phone, occurred_at, data, origin_agent) "
                            "VALUES (?1, ?2, ?3, ?4, ?5)");
      insert.Bind(1, type).Bind(2, phone).Bind(3, occurred_at).Bind(4, data_json);
      insert.Bind(5, origin_agent);
      insert.Run();
      added_changes_ = true;
      return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
    });
  }

  Status AddEffect(const std::string& event_id, const std::string& kind) override {
    return Guarded([&]() -> Status {
      Stmt& insert = Cached(add_effect_,
                            "INSERT INTO effects (event_id, kind, created_at) VALUES (?1, ?2, ?3)");
      insert.Bind(1, event_id).Bind(2, kind).Bind(3, now_);
      insert.Run();
      return Status::Ok();
    });
  }

  Result<bool> HasEffect(const std::string& event_id, const std::string& kind) override {
    return Guarded([&]() -> Result<bool> {
      Stmt select(db_, "SELECT 1 FROM effects WHERE event_id = ?1 AND kind = ?2 LIMIT 1");
      select.Bind(1, event_id).Bind(2, kind);
      return select.Step();
    });
  }

  Result<bool> ScheduleFollowUp(const FollowUp& f) override {
    return Guarded([&]() -> Result<bool> {
      Stmt insert(db_,
                  "INSERT INTO follow_ups (rule, sale_key, cause, phone, store_id, due_at, "
                  "consent_at_sale, item, sku, pos_id, total, status, reason, created_at, "
                  "done_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'pending', '', "
                  "?12, 0) ON CONFLICT (rule, sale_key) DO NOTHING");
      insert.Bind(1, f.rule).Bind(2, f.sale_key).Bind(3, f.cause).Bind(4, f.phone);
      insert.Bind(5, f.store_id).Bind(6, f.due_at).Bind(7, f.consent_at_sale).Bind(8, f.item);
      insert.Bind(9, f.sku).Bind(10, f.pos_id).Bind(11, f.total).Bind(12, now_);
      insert.Run();
      return sqlite3_changes(db_) == 1;
    });
  }

  Result<std::vector<FollowUp>> DueFollowUps(UnixMillis now) override {
    return Guarded([&]() -> Result<std::vector<FollowUp>> {
      Stmt select(db_, (std::string("SELECT ") + kFollowUpColumns +
                        " FROM follow_ups WHERE status = 'pending' AND due_at <= ?1 "
                        "ORDER BY due_at, seq")
                           .c_str());
      select.Bind(1, now);
      std::vector<FollowUp> out;
      while (select.Step()) out.push_back(ReadFollowUp(select));
      return out;
    });
  }

  Status FinishFollowUp(std::int64_t seq, const std::string& status,
                        const std::string& reason) override {
    return Guarded([&]() -> Status {
      Stmt update(db_,
                  "UPDATE follow_ups SET status = ?2, reason = ?3, done_at = ?4 WHERE seq = ?1");
      update.Bind(1, seq).Bind(2, status).Bind(3, reason).Bind(4, now_);
      update.Run();
      return Status::Ok();
    });
  }

  Result<std::vector<Contact>> LapsedContacts(UnixMillis purchased_before) override {
    return Guarded([&]() -> Result<std::vector<Contact>> {
      Stmt select(db_, (std::string("SELECT ") + kContactColumns +
                        " FROM contacts WHERE last_purchase_at > 0 AND last_purchase_at <= ?1 "
                        "ORDER BY last_purchase_at, phone")
                           .c_str());
      select.Bind(1, purchased_before);
      std::vector<Contact> out;
      while (select.Step()) out.push_back(ReadContact(select));
      return out;
    });
  }

 private:
  sqlite3* db_;
  UnixMillis now_;
  bool added_changes_ = false;
  std::unique_ptr<Stmt> get_contact_, put_contact_, add_message_, add_change_, add_effect_;
};

CloudDb::CloudDb(sqlite3* db, const Clock& clock) : db_(db), clock_(clock) {}

void CloudDb::NoteNewChangesLocked() {
  try {
    last_change_seq_ = QueryInt(db_, "SELECT coalesce(max(seq), 0) FROM changes");
  } catch (const SqlError&) {
    // The next write tries again; long polls still time out normally.
  }
  changes_cv_.notify_all();
}

CloudDb::~CloudDb() { sqlite3_close_v2(db_); }

Result<std::unique_ptr<CloudDb>> CloudDb::Open(const std::string& path, const Clock& clock) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::IoError("cannot open " + path + ": " + message);
  }
  std::unique_ptr<CloudDb> cloud(new CloudDb(db, clock));
  return Guarded([&]() -> Result<std::unique_ptr<CloudDb>> {
    sqlite3_busy_timeout(db, 5000);
    Exec(db, "PRAGMA journal_mode = WAL");
    // A test cloud: survives its own crash (WAL), not a power cut.
    Exec(db, "PRAGMA synchronous = NORMAL");
    Exec(db, kSchema);
    AddMissingColumns(db);
    cloud->last_change_seq_ = QueryInt(db, "SELECT coalesce(max(seq), 0) FROM changes");
    // A fresh database gets a new epoch, so cursors issued by another one
    // are recognised as foreign instead of silently skipping changes.
    Stmt insert(db, "INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', ?1)");
    insert.Bind(1, RandomHex(4));
    insert.Run();
    Stmt select(db, "SELECT value FROM meta WHERE key = 'epoch'");
    select.Step();
    cloud->epoch_ = select.Text(0);
    return std::move(cloud);
  });
}

Result<AgentRecord> CloudDb::RegisterAgent(const AgentRecord& agent) {
  std::lock_guard lock(mutex_);
  return Guarded([&]() -> Result<AgentRecord> {
    const UnixMillis now = clock_.NowMillis();
    Stmt upsert(db_,
                "INSERT INTO agents (agent_id, store_id, terminal_id, agent_version, platform, "
                "registered_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) "
                "ON CONFLICT (agent_id) DO UPDATE SET store_id = excluded.store_id, "
                "terminal_id = excluded.terminal_id, agent_version = excluded.agent_version, "
                "platform = excluded.platform, last_seen_at = excluded.last_seen_at");
    upsert.Bind(1, agent.agent_id).Bind(2, agent.store_id).Bind(3, agent.terminal_id);
    upsert.Bind(4, agent.agent_version).Bind(5, agent.platform).Bind(6, now);
    upsert.Run();
    Stmt select(db_,
                "SELECT agent_id, store_id, terminal_id, agent_version, platform, registered_at, "
                "last_seen_at FROM agents WHERE agent_id = ?1");
    select.Bind(1, agent.agent_id);
    select.Step();
    return ReadAgent(select);
  });
}

Result<std::optional<AgentRecord>> CloudDb::FindAgent(const std::string& agent_id) {
  std::lock_guard lock(mutex_);
  return Guarded([&]() -> Result<std::optional<AgentRecord>> {
    Stmt select(db_,
                "SELECT agent_id, store_id, terminal_id, agent_version, platform, registered_at, "
                "last_seen_at FROM agents WHERE agent_id = ?1");
    select.Bind(1, agent_id);
    if (!select.Step()) return std::optional<AgentRecord>();
    return std::optional<AgentRecord>(ReadAgent(select));
  });
}

Status CloudDb::SaveRules(const std::string& json) {
  std::lock_guard lock(mutex_);
  return Guarded([&]() -> Status {
    Stmt upsert(db_, "INSERT OR REPLACE INTO meta (key, value) VALUES ('rules', ?1)");
    upsert.Bind(1, json);
    upsert.Run();
    return Status::Ok();
  });
}

Result<std::optional<std::string>> CloudDb::SavedRules() {
  std::lock_guard lock(mutex_);
  return Guarded([&]() -> Result<std::optional<std::string>> {
    Stmt select(db_, "SELECT value FROM meta WHERE key = 'rules'");
    if (!select.Step()) return std::optional<std::string>();
    return std::optional<std::string>(select.Text(0));
  });
}

Result<std::vector<AgentRecord>> CloudDb::Agents() {
  std::lock_guard lock(mutex_);
  return Guarded([&]() -> Result<std::vector<AgentRecord>> {
    Stmt select(db_,
                "SELECT agent_id, store_id, terminal_id, agent_version, platform, registered_at, "
                "last_seen_at FROM agents ORDER BY registered_at");
    std::vector<AgentRecord> out;
    while (select.Step()) out.push_back(ReadAgent(select));
    return out;
  });
}

Result<std::vector<bool>> CloudDb::RecordEvents(
    const std::string& agent_id, const std::vector<IncomingEvent>& events,
    const std::function<Status(CloudTxn&, const IncomingEvent&)>& on_new) {
  std::unique_lock lock(mutex_);
  bool added_changes = false;
  auto result = Guarded([&]() -> Result<std::vector<bool>> {
    Transaction transaction(db_);
    Txn txn(db_, clock_.NowMillis());
    Stmt insert(db_,
                "INSERT INTO events (id, type, store_id, agent_id, customer, pos_id, occurred_at, "
                "first_received_at, last_received_at, seen_count, payload) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, 1, ?9) ON CONFLICT (id) DO NOTHING");
    Stmt repeat(db_,
                "UPDATE events SET seen_count = seen_count + 1, last_received_at = ?2 "
                "WHERE id = ?1");
    Stmt seen(db_, "UPDATE agents SET last_seen_at = ?2 WHERE agent_id = ?1");
    seen.Bind(1, agent_id).Bind(2, txn.now());
    seen.Run();
    std::vector<bool> fresh;
    fresh.reserve(events.size());
    for (const IncomingEvent& event : events) {
      insert.Reset();
      insert.Bind(1, event.id).Bind(2, event.type).Bind(3, event.store_id).Bind(4, agent_id);
      insert.Bind(5, event.customer).Bind(6, event.pos_id).Bind(7, event.occurred_at);
      insert.Bind(8, txn.now()).Bind(9, event.payload);
      insert.Run();
      if (sqlite3_changes(db_) == 1) {
        Status applied = on_new(txn, event);
        if (!applied.ok()) return applied;
        fresh.push_back(true);
      } else {
        repeat.Reset();
        repeat.Bind(1, event.id).Bind(2, txn.now());
        repeat.Run();
        fresh.push_back(false);
      }
    }
    transaction.Commit();
    added_changes = txn.added_changes();
    return fresh;
  });
  if (added_changes) NoteNewChangesLocked();
  return result;
}

Result<bool> CloudDb::RecordHookDelivery(const std::string& hook, const IncomingEvent& event) {
  std::lock_guard lock(mutex_);
  return Guarded([&]() -> Result<bool> {
    Stmt insert(db_,
                "INSERT INTO hook_deliveries (event_id, hook, type, customer, first_received_at, "
                "seen_count, payload) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6) "
                "ON CONFLICT (event_id) DO NOTHING");
    insert.Bind(1, event.id).Bind(2, hook).Bind(3, event.type).Bind(4, event.customer);
    insert.Bind(5, clock_.NowMillis()).Bind(6, event.payload);
    insert.Run();
    if (sqlite3_changes(db_) == 1) return true;
    Stmt repeat(db_, "UPDATE hook_deliveries SET seen_count = seen_count + 1 WHERE event_id = ?1");
    repeat.Bind(1, event.id);
    repeat.Run();
    return false;
  });
}

Status CloudDb::Write(const std::function<Status(CloudTxn&)>& write) {
  return WriteAt(clock_.NowMillis(), write);
}

Status CloudDb::WriteAt(UnixMillis now, const std::function<Status(CloudTxn&)>& write) {
  std::lock_guard lock(mutex_);
  bool added_changes = false;
  Status status = Guarded([&]() -> Status {
    Transaction transaction(db_);
    Txn txn(db_, now);
    Status written = write(txn);
    if (!written.ok()) return written;
    transaction.Commit();
    added_changes = txn.added_changes();
    return Status::Ok();
  });
  if (added_changes) NoteNewChangesLocked();
  return status;
}

Result<std::vector<ChangeRecord>> CloudDb::ChangesFor(const std::string& agent_id,
                                                      std::int64_t after_seq, std::size_t limit,
                                                      std::int64_t* scanned_to, bool* more) {
  std::lock_guard lock(mutex_);
  return Guarded([&]() -> Result<std::vector<ChangeRecord>> {
    Stmt select(db_,
                "SELECT seq, type, phone, occurred_at, data, origin_agent FROM changes "
                "WHERE seq > ?1 AND origin_agent != ?2 ORDER BY seq LIMIT ?3");
    select.Bind(1, after_seq).Bind(2, agent_id).Bind(3, static_cast<std::int64_t>(limit) + 1);
    std::vector<ChangeRecord> out;
    *more = false;
    while (select.Step()) {
      if (out.size() == limit) {
        *more = true;
        break;
      }
      out.push_back(ReadChange(select));
    }
    // A full page ends at its last change; otherwise the agent has seen
    // everything up to the newest change (its own ones are skipped).
    *scanned_to = *more ? out.back().seq : std::max(after_seq, last_change_seq_);
    return out;
  });
}

std::int64_t CloudDb::LastChangeSeq() const {
  std::lock_guard lock(mutex_);
  return last_change_seq_;
}

bool CloudDb::WaitForChanges(std::int64_t after_seq,
                             std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  changes_cv_.wait_until(lock, deadline, [&] { return shutdown_ || last_change_seq_ > after_seq; });
  return !shutdown_ && last_change_seq_ > after_seq;
}

void CloudDb::Shutdown() {
  std::lock_guard lock(mutex_);
  shutdown_ = true;
  changes_cv_.notify_all();
}

Result<CloudStats> CloudDb::Stats() {
  std::lock_guard lock(mutex_);
  return Guarded([&]() -> Result<CloudStats> {
    CloudStats stats;
    stats.agents = QueryInt(db_, "SELECT count(*) FROM agents");
    stats.events_distinct = QueryInt(db_, "SELECT count(*) FROM events");
    stats.events_received = QueryInt(db_, "SELECT coalesce(sum(seen_count), 0) FROM events");
    stats.events_max_seen = QueryInt(db_, "SELECT coalesce(max(seen_count), 0) FROM events");
    stats.effects = QueryInt(db_, "SELECT count(*) FROM effects");
    stats.effects_repeated = QueryInt(
        db_,
        "SELECT count(*) FROM (SELECT 1 FROM effects GROUP BY event_id, kind HAVING count(*) > 1)");
    stats.messages = QueryInt(db_, "SELECT count(*) FROM messages WHERE status = 'sent'");
    stats.messages_refused =
        QueryInt(db_, "SELECT count(*) FROM messages WHERE status = 'refused'");
    stats.follow_ups_pending =
        QueryInt(db_, "SELECT count(*) FROM follow_ups WHERE status = 'pending'");
    stats.changes = QueryInt(db_, "SELECT count(*) FROM changes");
    stats.hook_distinct = QueryInt(db_, "SELECT count(*) FROM hook_deliveries");
    stats.hook_received = QueryInt(db_, "SELECT coalesce(sum(seen_count), 0) FROM hook_deliveries");
    return stats;
  });
}

Result<std::vector<EventRecord>> CloudDb::Events(std::int64_t after_seq, std::size_t limit,
                                                 const std::string& customer) {
  std::lock_guard lock(mutex_);
  return Guarded([&]() -> Result<std::vector<EventRecord>> {
    Stmt select(db_,
                "SELECT seq, id, type, store_id, agent_id, customer, pos_id, occurred_at, "
                "first_received_at, seen_count FROM events WHERE seq > ?1 "
                "AND (?3 = '' OR customer = ?3) ORDER BY seq LIMIT ?2");
    select.Bind(1, after_seq).Bind(2, static_cast<std::int64_t>(limit)).Bind(3, customer);
    std::vector<EventRecord> out;
    while (select.Step()) out.push_back(ReadEvent(select));
    return out;
  });
}

Result<std::optional<EventRecord>> CloudDb::FindEvent(const std::string& id) {
  std::lock_guard lock(mutex_);
  return Guarded([&]() -> Result<std::optional<EventRecord>> {
    Stmt select(db_,
                "SELECT seq, id, type, store_id, agent_id, customer, pos_id, occurred_at, "
                "first_received_at, seen_count, payload FROM events WHERE id = ?1");
    select.Bind(1, id);
    if (!select.Step()) return std::optional<EventRecord>();
    EventRecord event = ReadEvent(select);
    event.payload = select.Text(10);
    return std::optional<EventRecord>(event);
  });
}

Result<std::vector<MessageRecord>> CloudDb::Messages(std::int64_t after_seq, std::size_t limit,
                                                     const std::string& phone,
                                                     const std::string& status) {
  std::lock_guard lock(mutex_);
  return Guarded([&]() -> Result<std::vector<MessageRecord>> {
    Stmt select(db_, (std::string("SELECT ") + kMessageColumns +
                      " FROM messages WHERE seq > ?1 AND (?3 = '' OR phone = ?3) "
                      "AND (?4 = '' OR status = ?4) ORDER BY seq LIMIT ?2")
                         .c_str());
    select.Bind(1, after_seq).Bind(2, static_cast<std::int64_t>(limit)).Bind(3, phone);
    select.Bind(4, status);
    std::vector<MessageRecord> out;
    while (select.Step()) out.push_back(ReadMessage(select));
    return out;
  });
}

Result<std::vector<FollowUp>> CloudDb::FollowUps(std::int64_t after_seq, std::size_t limit) {
  std::lock_guard lock(mutex_);
  return Guarded([&]() -> Result<std::vector<FollowUp>> {
    Stmt select(db_, (std::string("SELECT ") + kFollowUpColumns +
                      " FROM follow_ups WHERE seq > ?1 ORDER BY seq LIMIT ?2")
                         .c_str());
    select.Bind(1, after_seq).Bind(2, static_cast<std::int64_t>(limit));
    std::vector<FollowUp> out;
    while (select.Step()) out.push_back(ReadFollowUp(select));
    return out;
  });
}

Result<std::vector<EventRecord>> CloudDb::EventsOfTypes(const std::vector<std::string>& types) {
  std::lock_guard lock(mutex_);
  return Guarded([&]() -> Result<std::vector<EventRecord>> {
    Stmt select(db_,
                "SELECT seq, id, type, store_id, agent_id, customer, pos_id, occurred_at, "
                "first_received_at, seen_count, payload FROM events WHERE type = ?1 ORDER BY seq");
    std::vector<EventRecord> out;
    for (const std::string& type : types) {
      select.Reset();
      select.Bind(1, type);
      while (select.Step()) {
        out.push_back(ReadEvent(select));
        out.back().payload = select.Text(10);
      }
    }
    std::sort(out.begin(), out.end(),
              [](const EventRecord& a, const EventRecord& b) { return a.seq < b.seq; });
    return out;
  });
}

Result<std::vector<ChangeRecord>> CloudDb::AllChanges(std::int64_t after_seq, std::size_t limit) {
  std::lock_guard lock(mutex_);
  return Guarded([&]() -> Result<std::vector<ChangeRecord>> {
    Stmt select(db_,
                "SELECT seq, type, phone, occurred_at, data, origin_agent FROM changes "
                "WHERE seq > ?1 ORDER BY seq LIMIT ?2");
    select.Bind(1, after_seq).Bind(2, static_cast<std::int64_t>(limit));
    std::vector<ChangeRecord> out;
    while (select.Step()) out.push_back(ReadChange(select));
    return out;
  });
}

Result<std::optional<Contact>> CloudDb::FindContact(const std::string& phone) {
  std::lock_guard lock(mutex_);
  return Guarded([&]() -> Result<std::optional<Contact>> {
    Txn txn(db_, clock_.NowMillis());
    Stmt exists(db_, "SELECT 1 FROM contacts WHERE phone = ?1");
    exists.Bind(1, phone);
    if (!exists.Step()) return std::optional<Contact>();
    auto contact = txn.GetContact(phone);
    if (!contact.ok()) return contact.status();
    return std::optional<Contact>(*contact);
  });
}

Result<std::vector<EventRecord>> CloudDb::HookDeliveries(std::int64_t after_seq,
                                                         std::size_t limit) {
  std::lock_guard lock(mutex_);
  return Guarded([&]() -> Result<std::vector<EventRecord>> {
    Stmt select(db_,
                "SELECT seq, event_id, type, '', hook, customer, '', 0, first_received_at, "
                "seen_count FROM hook_deliveries WHERE seq > ?1 ORDER BY seq LIMIT ?2");
    select.Bind(1, after_seq).Bind(2, static_cast<std::int64_t>(limit));
    std::vector<EventRecord> out;
    while (select.Step()) out.push_back(ReadEvent(select));
    return out;
  });
}

}  // namespace tillbridge::refcloud
