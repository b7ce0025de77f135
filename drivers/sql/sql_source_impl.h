// The TransactionSource behind MakeSqlSource. Internal to drivers/sql; the
// public entry points are in sql_source.h.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/phone.h"
#include "common/time_zone.h"
#include "drivers/sql/pos_database.h"
#include "drivers/sql/pos_profile.h"
#include "drivers/sql/profile_sql.h"
#include "drivers/sql/sale_builder.h"
#include "drivers/sql/sale_tracker.h"
#include "drivers/sql/sql_source.h"

namespace tillbridge::drivers {

class SqlSource final : public TransactionSource {
 public:
  SqlSource(SqlSourceOptions options, PosProfile profile, SqlConnector connector,
            PosConnectionSpec connection, TimeZone zone, const PhoneNormalizer& phone,
            std::unique_ptr<PhoneNormalizer> own_phone, const Clock& clock);
  ~SqlSource() override;

  std::string_view Name() const override { return options_.name; }
  Status Open() override;
  Result<Batch> Poll(const Cursor& cursor, std::chrono::milliseconds wait) override;
  SourceHealth Health() const override;

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;

  Status EnsureConnected();
  // Records a failure: health, one log line per distinct cause, and a
  // broken connection is dropped so the next call reconnects.
  Status Fail(Status status);
  void Recovered();
  // One read of the POS in a snapshot; advances `cursor` in place.
  Result<std::vector<store::Transaction>> Tick(SourceCursor& cursor, bool recheck);
  Status StartFromNow(SourceCursor& cursor, UnixMillis now);
  // Observes one sales row; appends an event when the tracker decides one.
  // A new sale's entry is appended to `entries`; for a known sale the caller
  // puts its entry at entries->back() first.
  Status Observe(const SqlRow& row, bool is_new, std::vector<PendingEvent>& events, UnixMillis now,
                 std::vector<TrackedSale>* entries);
  // Cursor column profiles: observes a sale read after the high-water mark
  // and appends its entry to the window (taking it from wherever it was).
  Status ObserveAfterCursor(SourceCursor& cursor, std::vector<TrackedSale>& moved,
                            const SqlRow& row, const std::string& id, const std::string& sequence,
                            std::vector<PendingEvent>& events, UnixMillis now);
  Result<SaleDetails> ReadDetails(const std::vector<PendingEvent>& events);
  Result<PosState> StateOf(const SqlRow& row);
  Result<std::string> IdOf(const SqlRow& row);
  UnixMillis HeldSince(const SqlRow& row, UnixMillis now);
  SqlParam IdParam(const std::string& id) const;
  // Profiles with a cursor column: the value binding and a row's value
  // (empty string without a cursor column).
  SqlParam CursorParam(const std::string& value) const;
  Result<std::string> SequenceOf(const SqlRow& row, const std::string& id) const;
  // Profiles with a [held] query: reads the held-basket table, starts
  // watching new baskets, forgets those gone and appends basket.abandoned
  // for those held past pos.abandon_after. `report` false (first start
  // with start_from = now) only records what is there.
  Status TrackHeldTable(SourceCursor& cursor, std::vector<store::Transaction>& records,
                        UnixMillis now, bool report);
  BuildContext Context() const;

  SqlSourceOptions options_;
  PosProfile profile_;
  PosConnectionSpec connection_;
  TimeZone zone_;
  std::unique_ptr<PhoneNormalizer> own_phone_;
  const PhoneNormalizer& phone_;
  const Clock& clock_;

  // Reconnects when the SQLite file was replaced (a restored backup, a
  // reinstalled POS): an open connection would keep reading the old file.
  bool SqliteFileReplaced();

  std::unique_ptr<PosDatabase> db_;
  std::unique_ptr<ProfileSql> sql_;
  std::string file_identity_;  // SQLite: device and inode of the open file
  bool was_failing_ = false;
  std::set<std::string> warned_states_;  // state values already logged as unmapped

  // Health() may be called from another thread (status page) while Poll runs.
  mutable std::mutex health_mutex_;
  SourceHealth health_;  // guarded by health_mutex_

  // Caches that only decide whether a poll may skip reading the POS; the
  // position itself always comes from the cursor the caller passes in.
  std::string last_output_cursor_;
  bool have_output_ = false;
  std::optional<SourceCursor> last_output_state_;
  std::optional<std::int64_t> last_data_version_;
  bool recheck_pending_ = true;
  bool more_waiting_ = false;
  SteadyTime last_recheck_{};
  size_t rotation_ = 0;

  Counter& polls_;
  Counter& reads_;
  Counter& records_;
  Counter& errors_;
};

}  // namespace tillbridge::drivers
