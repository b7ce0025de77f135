// A small append-only spool of transactions decoded from receipts, kept in
// the tap's data folder so a receipt parsed but not yet stored survives a
// crash. The source cursor is the sequence number of the last record the
// store has ingested; Poll hands out records after it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/platform/files.h"
#include "common/status.h"
#include "store/model.h"

namespace tillbridge::drivers {

// Thread-safe: one thread appends while another reads.
class ReceiptSpool {
 public:
  // Opens (or creates) `dir`/receipts.spool. A torn record at the end (a
  // crash mid-write) is cut off; damage elsewhere is Corruption.
  static Result<std::unique_ptr<ReceiptSpool>> Open(const std::string& dir);
  ~ReceiptSpool();
  ReceiptSpool(const ReceiptSpool&) = delete;
  ReceiptSpool& operator=(const ReceiptSpool&) = delete;

  // Appends `txn` durably (fsync) and returns its sequence number. Card
  // numbers in its text fields are masked first (store/card_guard.h), so
  // the file never holds one.
  Result<std::uint64_t> Append(const store::Transaction& txn);
  // Appends `txns` in order with one write and one sync; returns the last
  // sequence number (last_seq() when `txns` is empty). On failure none of
  // them counts as appended.
  Result<std::uint64_t> AppendBatch(const std::vector<store::Transaction>& txns);

  // Up to `max` records with a sequence number above `after`, oldest first,
  // waiting at most `wait` for the first one.
  Result<std::vector<std::pair<std::uint64_t, store::Transaction>>> ReadAfter(
      std::uint64_t after, std::size_t max, std::chrono::milliseconds wait);

  // Drops records up to `acknowledged` once they take enough space to be
  // worth rewriting the file (atomic rename).
  Status Compact(std::uint64_t acknowledged);

  // Cursor text for `seq`: "<spool id>:<seq>". The id changes when the spool
  // is created anew, so a cursor from a lost spool is not applied to a new one.
  std::string CursorFor(std::uint64_t seq) const;
  // The sequence number in `cursor`; 0 for "" or a cursor of another spool.
  // InvalidArgument for text that is no cursor.
  Result<std::uint64_t> ParseCursor(const std::string& cursor) const;

  std::uint64_t last_seq() const;
  // Makes the next sequence number larger than `seq`; used when the store's
  // cursor is ahead of this file (a spool restored from an older copy), so
  // new records are not hidden behind the cursor.
  void EnsureSeqAbove(std::uint64_t seq);
  // Records in the file (acknowledged ones included until compaction).
  std::size_t record_count() const;

 private:
  // Lets Open construct through make_unique while construction stays private.
  class Key {
    friend class ReceiptSpool;
    Key() = default;
  };

 public:
  // Where one record's payload lies in the file.
  struct Entry {
    std::uint64_t seq;
    std::uint64_t offset;
    std::uint64_t length;
  };
  // Use Open.
  ReceiptSpool(Key key, std::string path, std::unique_ptr<platform::DurableFile> file,
               std::string spool_id, std::vector<Entry> entries, std::uint64_t end,
               std::uint64_t last_seq);

 private:
  std::string path_;
  std::unique_ptr<platform::DurableFile> file_;  // guarded by mutex_
  std::string spool_id_;
  mutable std::mutex mutex_;
  std::condition_variable appended_;
  std::vector<Entry> entries_;   // guarded by mutex_
  std::uint64_t end_;            // file size; guarded by mutex_
  std::uint64_t last_seq_;       // guarded by mutex_
  std::uint64_t seq_floor_ = 0;  // guarded by mutex_
};

// Transaction <-> JSON for the spool (exposed for tests).
std::string TransactionToSpoolJson(const store::Transaction& txn);
Result<store::Transaction> TransactionFromSpoolJson(const std::string& json);

}  // namespace tillbridge::drivers
