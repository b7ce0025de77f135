// SMS consent per (phone, purpose): the append-only, hash-chained ledger and
// the current state derived from it. The consent rules of ARCHITECTURE.md
// live here so that every path (API, sources, cloud) obeys them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/model.h"

namespace tillbridge::store {

struct StoreCore;

// A request to change consent. `phone` must already be E.164.
struct ConsentChange {
  std::string phone;
  ConsentPurpose purpose = ConsentPurpose::kTransactional;
  bool granted = false;
  // How it was captured: customer_display, keypad, cashier_entry,
  // sms_keyword, double_opt_in_confirmation, cloud, ...
  std::string method;
  std::string actor;  // cashier id, or "cloud"
  UnixMillis occurred_at = 0;
  std::string disclosure_hash;  // hash of the text shown; may be empty for opt-outs
  std::string detail;           // free text, e.g. the SMS keyword received
  // An opt-in that needs the customer's SMS confirmation becomes `pending`.
  bool requires_confirmation = false;
  // False for opt-ins that did not come from the customer's own action now
  // (bulk imports, cloud-side data); such an opt-in never lifts an opt-out.
  bool is_explicit = true;
  // Queue a consent.changed outbox event (false for changes that came from
  // the cloud, which already knows).
  bool queue_event = true;
};

struct ConsentRecord {
  std::string phone;
  ConsentPurpose purpose = ConsentPurpose::kTransactional;
  ConsentState state = ConsentState::kNone;
  std::string method;
  std::string actor;
  UnixMillis changed_at = 0;
  std::int64_t ledger_seq = 0;
  bool is_explicit = true;  // the change that set this state was explicit
};

// The outcome of Record(): the resulting state and whether a row was added.
struct ConsentOutcome {
  ConsentRecord record;
  bool changed = false;
  std::string note;  // why nothing changed, e.g. "opt-out is newer"
};

// One ledger row as stored.
struct LedgerRow {
  std::int64_t seq = 0;
  std::string phone;
  std::string purpose;
  std::string state;
  std::string previous_state;
  std::string method;
  std::string actor;
  std::string store_id;
  std::string terminal_id;
  UnixMillis occurred_at = 0;
  UnixMillis recorded_at = 0;
  std::string disclosure_hash;
  std::string detail;
  std::string prev_hash;
  std::string row_hash;
};

struct ChainReport {
  std::int64_t rows_checked = 0;
  std::optional<std::int64_t> first_bad_seq;  // set when the chain is broken
  std::string reason;
};

// Thread-safe (serialized through the store).
class ConsentLedger {
 public:
  explicit ConsentLedger(StoreCore& core) : core_(core) {}

  // Applies the consent rules and, when the state changes, appends a ledger
  // row, updates the current state and queues consent.changed, in one
  // transaction. Rules: an opt-in never overrides an opt-out unless it is
  // explicit (not from the cloud's bulk data) and occurred after it; an
  // opt-out applies unless it occurred before an explicit opt-in that is
  // the current state (a STOP pulled late must not undo a newer opt-in at
  // the counter); repeating the current state adds no row. Card numbers in
  // method, actor and detail are masked before the row is hashed.
  Result<ConsentOutcome> Record(const ConsentChange& change);

  // Current state for both purposes (kNone records when never captured).
  Result<std::vector<ConsentRecord>> Current(const std::string& phone);

  // Ledger rows for `phone`, oldest first.
  Result<std::vector<LedgerRow>> History(const std::string& phone);

  // Calls `visit` for every ledger row, oldest first (for CSV export).
  Status ForEach(const std::function<void(const LedgerRow&)>& visit);

  // Recomputes the chain: detects an edited, inserted or deleted row, and a
  // truncated tail (against the head kept in meta).
  Result<ChainReport> Verify();

  // Hash of a row's content chained to `prev_hash`.
  static std::string RowHash(const LedgerRow& row);

 private:
  friend class CloudChanges;
  // Record() without locking or its own transaction: the caller holds the
  // store mutex and an open transaction (cloud changes apply a whole page
  // in one). Adds no row and queues nothing when the state does not change.
  Result<ConsentOutcome> RecordLocked(const ConsentChange& change);

  StoreCore& core_;
};

}  // namespace tillbridge::store
