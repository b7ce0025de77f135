#include "store/outbox.h"

#include "common/card_numbers.h"
#include "store/store_core.h"

namespace tillbridge::store {

Result<std::vector<OutboxEvent>> Outbox::Due(std::size_t max_count, std::size_t max_bytes) {
  std::lock_guard lock(core_.mutex);
  // An event waits while an earlier event for the same customer is deferred,
  // so the cloud sees each customer's events in order.
  auto select = core_.db->Prepare(
      "SELECT seq, event_id, type, occurred_at, customer_key, payload, attempts FROM outbox o "
      "WHERE next_attempt_at <= ?1 AND NOT EXISTS (SELECT 1 FROM outbox e "
      "  WHERE o.customer_key != '' AND e.customer_key = o.customer_key AND e.seq < o.seq "
      "  AND e.next_attempt_at > ?1) "
      "ORDER BY seq LIMIT ?2");
  if (!select.ok()) return select.status();
  select->Bind(1, core_.Now()).Bind(2, static_cast<std::int64_t>(max_count));
  std::vector<OutboxEvent> events;
  std::size_t bytes = 0;
  for (;;) {
    auto row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    OutboxEvent event;
    event.seq = select->Int(0);
    event.event_id = select->Text(1);
    event.type = select->Text(2);
    event.occurred_at = select->Int(3);
    event.customer_key = select->Text(4);
    event.payload_json = select->Text(5);
    event.attempts = select->Int(6);
    if (!events.empty() && bytes + event.payload_json.size() > max_bytes) break;
    bytes += event.payload_json.size();
    events.push_back(std::move(event));
  }
  return events;
}

Status Outbox::Acknowledge(const std::vector<std::string>& event_ids) {
  std::lock_guard lock(core_.mutex);
  TransactionGuard txn(*core_.db);
  TB_RETURN_IF_ERROR(txn.begin_status());
  auto remove = core_.db->Prepare("DELETE FROM outbox WHERE event_id = ?1");
  if (!remove.ok()) return remove.status();
  for (const auto& id : event_ids) {
    remove->Reset();
    remove->Bind(1, id);
    TB_RETURN_IF_ERROR(remove->Run());
  }
  return txn.Commit();
}

Status Outbox::Defer(const std::vector<std::string>& event_ids, UnixMillis next_attempt_at,
                     std::string_view error) {
  std::lock_guard lock(core_.mutex);
  TransactionGuard txn(*core_.db);
  TB_RETURN_IF_ERROR(txn.begin_status());
  auto update = core_.db->Prepare(
      "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 "
      "WHERE event_id = ?1");
  if (!update.ok()) return update.status();
  // Errors may quote what the cloud answered; they are kept masked.
  const std::string masked_error = MaskCardNumbers(error);
  for (const auto& id : event_ids) {
    update->Reset();
    update->Bind(1, id).Bind(2, next_attempt_at).Bind(3, masked_error);
    TB_RETURN_IF_ERROR(update->Run());
  }
  return txn.Commit();
}

Status Outbox::MoveToDeadLetter(const std::string& event_id, std::string_view reason) {
  std::lock_guard lock(core_.mutex);
  TransactionGuard txn(*core_.db);
  TB_RETURN_IF_ERROR(txn.begin_status());
  auto copy = core_.db->Prepare(
      "INSERT INTO dead_letters (event_id, type, payload, reason, attempts, failed_at) "
      "SELECT event_id, type, payload, ?2, attempts + 1, ?3 FROM outbox WHERE event_id = ?1 "
      "ON CONFLICT (event_id) DO UPDATE SET reason = excluded.reason, "
      "failed_at = excluded.failed_at");
  if (!copy.ok()) return copy.status();
  copy->Bind(1, event_id).Bind(2, MaskCardNumbers(reason)).Bind(3, core_.Now());
  TB_RETURN_IF_ERROR(copy->Run());
  auto remove = core_.db->Prepare("DELETE FROM outbox WHERE event_id = ?1");
  if (!remove.ok()) return remove.status();
  remove->Bind(1, event_id);
  TB_RETURN_IF_ERROR(remove->Run());
  return txn.Commit();
}

Result<std::vector<DeadLetter>> Outbox::DeadLetters(std::size_t limit) {
  std::lock_guard lock(core_.mutex);
  auto select = core_.db->Prepare(
      "SELECT event_id, type, reason, attempts, failed_at FROM dead_letters "
      "ORDER BY failed_at DESC LIMIT ?1");
  if (!select.ok()) return select.status();
  select->Bind(1, static_cast<std::int64_t>(limit));
  std::vector<DeadLetter> out;
  for (;;) {
    auto row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(
        {select->Text(0), select->Text(1), select->Text(2), select->Int(3), select->Int(4)});
  }
  return out;
}

Result<std::int64_t> Outbox::Depth() {
  std::lock_guard lock(core_.mutex);
  return core_.db->QueryInt("SELECT count(*) FROM outbox");
}

Result<std::optional<UnixMillis>> Outbox::NextAttemptAfter(UnixMillis now) {
  std::lock_guard lock(core_.mutex);
  auto select =
      core_.db->Prepare("SELECT min(next_attempt_at) FROM outbox WHERE next_attempt_at > ?1");
  if (!select.ok()) return select.status();
  select->Bind(1, now);
  auto row = select->Step();
  if (!row.ok()) return row.status();
  return select->OptionalInt(0);
}

void Outbox::WakeWaiters() {
  std::lock_guard lock(core_.mutex);
  core_.NotifyOutboxLocked();
}

}  // namespace tillbridge::store
