#include "store/sync_state.h"

#include "common/card_numbers.h"
#include "store/store_core.h"

namespace tillbridge::store {

Result<std::optional<std::string>> SyncState::Get(std::string_view key) {
  std::lock_guard lock(core_.mutex);
  auto select = core_.db->Prepare("SELECT value FROM sync_state WHERE key = ?1");
  if (!select.ok()) return select.status();
  select->Bind(1, key);
  auto row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(select->Text(0));
}

Status SyncState::Set(std::string_view key, std::string_view value) {
  std::lock_guard lock(core_.mutex);
  auto upsert = core_.db->Prepare(
      "INSERT INTO sync_state (key, value) VALUES (?1, ?2) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  if (!upsert.ok()) return upsert.status();
  // Values are states, times and error messages (which may quote a POS or
  // the cloud); none of them may keep a card number.
  upsert->Bind(1, key).Bind(2, MaskCardNumbers(value));
  return upsert->Run();
}

}  // namespace tillbridge::store
