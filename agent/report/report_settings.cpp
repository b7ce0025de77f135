#include "agent/report/report_settings.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>

namespace tillbridge::report {
namespace {

constexpr std::int64_t kDayMillis = 86'400'000;
constexpr std::int64_t kMaxCostMicros = 1'000'000'000;  // 1000 per message

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Status KeyError(std::string_view key, const Status& status) {
  return Status::InvalidArgument("key '" + std::string(key) + "': " + status.message());
}

Result<int> ParseWindow(const std::string& text) {
  int days = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), days);
  if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() || days < 1 ||
      days > 90) {
    return Status::InvalidArgument("key 'report.attribution_window_days': '" + text +
                                   "' is not a number of days from 1 to 90");
  }
  return days;
}

}  // namespace

const std::vector<ConfigKeySpec>& ReportConfigKeys() {
  static const std::vector<ConfigKeySpec> keys = {
      {.key = "report.attribution_window_days",
       .type = ConfigType::kInt,
       .default_value = "7",
       .description = "A sale is credited to the last text message its customer was sent at "
                      "most this many days before it (coupon redemptions are credited to the "
                      "coupon's message whenever they come). Applies to sales recorded from now "
                      "on; each sale keeps the window it was credited with.",
       .min = 1,
       .max = 90},
      {.key = "report.cost_per_message",
       .type = ConfigType::kString,
       .default_value = "0.0079",
       .description = "What one SMS costs, in the store's currency (a decimal such as 0.0079); "
                      "the ROI report's campaign cost. `tillbridge report --cost-per-message` "
                      "overrides it for one report."},
      {.key = "report.utc_offset",
       .type = ConfigType::kString,
       .default_value = "pos",
       .description = "Where the ROI report's days begin and end: `pos` for the time zone in "
                      "`pos.time_zone` (the POS's, by default this computer's), or a fixed "
                      "offset from UTC such as `-05:00` or `+00:00`. With a zone that has "
                      "daylight saving, each day starts at its own local midnight and a day "
                      "with a change has 23 or 25 hours."},
  };
  return keys;
}

Result<ReportSettings> ReportSettingsFrom(const ConfigValues& values) {
  ReportSettings settings;
  // Values built without the report table (some tests) keep the defaults.
  const auto value = [&](std::string_view key) {
    if (values.Has(key)) return values.GetString(key);
    for (const auto& spec : ReportConfigKeys()) {
      if (spec.key == key) return spec.default_value;
    }
    return std::string();
  };
  auto window = ParseWindow(value("report.attribution_window_days"));
  if (!window.ok()) return window.status();
  settings.attribution_window_days = *window;
  auto cost = ParseCostPerMessage(value("report.cost_per_message"));
  if (!cost.ok()) return KeyError("report.cost_per_message", cost.status());
  settings.cost_per_message_micros = *cost;
  const std::string offset_text = value("report.utc_offset");
  if (offset_text == "pos") {
    settings.follow_pos_time_zone = true;
    return settings;
  }
  auto offset = ParseUtcOffset(offset_text);
  if (!offset.ok()) {
    return Status::InvalidArgument("key 'report.utc_offset': " + offset.status().message() +
                                   " (or pos, for pos.time_zone)");
  }
  settings.utc_offset_minutes = *offset;
  return settings;
}

