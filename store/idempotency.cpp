#include "store/idempotency.h"

#include <charconv>

#include "common/card_numbers.h"
#include "store/store_core.h"

namespace tillbridge::store {
namespace {

// The response column holds "<status>\n<body>" so that the schema stays one
// TEXT column.
std::string Encode(const StoredResponse& response) {
  return std::to_string(response.status) + "\n" + response.body;
}

Result<StoredResponse> Decode(const std::string& hash, const std::string& text,
                              UnixMillis created_at) {
  const auto newline = text.find('\n');
  StoredResponse out;
  out.request_hash = hash;
  out.created_at = created_at;
  if (newline == std::string::npos) return Status::Corruption("stored API response is malformed");
  const char* begin = text.data();
  auto [end, ec] = std::from_chars(begin, begin + newline, out.status);
  if (ec != std::errc() || end != begin + newline || out.status < 100 || out.status > 599) {
    return Status::Corruption("stored API response has no valid status");
  }
  out.body = text.substr(newline + 1);
  return out;
}

Result<std::optional<StoredResponse>> Load(Database& db, const std::string& key,
                                           UnixMillis not_before) {
  auto select = db.Prepare(
      "SELECT request_hash, response, created_at FROM idempotency_keys "
      "WHERE key = ?1 AND created_at >= ?2");
  if (!select.ok()) return select.status();
  select->Bind(1, key).Bind(2, not_before);
  auto row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<StoredResponse>();
  auto decoded = Decode(select->Text(0), select->Text(1), select->Int(2));
  if (!decoded.ok()) return decoded.status();
  return std::optional<StoredResponse>(std::move(decoded).value());
}

}  // namespace

Result<std::optional<StoredResponse>> IdempotencyKeys::Find(const std::string& key,
                                                            UnixMillis not_before) {
  std::lock_guard lock(core_.mutex);
  return Load(*core_.db, MaskCardNumbers(key), not_before);
}

Result<StoredResponse> IdempotencyKeys::Save(const std::string& unmasked_key,
                                             const StoredResponse& response,
                                             UnixMillis replace_before) {
  if (unmasked_key.empty()) return Status::InvalidArgument("idempotency key is empty");
  // Keys are made by the client and may be anything; random ones look like
  // a card number now and then, so they are masked rather than refused.
  const std::string key = MaskCardNumbers(unmasked_key);
  std::lock_guard lock(core_.mutex);
  Database& db = *core_.db;
  TransactionGuard txn(db);
  TB_RETURN_IF_ERROR(txn.begin_status());
  StoredResponse stored = response;
  stored.created_at = core_.Now();
  auto insert = db.Prepare(
      "INSERT INTO idempotency_keys (key, request_hash, response, created_at) "
      "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO UPDATE SET "
      "request_hash = excluded.request_hash, response = excluded.response, "
      "created_at = excluded.created_at WHERE created_at < ?5");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, key)
      .Bind(2, stored.request_hash)
      .Bind(3, Encode(stored))
      .Bind(4, stored.created_at)
      .Bind(5, replace_before);
  TB_RETURN_IF_ERROR(insert->Run());
  if (db.Changes() == 0) {
    auto existing = Load(db, key, 0);
    if (!existing.ok()) return existing.status();
    if (*existing) stored = **existing;
  }
  TB_RETURN_IF_ERROR(txn.Commit());
  return stored;
}

Result<std::int64_t> IdempotencyKeys::Purge(UnixMillis before) {
  std::lock_guard lock(core_.mutex);
  auto remove = core_.db->Prepare("DELETE FROM idempotency_keys WHERE created_at < ?1");
  if (!remove.ok()) return remove.status();
  remove->Bind(1, before);
  TB_RETURN_IF_ERROR(remove->Run());
  return static_cast<std::int64_t>(core_.db->Changes());
}

}  // namespace tillbridge::store
