// Change detection state of a POS database source, kept entirely in the
// source's cursor (so the store's Ingest advances it atomically with the
// records and a restarted agent resumes exactly where the store left off).
//
// The cursor holds:
//  - the high-water id: the last sale id read as "new";
//  - the look-back window: every sale read with an id at or above the
//    window's first entry (at most pos.lookback_sales of them), with its last
//    seen state and last emitted event, so a later void, refund or completion
//    of a recent sale is noticed when the window is re-read;
//  - held baskets older than the window (until completed or held_max_age);
//  - gaps: integer ids skipped below the high-water mark, watched for
//    gap_timeout in case a slower transaction commits them late.
// See docs/pos-profiles.md, "How changes are detected".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "drivers/sql/pos_profile.h"

namespace tillbridge::drivers {

// The last event emitted for a sale.
enum class EmittedKind : char {
  kNone = '-',
  kSale = 'S',
  kRefund = 'R',
  kVoid = 'V',
  kAbandoned = 'A',
};

struct TrackedSale {
  std::string id;  // the POS's sale id, as text
  PosState state = PosState::kIgnored;
  EmittedKind last = EmittedKind::kNone;
  std::int64_t revision = 0;  // revision of `last`; 0 when nothing was emitted
  UnixMillis since = 0;       // held baskets: when they were held (UTC)
  // Profiles with a cursor column: the column's value when the sale was
  // last placed in the window (empty otherwise).
  std::string sequence;
};

struct SourceCursor {
  bool started = false;    // false: first poll, pos.start_from applies
  std::string high_water;  // last id read as new; empty: none yet
  // Profiles with a cursor column: its value at the high-water sale. New
  // sales are those after (high_water_sequence, high_water).
  std::string high_water_sequence;
  // Ascending id order, or (cursor column, id) order with a cursor column.
  std::vector<TrackedSale> window;
  std::vector<TrackedSale> held;  // held baskets older than the window
  std::vector<std::pair<std::string, UnixMillis>> gaps;  // skipped id, noticed at
  // Profiles with a cursor column: (when noticed, high-water id then), at
  // most a few per gap_timeout. The window keeps every sale read after the
  // mark that is gap_timeout old, so a late commit stays inside the range
  // the window re-read covers.
  std::vector<std::pair<UnixMillis, std::string>> marks;
  // Profiles with a [held] query: baskets in the POS's held-basket table,
  // with when they were first seen (or parked, when the query says).
  std::vector<TrackedSale> baskets;

  TrackedSale* Find(std::string_view id);
};

// Text form stored by the store. Versioned ("tbsql1;...") and compact: an
// entry for a completed sale reported once is just its id.
std::string EncodeCursor(const SourceCursor& cursor);
// InvalidArgument naming what is wrong when `text` is not a cursor written
// by EncodeCursor. The empty string decodes to a fresh cursor.
Result<SourceCursor> DecodeCursor(std::string_view text);

// The rules that turn an observed state into at most one event. `entry` is
// updated (state, last, revision); `is_new` says the sale was never seen
// before. Returns the event kind to emit, with entry.revision already raised.
std::optional<EmittedKind> ObserveSale(TrackedSale& entry, bool is_new, PosState state,
                                       UnixMillis now, std::int64_t abandon_after_ms);

// True when a held basket is due to be reported as abandoned.
bool AbandonDue(const TrackedSale& entry, UnixMillis now, std::int64_t abandon_after_ms);

// Limits applied after each poll.
struct TrackerLimits {
  int lookback_sales = 500;
  std::int64_t held_max_age_ms = 7LL * 24 * 3600 * 1000;
  std::int64_t gap_timeout_ms = 10 * 60 * 1000;
  size_t max_gaps = 1000;
  // Most sales the window keeps beyond lookback_sales for late commits.
  size_t max_late_commit_window = 10000;
};

// Profiles with a cursor column: records the high-water id as a mark when
// the newest mark is older than a tenth of gap_timeout.
void AddMark(SourceCursor& cursor, const TrackerLimits& limits, UnixMillis now);

// Trims the window to its limit (moving held baskets to `held`), expires old
// held baskets and gaps.
void TrimCursor(SourceCursor& cursor, const TrackerLimits& limits, UnixMillis now);

// Integer-valued id text ("123", "-4"); only those take part in gap detection.
std::optional<std::int64_t> IntegerId(std::string_view id);

}  // namespace tillbridge::drivers