Result<std::int64_t> ParseCostPerMessage(std::string_view text) {
  const auto invalid = [&] {
    return Status::InvalidArgument("'" + std::string(text) +
                                   "' is not a cost such as 0.0079 (a decimal number of the "
                                   "currency's units, at most 6 decimals)");
  };
  if (text.empty()) return invalid();
  std::int64_t whole = 0;
  std::size_t i = 0;
  for (; i < text.size() && IsDigit(text[i]); ++i) {
    whole = whole * 10 + (text[i] - '0');
    if (whole > kMaxCostMicros / 1'000'000) {
      return Status::InvalidArgument("'" + std::string(text) + "' is more than 1000 per message");
    }
  }
  const std::size_t whole_digits = i;
  std::int64_t fraction = 0;
  int fraction_digits = 0;
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && IsDigit(text[i]); ++i) {
      if (++fraction_digits > 6) return invalid();
      fraction = fraction * 10 + (text[i] - '0');
    }
    if (fraction_digits == 0) return invalid();
  }
  if (i != text.size() || whole_digits == 0) return invalid();
  for (int d = fraction_digits; d < 6; ++d) fraction *= 10;
  const std::int64_t micros = whole * 1'000'000 + fraction;
  if (micros > kMaxCostMicros) {
    return Status::InvalidArgument("'" + std::string(text) + "' is more than 1000 per message");
  }
  return micros;
}

std::string FormatCostPerMessage(std::int64_t micros) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%lld.%06lld", static_cast<long long>(micros / 1'000'000),
                static_cast<long long>(micros % 1'000'000));
  std::string out = buffer;
  while (out.size() > out.find('.') + 3 && out.back() == '0') out.pop_back();
  return out;
}

Result<std::int32_t> ParseUtcOffset(std::string_view text) {
  if (text == "Z" || text == "UTC") return 0;
  const auto invalid = [&] {
    return Status::InvalidArgument("'" + std::string(text) +
                                   "' is not a UTC offset such as -05:00 or +01:00");
  };
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':' ||
      !IsDigit(text[1]) || !IsDigit(text[2]) || !IsDigit(text[4]) || !IsDigit(text[5])) {
    return invalid();
  }
  const int hours = (text[1] - '0') * 10 + (text[2] - '0');
  const int minutes = (text[4] - '0') * 10 + (text[5] - '0');
  if (minutes >= 60 || hours * 60 + minutes > 14 * 60) return invalid();
  const int total = hours * 60 + minutes;
  return static_cast<std::int32_t>(text[0] == '-' ? -total : total);
}

std::string FormatUtcOffset(std::int32_t minutes) {
  char buffer[16];
  const int magnitude = minutes < 0 ? -minutes : minutes;
  std::snprintf(buffer, sizeof buffer, "%c%02d:%02d", minutes < 0 ? '-' : '+', magnitude / 60,
                magnitude % 60);
  return buffer;
}

Result<std::int64_t> ParseDate(std::string_view text) {
  const auto invalid = [&] {
    return Status::InvalidArgument("'" + std::string(text) + "' is not a date such as 2026-11-30");
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return invalid();
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!IsDigit(text[i])) return invalid();
  }
  const auto number = [&](std::size_t at, std::size_t count) {
    int value = 0;
    for (std::size_t i = at; i < at + count; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  const int year = number(0, 4), month = number(5, 2), day = number(8, 2);
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return invalid();
  }
  return DaysFromCivil(year, month, day);
}

std::string FormatDate(std::int64_t days) {
  const CivilDate date = CivilFromDays(days);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02d-%02d", static_cast<long long>(date.year),
                date.month, date.day);
  return buffer;
}

