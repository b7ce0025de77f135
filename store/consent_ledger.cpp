#include "store/consent_ledger.h"

#include <charconv>

#include "common/card_numbers.h"
#include "common/digest.h"
#include "store/event_json.h"
#include "store/store_core.h"

namespace tillbridge::store {
namespace {

const std::string kGenesisHash(64, '0');
constexpr const char* kHeadKey = "consent_chain_head";

constexpr const char* kRowColumns =
    "seq, phone, purpose, state, previous_state, method, actor, store_id, terminal_id, "
    "occurred_at, recorded_at, disclosure_hash, detail, prev_hash, row_hash";

LedgerRow ReadRow(const Statement& s) {
  LedgerRow row;
  row.seq = s.Int(0);
  row.phone = s.Text(1);
  row.purpose = s.Text(2);
  row.state = s.Text(3);
  row.previous_state = s.Text(4);
  row.method = s.Text(5);
  row.actor = s.Text(6);
  row.store_id = s.Text(7);
  row.terminal_id = s.Text(8);
  row.occurred_at = s.Int(9);
  row.recorded_at = s.Int(10);
  row.disclosure_hash = s.Text(11);
  row.detail = s.Text(12);
  row.prev_hash = s.Text(13);
  row.row_hash = s.Text(14);
  return row;
}

Result<std::optional<ConsentRecord>> LoadState(Database& db, const std::string& phone,
                                               ConsentPurpose purpose) {
  auto select = db.Prepare(
      "SELECT state, method, actor, changed_at, ledger_seq, is_explicit FROM consent_state "
      "WHERE phone = ?1 AND purpose = ?2");
  if (!select.ok()) return select.status();
  select->Bind(1, phone).Bind(2, ConsentPurposeName(purpose));
  auto row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<ConsentRecord>();
  ConsentRecord record;
  record.phone = phone;
  record.purpose = purpose;
  record.state = ParseConsentState(select->Text(0)).value_or(ConsentState::kNone);
  record.method = select->Text(1);
  record.actor = select->Text(2);
  record.changed_at = select->Int(3);
  record.ledger_seq = select->Int(4);
  record.is_explicit = select->Int(5) != 0;
  return std::optional<ConsentRecord>(record);
}

Result<std::pair<std::int64_t, std::string>> LoadHead(Database& db) {
  auto select = db.Prepare("SELECT value FROM meta WHERE key = ?1");
  if (!select.ok()) return select.status();
  select->Bind(1, kHeadKey);
  auto row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::make_pair(std::int64_t{0}, kGenesisHash);
  const std::string value = select->Text(0);
  const auto colon = value.find(':');
  if (colon == std::string::npos) return Status::Corruption("consent chain head is malformed");
  // from_chars, not stoll: a tampered head must be reported, not thrown.
  std::int64_t seq = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + colon, seq);
  if (error != std::errc() || end != value.data() + colon) {
    return Status::Corruption("consent chain head is malformed");
  }
  return std::make_pair(seq, value.substr(colon + 1));
}

// Decides the state a change leads to, or explains why it changes nothing.
ConsentState Decide(const ConsentChange& change, const ConsentRecord& current, std::string* note) {
  if (!change.granted) {
    if (current.state == ConsentState::kOptedOut) *note = "already opted out";
    const bool opted_in =
        current.state == ConsentState::kOptedIn || current.state == ConsentState::kPending;
    if (opted_in && current.is_explicit && change.occurred_at < current.changed_at) {
      *note = "opt-in stands: it is an explicit opt-in made after this opt-out";
      return current.state;
    }
    return ConsentState::kOptedOut;
  }
  if (current.state == ConsentState::kOptedOut) {
    if (!change.is_explicit) {
      *note = "opt-out stands: only an explicit opt-in can lift it";
      return ConsentState::kOptedOut;
    }
    if (change.occurred_at <= current.changed_at) {
      *note = "opt-out stands: it is newer than this opt-in";
      return ConsentState::kOptedOut;
    }
  }
  if (change.requires_confirmation) {
    if (current.state == ConsentState::kOptedIn) {
      *note = "already opted in";
      return ConsentState::kOptedIn;
    }
    if (current.state == ConsentState::kPending) *note = "already awaiting confirmation";
    return ConsentState::kPending;
  }
  if (current.state == ConsentState::kOptedIn) *note = "already opted in";
  return ConsentState::kOptedIn;
}

}  // namespace

