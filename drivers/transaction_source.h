// The interface every transaction source implements (POS database poller,
// receipt-printer tap, ...). Sources are passive: the agent owns the thread
// and calls them; the agent hands each Batch to store::TransactionLog::Ingest
// together with Batch::cursor, so the cursor advances in the same SQLite
// transaction that stores the records.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/model.h"

namespace tillbridge::drivers {

// An opaque position in a source, persisted by the store. The empty string
// means "from the beginning" (or "from now", as the source documents).
using Cursor = std::string;

struct Batch {
  std::vector<store::Transaction> records;
  Cursor cursor;  // where to continue after these records
};

// One thing a source reports about itself beyond its error, e.g. the
// printer tap's unmatched receipts. `status` shows `label` and `text`;
// `status --json` shows `key` with `number` (when set) or `text`.
struct SourceFact {
  std::string key;    // snake_case, stable: scripts read it
  std::string label;  // for people: "unmatched receipts"
  std::string text;   // the value as shown, e.g. "8 (kept in /var/.../unmatched.log)"
  std::optional<std::int64_t> number;
};

// Health as shown by `status` and `doctor`.
struct SourceHealth {
  bool connected = false;
  std::string last_error;         // empty when healthy
  std::vector<SourceFact> facts;  // in the order to show them
};

// A source of POS transactions. Not thread-safe: one caller thread.
class TransactionSource {
 public:
  virtual ~TransactionSource() = default;
  // The configured name, used as the store's source key.
  virtual std::string_view Name() const = 0;
  // Connects; safe to call again after a failure.
  virtual Status Open() = 0;
  // Records after `cursor`, waiting at most `wait`. Empty is not an error;
  // Unavailable means the caller retries with backoff.
  virtual Result<Batch> Poll(const Cursor& cursor, std::chrono::milliseconds wait) = 0;
  virtual SourceHealth Health() const = 0;
};

}  // namespace tillbridge::drivers
