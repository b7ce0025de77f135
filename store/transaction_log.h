// Transactions read from POS sources, and the source cursors that say how far
// each source has been read.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/model.h"

namespace tillbridge::store {

struct StoreCore;

// Thread-safe (serialized through the store).
class TransactionLog {
 public:
  explicit TransactionLog(StoreCore& core) : core_(core) {}

  // In one SQLite transaction: stores each record with its lines, queues its
  // outbox event (id from MakeEventId) and sets `source`'s cursor to
  // `new_cursor`. Card numbers in the records' text fields are masked first
  // (store/card_guard.h), pos_id included; the cursor is the source's own
  // state and is kept as given. Each coupon code on a sale is redeemed once per sale (a
  // coupon.redeemed event, and the local coupon's redemption count when the
  // cloud issued it), however many revisions the sale has. Records already
  // stored (same source, pos_id, revision) are skipped, so re-reading after a
  // crash is harmless. On any error nothing is written and the cursor stays
  // where it was.
  Status Ingest(std::string_view source, const std::vector<Transaction>& records,
                std::string_view new_cursor);

  // The cursor last stored for `source`, or nullopt for a new source.
  Result<std::optional<std::string>> Cursor(std::string_view source);

  // The newest stored revision for (source, pos_id), or nullopt. `pos_id`
  // is masked like Ingest masks it.
  Result<std::optional<std::int64_t>> LatestRevision(std::string_view source,
                                                     std::string_view pos_id);

  // Number of stored transaction records.
  Result<std::int64_t> Count();

 private:
  StoreCore& core_;
};

}  // namespace tillbridge::store