std::string ConsentLedger::RowHash(const LedgerRow& row) {
  std::string text = row.prev_hash;
  for (const std::string& field :
       {std::to_string(row.seq), row.phone, row.purpose, row.state, row.previous_state, row.method,
        row.actor, row.store_id, row.terminal_id, std::to_string(row.occurred_at),
        std::to_string(row.recorded_at), row.disclosure_hash, row.detail}) {
    text.push_back('\x1f');
    text += field;
  }
  return Sha256Hex(text);
}

Result<ConsentOutcome> ConsentLedger::Record(const ConsentChange& change) {
  std::lock_guard lock(core_.mutex);
  TransactionGuard txn(*core_.db);
  TB_RETURN_IF_ERROR(txn.begin_status());
  auto outcome = RecordLocked(change);
  if (!outcome.ok()) return outcome.status();
  if (!outcome->changed) return outcome;
  TB_RETURN_IF_ERROR(txn.Commit());
  if (change.queue_event) core_.NotifyOutboxLocked();
  return outcome;
}

Result<ConsentOutcome> ConsentLedger::RecordLocked(const ConsentChange& change) {
  if (change.phone.empty() || change.phone[0] != '+') {
    return Status::InvalidArgument("phone must be E.164");
  }
  if (change.method.empty()) return Status::InvalidArgument("method is required");
  Database& db = *core_.db;

  auto loaded = LoadState(db, change.phone, change.purpose);
  if (!loaded.ok()) return loaded.status();
  ConsentRecord current;
  current.phone = change.phone;
  current.purpose = change.purpose;
  if (*loaded) current = **loaded;

  ConsentOutcome outcome;
  const ConsentState next = Decide(change, current, &outcome.note);
  if (next == current.state) {
    outcome.record = current;
    if (outcome.note.empty()) outcome.note = "no change";
    return outcome;
  }
  outcome.note.clear();

  auto head = LoadHead(db);
  if (!head.ok()) return head.status();
  LedgerRow row;
  row.phone = change.phone;
  row.purpose = std::string(ConsentPurposeName(change.purpose));
  row.state = std::string(ConsentStateName(next));
  row.previous_state = std::string(ConsentStateName(current.state));
  // The ledger can never be edited, so a card number must not get in: the
  // texts that came from outside are masked before they are hashed.
  row.method = MaskCardNumbers(change.method);
  row.actor = MaskCardNumbers(change.actor);
  row.store_id = core_.options.store_id;
  row.terminal_id = core_.options.terminal_id;
  row.occurred_at = change.occurred_at;
  row.recorded_at = core_.Now();
  row.disclosure_hash = change.disclosure_hash;
  row.detail = MaskCardNumbers(change.detail);
  row.prev_hash = head->second;
  auto max_seq = db.QueryInt("SELECT coalesce(max(seq), 0) FROM consent_ledger");
  if (!max_seq.ok()) return max_seq.status();
  row.seq = std::max(*max_seq, head->first) + 1;
  row.row_hash = RowHash(row);

  auto insert = db.Prepare(std::string("INSERT INTO consent_ledger (") + kRowColumns +
                           ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                           "?14, ?15)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, row.seq)
      .Bind(2, row.phone)
      .Bind(3, row.purpose)
      .Bind(4, row.state)
      .Bind(5, row.previous_state)
      .Bind(6, row.method)
      .Bind(7, row.actor)
      .Bind(8, row.store_id)
      .Bind(9, row.terminal_id)
      .Bind(10, row.occurred_at)
      .Bind(11, row.recorded_at)
      .Bind(12, row.disclosure_hash)
      .Bind(13, row.detail)
      .Bind(14, row.prev_hash)
      .Bind(15, row.row_hash);
  TB_RETURN_IF_ERROR(insert->Run());
  TB_RETURN_IF_ERROR(core_.Fault("consent.after_ledger"));

  auto set_head = db.Prepare(
      "INSERT INTO meta (key, value) VALUES (?1, ?2) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  if (!set_head.ok()) return set_head.status();
  set_head->Bind(1, kHeadKey).Bind(2, std::to_string(row.seq) + ":" + row.row_hash);
  TB_RETURN_IF_ERROR(set_head->Run());

  auto set_state = db.Prepare(
      "INSERT INTO consent_state (phone, purpose, state, method, actor, changed_at, ledger_seq, "
      "is_explicit) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (phone, purpose) DO UPDATE "
      "SET state = excluded.state, method = excluded.method, actor = excluded.actor, "
      "changed_at = excluded.changed_at, ledger_seq = excluded.ledger_seq, "
      "is_explicit = excluded.is_explicit");
  if (!set_state.ok()) return set_state.status();
  set_state->Bind(1, row.phone)
      .Bind(2, row.purpose)
      .Bind(3, row.state)
      .Bind(4, row.method)
      .Bind(5, row.actor)
      .Bind(6, row.occurred_at)
      .Bind(7, row.seq)
      .Bind(8, std::int64_t{change.is_explicit ? 1 : 0});
  TB_RETURN_IF_ERROR(set_state->Run());

  if (change.queue_event) {
    const std::string type = "consent.changed";
    const std::string event_id = MakeEventId(core_.options.store_id, "consent",
                                             row.phone + "/" + row.purpose, type, row.seq);
    const EventEnvelope envelope{
        event_id, type, row.occurred_at, core_.options.store_id, core_.options.terminal_id,
        "consent"};
    auto queue = db.Prepare(
        "INSERT INTO outbox (event_id, type, occurred_at, customer_key, payload, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (event_id) DO NOTHING");
    if (!queue.ok()) return queue.status();
    queue->Bind(1, event_id)
        .Bind(2, type)
        .Bind(3, row.occurred_at)
        .Bind(4, row.phone)
        .Bind(5, ConsentEventJson(envelope, row))
        .Bind(6, row.recorded_at);
    TB_RETURN_IF_ERROR(queue->Run());
  }

  outcome.changed = true;
  outcome.record.phone = row.phone;
  outcome.record.purpose = change.purpose;
  outcome.record.state = next;
  outcome.record.method = row.method;
  outcome.record.actor = row.actor;
  outcome.record.changed_at = row.occurred_at;
  outcome.record.ledger_seq = row.seq;
  outcome.record.is_explicit = change.is_explicit;
  return outcome;
}

Result<std::vector<ConsentRecord>> ConsentLedger::Current(const std::string& phone) {
  std::lock_guard lock(core_.mutex);
  std::vector<ConsentRecord> out;
  for (ConsentPurpose purpose : {ConsentPurpose::kTransactional, ConsentPurpose::kMarketing}) {
    auto loaded = LoadState(*core_.db, phone, purpose);
    if (!loaded.ok()) return loaded.status();
    ConsentRecord record;
    record.phone = phone;
    record.purpose = purpose;
    out.push_back(*loaded ? **loaded : record);
  }
  return out;
}

Result<std::vector<LedgerRow>> ConsentLedger::History(const std::string& phone) {
  std::lock_guard lock(core_.mutex);
  auto select = core_.db->Prepare(std::string("SELECT ") + kRowColumns +
                                  " FROM consent_ledger WHERE phone = ?1 ORDER BY seq");
  if (!select.ok()) return select.status();
  select->Bind(1, phone);
  std::vector<LedgerRow> rows;
  for (;;) {
    auto row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    rows.push_back(ReadRow(*select));
  }
  return rows;
}

Status ConsentLedger::ForEach(const std::function<void(const LedgerRow&)>& visit) {
  std::lock_guard lock(core_.mutex);
  auto select =
      core_.db->Prepare(std::string("SELECT ") + kRowColumns + " FROM consent_ledger ORDER BY seq");
  if (!select.ok()) return select.status();
  for (;;) {
    auto row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    visit(ReadRow(*select));
  }
  return Status::Ok();
}

Result<ChainReport> ConsentLedger::Verify() {
  std::lock_guard lock(core_.mutex);
  auto head = LoadHead(*core_.db);
  if (!head.ok()) return head.status();
  auto select =
      core_.db->Prepare(std::string("SELECT ") + kRowColumns + " FROM consent_ledger ORDER BY seq");
  if (!select.ok()) return select.status();
  ChainReport report;
  std::string prev_hash = kGenesisHash;
  std::int64_t prev_seq = 0;
  for (;;) {
    auto step = select->Step();
    if (!step.ok()) return step.status();
    if (!*step) break;
    const LedgerRow row = ReadRow(*select);
    ++report.rows_checked;
    if (row.prev_hash != prev_hash) {
      report.first_bad_seq = row.seq;
      report.reason =
          row.seq != prev_seq + 1
              ? "a row before it is missing (seq jumps from " + std::to_string(prev_seq) + ")"
              : "it does not link to the row before it (inserted or reordered)";
      return report;
    }
    if (RowHash(row) != row.row_hash) {
      report.first_bad_seq = row.seq;
      report.reason = "its content does not match its hash (edited)";
      return report;
    }
    prev_hash = row.row_hash;
    prev_seq = row.seq;
  }
  if (prev_seq != head->first || prev_hash != head->second) {
    report.first_bad_seq = prev_seq + 1;
    report.reason = "the ledger ends at row " + std::to_string(prev_seq) +
                    " but the chain head says " + std::to_string(head->first) +
                    " (rows deleted from the end)";
  }
  return report;
}

}  // namespace tillbridge::store