std::int64_t LocalDay(UnixMillis millis, std::int32_t utc_offset_minutes) {
  return FloorDiv(millis + static_cast<std::int64_t>(utc_offset_minutes) * 60'000, kDayMillis);
}

UnixMillis LocalMidnight(std::int64_t days, std::int32_t utc_offset_minutes) {
  return days * kDayMillis - static_cast<std::int64_t>(utc_offset_minutes) * 60'000;
}

Result<DayRange> ResolveRange(std::string_view from, std::string_view to, std::int64_t today,
                              std::string* field) {
  DayRange range{today - (kDefaultReportDays - 1), today};
  if (!to.empty()) {
    auto day = ParseDate(to);
    if (!day.ok()) {
      *field = "to";
      return day.status();
    }
    range.last_day = *day;
    range.first_day = *day - (kDefaultReportDays - 1);
  }
  if (!from.empty()) {
    auto day = ParseDate(from);
    if (!day.ok()) {
      *field = "from";
      return day.status();
    }
    range.first_day = *day;
  }
  if (range.first_day > range.last_day) {
    *field = "from";
    return Status::InvalidArgument(FormatDate(range.first_day) + " is after the last day " +
                                   FormatDate(range.last_day));
  }
  if (range.last_day - range.first_day + 1 > kMaxReportDays) {
    *field = "from";
    return Status::InvalidArgument("the range is longer than " + std::to_string(kMaxReportDays) +
                                   " days");
  }
  return range;
}

std::int64_t Today(const ReportSettings& settings, UnixMillis now) {
  return LocalDay(now, settings.OffsetAt(now));
}

namespace {

// The first instant in (same, changed] with another offset than `same`
// has, when `changed` has another: a binary search to the millisecond.
UnixMillis FirstChange(const ReportSettings& settings, UnixMillis same, UnixMillis changed) {
  const std::int32_t offset = settings.OffsetAt(same);
  while (changed - same > 1) {
    const UnixMillis middle = same + (changed - same) / 2;
    (settings.OffsetAt(middle) == offset ? same : changed) = middle;
  }
  return changed;
}

}  // namespace

UnixMillis DayStart(std::int64_t days, const ReportSettings& settings) {
  // The offsets in force a day either side of midnight (read as if it
  // were UTC) cover any change near it.
  const UnixMillis local = days * kDayMillis;
  const std::int32_t before = settings.OffsetAt(local - kDayMillis);
  const std::int32_t after = settings.OffsetAt(local + kDayMillis);
  // The first instant whose local time reads midnight (clocks going back
  // over midnight read it twice).
  std::optional<UnixMillis> first;
  for (const std::int32_t offset : {before, after}) {
    const UnixMillis at = LocalMidnight(days, offset);
    if (settings.OffsetAt(at) == offset && (!first || at < *first)) first = at;
  }
  if (first) return *first;
  // No instant reads midnight: the clocks jumped over it, and the day
  // starts with the jump, found between the two readings.
  return FirstChange(settings, std::min(LocalMidnight(days, before), LocalMidnight(days, after)),
                     std::max(LocalMidnight(days, before), LocalMidnight(days, after)));
}

store::RoiQuery QueryFor(const DayRange& range, const ReportSettings& settings) {
  store::RoiQuery query;
  query.from = DayStart(range.first_day, settings);
  query.to = DayStart(range.last_day + 1, settings);
  query.cost_per_message_micros = settings.cost_per_message_micros;
  query.utc_offset_minutes = settings.OffsetAt(query.from);
  if (!settings.offset_at) return query;
  // Day by day, the instant the offset changes, to the millisecond (zones
  // change it at most once a day).
  std::int32_t current = query.utc_offset_minutes;
  UnixMillis start = query.from;
  for (std::int64_t day = range.first_day; day <= range.last_day; ++day) {
    const UnixMillis end = DayStart(day + 1, settings);
    if (settings.OffsetAt(start) != current) {  // changed exactly at midnight
      current = settings.OffsetAt(start);
      query.offset_changes.push_back({start, current});
    }
    if (end - 1 > start && settings.OffsetAt(end - 1) != current) {
      const UnixMillis changed = FirstChange(settings, start, end - 1);
      current = settings.OffsetAt(changed);
      query.offset_changes.push_back({changed, current});
    }
    start = end;
  }
  return query;
}

std::int32_t OffsetAt(const store::RoiQuery& query, UnixMillis at) {
  std::int32_t minutes = query.utc_offset_minutes;
  for (const auto& change : query.offset_changes) {
    if (change.at > at) break;
    minutes = change.utc_offset_minutes;
  }
  return minutes;
}

}  // namespace tillbridge::report
