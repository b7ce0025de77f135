#include "store/web_sessions.h"

#include "store/store_core.h"

namespace tillbridge::store {
namespace {

// In sync_state, but written here without its card-number masking: a hex
// hash may hold a run of digits that looks like one.
constexpr const char* kManagerPasswordKey = "manager.password_hash";

}  // namespace

Status WebSessions::Add(const WebSession& session, UnixMillis now, std::size_t max_live) {
  std::lock_guard lock(core_.mutex);
  Database& db = *core_.db;
  TransactionGuard txn(db);
  TB_RETURN_IF_ERROR(txn.begin_status());
  auto purge = db.Prepare("DELETE FROM web_sessions WHERE expires_at <= ?1");
  if (!purge.ok()) return purge.status();
  purge->Bind(1, now);
  TB_RETURN_IF_ERROR(purge->Run());
  // Counted per role, so many cashier sign-ins never push the manager out.
  auto count = db.Prepare("SELECT count(*) FROM web_sessions WHERE role = ?1");
  if (!count.ok()) return count.status();
  count->Bind(1, session.role);
  auto counted = count->Step();
  if (!counted.ok()) return counted.status();
  const std::int64_t live = *counted ? count->Int(0) : 0;
  if (max_live > 0 && static_cast<std::size_t>(live) >= max_live) {
    auto oldest = db.Prepare(
        "DELETE FROM web_sessions WHERE id_hash IN (SELECT id_hash FROM web_sessions "
        "WHERE role = ?2 ORDER BY expires_at LIMIT ?1)");
    if (!oldest.ok()) return oldest.status();
    oldest->Bind(1, live - static_cast<std::int64_t>(max_live) + 1).Bind(2, session.role);
    TB_RETURN_IF_ERROR(oldest->Run());
  }
  auto insert = db.Prepare(
      "INSERT OR REPLACE INTO web_sessions (id_hash, csrf, expires_at, role) "
      "VALUES (?1, ?2, ?3, ?4)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, session.id_hash)
      .Bind(2, session.csrf)
      .Bind(3, session.expires_at)
      .Bind(4, session.role);
  TB_RETURN_IF_ERROR(insert->Run());
  return txn.Commit();
}

Result<std::optional<WebSession>> WebSessions::Find(const std::string& id_hash, UnixMillis now) {
  std::lock_guard lock(core_.mutex);
  auto select = core_.db->Prepare(
      "SELECT csrf, expires_at, role FROM web_sessions WHERE id_hash = ?1 AND expires_at > ?2");
  if (!select.ok()) return select.status();
  select->Bind(1, id_hash).Bind(2, now);
  auto row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<WebSession>();
  return std::optional<WebSession>(
      WebSession{id_hash, select->Text(0), select->Int(1), select->Text(2)});
}

Status WebSessions::Revoke(const std::string& id_hash) {
  std::lock_guard lock(core_.mutex);
  auto remove = core_.db->Prepare("DELETE FROM web_sessions WHERE id_hash = ?1");
  if (!remove.ok()) return remove.status();
  remove->Bind(1, id_hash);
  return remove->Run();
}

Result<bool> WebSessions::UseLaunchNonce(const std::string& nonce, UnixMillis expires_at,
                                         UnixMillis now) {
  std::lock_guard lock(core_.mutex);
  Database& db = *core_.db;
  TransactionGuard txn(db);
  TB_RETURN_IF_ERROR(txn.begin_status());
  auto purge = db.Prepare("DELETE FROM used_launch_links WHERE expires_at <= ?1");
  if (!purge.ok()) return purge.status();
  purge->Bind(1, now);
  TB_RETURN_IF_ERROR(purge->Run());
  auto insert = db.Prepare(
      "INSERT INTO used_launch_links (nonce, expires_at) VALUES (?1, ?2) "
      "ON CONFLICT (nonce) DO NOTHING");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, nonce).Bind(2, expires_at);
  TB_RETURN_IF_ERROR(insert->Run());
  const bool first_use = db.Changes() > 0;
  TB_RETURN_IF_ERROR(txn.Commit());
  return first_use;
}

Result<std::optional<std::string>> WebSessions::ManagerPasswordHash() {
  std::lock_guard lock(core_.mutex);
  auto select = core_.db->Prepare("SELECT value FROM sync_state WHERE key = ?1");
  if (!select.ok()) return select.status();
  select->Bind(1, kManagerPasswordKey);
  auto row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(select->Text(0));
}

Status WebSessions::SetManagerPasswordHash(const std::string& encoded_hash) {
  std::lock_guard lock(core_.mutex);
  Database& db = *core_.db;
  TransactionGuard txn(db);
  TB_RETURN_IF_ERROR(txn.begin_status());
  auto upsert = db.Prepare(
      "INSERT INTO sync_state (key, value) VALUES (?1, ?2) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  if (!upsert.ok()) return upsert.status();
  upsert->Bind(1, kManagerPasswordKey).Bind(2, encoded_hash);
  TB_RETURN_IF_ERROR(upsert->Run());
  // Whoever signed in with the old password is signed out by the new one.
  TB_RETURN_IF_ERROR(db.Exec("DELETE FROM web_sessions WHERE role = 'manager'"));
  return txn.Commit();
}

}  // namespace tillbridge::store
