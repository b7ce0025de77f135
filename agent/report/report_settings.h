// How the store manager's ROI report is asked for: the report.* config keys,
// the local dates a manager types, and the cost of one message. Shared by
// `tillbridge report` and the manager page, so both read the same range.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/config_spec.h"
#include "common/status.h"
#include "store/roi_report.h"

namespace tillbridge::report {

// The report.* keys, with types, defaults and descriptions.
const std::vector<ConfigKeySpec>& ReportConfigKeys();

// Minutes east of UTC of the store's local time at a UTC instant.
using UtcOffsetAt = std::function<std::int32_t(UnixMillis)>;

// The report.* values, parsed.
struct ReportSettings {
  int attribution_window_days = 7;
  std::int64_t cost_per_message_micros = 7900;  // millionths of the major unit
  // The store's local time: a fixed offset (report.utc_offset = "+01:00"),
  // or, when report.utc_offset = "pos", the POS's time zone, which the
  // agent resolves from pos.time_zone into `offset_at`.
  std::int32_t utc_offset_minutes = 0;
  bool follow_pos_time_zone = false;
  UtcOffsetAt offset_at;  // when set, wins over utc_offset_minutes

  // The offset in force at `utc`.
  std::int32_t OffsetAt(UnixMillis utc) const {
    return offset_at ? offset_at(utc) : utc_offset_minutes;
  }
};

// Parses the report.* keys of validated `values`. InvalidArgument names the
// key when a value is unusable.
Result<ReportSettings> ReportSettingsFrom(const ConfigValues& values);

// "0.0079" -> 7900: a non-negative decimal with at most six decimals, at
// most 1000 in all. InvalidArgument says why (without naming a key).
Result<std::int64_t> ParseCostPerMessage(std::string_view text);
// 7900 -> "0.0079" (at least two decimals, no trailing zeros beyond them).
std::string FormatCostPerMessage(std::int64_t micros);

// "+01:00", "-05:30", "+00:00" (also "Z") -> minutes east of UTC, within
// +-14:00. InvalidArgument says why.
Result<std::int32_t> ParseUtcOffset(std::string_view text);
// 60 -> "+01:00".
std::string FormatUtcOffset(std::int32_t minutes);

// Days since 1970-01-01 of a "YYYY-MM-DD" calendar date; InvalidArgument
// for anything else (including 2026-02-30).
Result<std::int64_t> ParseDate(std::string_view text);
// Days since 1970-01-01 -> "YYYY-MM-DD".
std::string FormatDate(std::int64_t days);
// The local calendar day that `millis` falls on at `utc_offset_minutes`.
std::int64_t LocalDay(UnixMillis millis, std::int32_t utc_offset_minutes);
// UTC millis of local midnight starting day `days`.
UnixMillis LocalMidnight(std::int64_t days, std::int32_t utc_offset_minutes);

// A report's local days, both included.
struct DayRange {
  std::int64_t first_day = 0;  // days since 1970-01-01
  std::int64_t last_day = 0;
};

// How many days a report covers when no start is given.
inline constexpr std::int64_t kDefaultReportDays = 30;
// The longest range accepted (about ten years).
inline constexpr std::int64_t kMaxReportDays = 3660;

// The range from "YYYY-MM-DD" texts `from` and `to` (both days included);
// an empty `to` means `today`, an empty `from` the 30 days ending at `to`.
// InvalidArgument when a date is malformed, `from` is after `to` or the
// range is longer than kMaxReportDays; `*field` is then "from" or "to".
Result<DayRange> ResolveRange(std::string_view from, std::string_view to, std::int64_t today,
                              std::string* field);

// The local day of `now` for `settings`.
std::int64_t Today(const ReportSettings& settings, UnixMillis now);

// The UTC instant local day `days` starts at, with the offset in force then
// (so a day with a daylight-saving change has 23 or 25 hours).
UnixMillis DayStart(std::int64_t days, const ReportSettings& settings);

// The store query for `range` with `settings`: from the start of its first
// day to the start of the day after its last (exclusive), with the offset
// in force at the start and every change of it inside the range.
store::RoiQuery QueryFor(const DayRange& range, const ReportSettings& settings);

// The offset `query` applies at `at`: its start's, or its latest change's.
std::int32_t OffsetAt(const store::RoiQuery& query, UnixMillis at);

}  // namespace tillbridge::report
