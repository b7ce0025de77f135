#include "common/time_zone.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <tuple>

namespace tillbridge {
namespace {

constexpr std::int64_t kDay = 86400;

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool Has(size_t n) const { return pos_ + n <= data_.size(); }
  std::int64_t Int(int bytes) {
    std::uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) {
      value = (value << 8) | static_cast<unsigned char>(data_[pos_ + i]);
    }
    pos_ += bytes;
    if (bytes == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(value));
    return static_cast<std::int64_t>(value);
  }
  unsigned Byte() { return static_cast<unsigned char>(data_[pos_++]); }
  void Skip(size_t n) { pos_ += n; }
  std::string_view Rest() const { return data_.substr(std::min(pos_, data_.size())); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// "[+-]hh[:mm[:ss]]" as used in POSIX rules; returns seconds.
bool ParseHms(std::string_view& text, int& seconds, bool allow_sign) {
  int sign = 1;
  if (allow_sign && !text.empty() && (text.front() == '+' || text.front() == '-')) {
    sign = text.front() == '-' ? -1 : 1;
    text.remove_prefix(1);
  }
  int parts[3] = {0, 0, 0};
  for (int part = 0; part < 3; ++part) {
    if (part > 0) {
      if (text.empty() || text.front() != ':') break;
      text.remove_prefix(1);
    }
    size_t digits = 0;
    int value = 0;
    while (digits < text.size() && digits < 3 &&
           std::isdigit(static_cast<unsigned char>(text[digits]))) {
      value = value * 10 + (text[digits] - '0');
      ++digits;
    }
    if (digits == 0) return false;
    parts[part] = value;
    text.remove_prefix(digits);
  }
  if (parts[0] > 167 || parts[1] > 59 || parts[2] > 59) return false;
  seconds = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
  return true;
}

bool SkipZoneName(std::string_view& text) {
  if (!text.empty() && text.front() == '<') {
    const size_t close = text.find('>');
    if (close == std::string_view::npos) return false;
    text.remove_prefix(close + 1);
    return true;
  }
  size_t n = 0;
  while (n < text.size() && std::isalpha(static_cast<unsigned char>(text[n]))) ++n;
  if (n < 3) return false;
  text.remove_prefix(n);
  return true;
}

bool ParseInt(std::string_view& text, int& value) {
  size_t n = 0;
  value = 0;
  while (n < text.size() && n < 4 && std::isdigit(static_cast<unsigned char>(text[n]))) {
    value = value * 10 + (text[n] - '0');
    ++n;
  }
  text.remove_prefix(n);
  return n > 0;
}

}  // namespace

TimeZone::TimeZone() = default;

TimeZone TimeZone::FixedOffset(int seconds_east, std::string name) {
  TimeZone zone;
  zone.name_ = std::move(name);
  zone.initial_offset_ = seconds_east;
  return zone;
}

Result<TimeZone::PosixRule> TimeZone::ParseRule(std::string_view rule) {
  const auto bad = [&](const char* why) {
    return Status::InvalidArgument("POSIX time zone rule '" + std::string(rule) + "': " + why);
  };
  std::string_view text = rule;
  PosixRule out;
  if (!SkipZoneName(text)) return bad("expected a zone abbreviation");
  int std_west = 0;
  if (!ParseHms(text, std_west, true)) return bad("expected the standard offset");
  out.std_offset = -std_west;  // POSIX offsets count west of Greenwich
  if (text.empty()) return out;
  if (!SkipZoneName(text)) return bad("expected the daylight-saving abbreviation");
  out.has_dst = true;
  out.dst_offset = out.std_offset + 3600;
  if (!text.empty() && text.front() != ',') {
    int dst_west = 0;
    if (!ParseHms(text, dst_west, true)) return bad("expected the daylight-saving offset");
    out.dst_offset = -dst_west;
  }
  if (text.empty()) {
    // No dates given: the US rules that POSIX names as the default.
    out.start = RuleDate{'M', 3, 2, 0, 0, 7200};
    out.end = RuleDate{'M', 11, 1, 0, 0, 7200};
    return out;
  }
  for (RuleDate* date : {&out.start, &out.end}) {
    if (text.empty() || text.front() != ',') return bad("expected ',' before a rule date");
    text.remove_prefix(1);
    if (!text.empty() && text.front() == 'M') {
      text.remove_prefix(1);
      date->kind = 'M';
      if (!ParseInt(text, date->month) || text.empty() || text.front() != '.')
        return bad("bad Mm.w.d date");
      text.remove_prefix(1);
      if (!ParseInt(text, date->week) || text.empty() || text.front() != '.')
        return bad("bad Mm.w.d date");
      text.remove_prefix(1);
      if (!ParseInt(text, date->weekday)) return bad("bad Mm.w.d date");
      if (date->month < 1 || date->month > 12 || date->week < 1 || date->week > 5 ||
          date->weekday > 6) {
        return bad("Mm.w.d date out of range");
      }
    } else if (!text.empty() && text.front() == 'J') {
      text.remove_prefix(1);
      date->kind = 'J';
      if (!ParseInt(text, date->day) || date->day < 1 || date->day > 365) return bad("bad Jn date");
    } else {
      date->kind = 'N';
      if (!ParseInt(text, date->day) || date->day > 365) return bad("bad n date");
    }
    date->time = 7200;
    if (!text.empty() && text.front() == '/') {
      text.remove_prefix(1);
      if (!ParseHms(text, date->time, true)) return bad("bad transition time");
    }
  }
  if (!text.empty()) return bad("unexpected text at the end");
  return out;
}

namespace {

// Local midnight (as days since the epoch) of a rule date in `year`.
std::int64_t RuleDay(char kind, int month, int week, int weekday, int day, std::int64_t year) {
  if (kind == 'J') {
    // Julian day 1-365; February 29 is never counted.
    std::int64_t d = DaysFromCivil(year, 1, 1) + day - 1;
    if (IsLeapYear(year) && day >= 60) ++d;
    return d;
  }
  if (kind == 'N') return DaysFromCivil(year, 1, 1) + day;
  const std::int64_t first = DaysFromCivil(year, month, 1);
  const int first_weekday = static_cast<int>(((first % 7) + 11) % 7);  // 1970-01-01 was Thursday
  std::int64_t d = first + ((weekday - first_weekday + 7) % 7) + 7 * (week - 1);
  while (d >= first + DaysInMonth(year, month)) d -= 7;  // week 5 means "last"
  return d;
}

}  // namespace

int TimeZone::RuleOffsetAt(const PosixRule& rule, std::int64_t utc_seconds) {
  if (!rule.has_dst) return rule.std_offset;
  const std::int64_t year = CivilFromDays(FloorDiv(utc_seconds + rule.std_offset, kDay)).year;
  const auto instant = [&](const RuleDate& date, int offset_before) {
    return RuleDay(date.kind, date.month, date.week, date.weekday, date.day, year) * kDay +
           date.time - offset_before;
  };
  const std::int64_t start = instant(rule.start, rule.std_offset);
  const std::int64_t end = instant(rule.end, rule.dst_offset);
  const bool dst = start < end ? (utc_seconds >= start && utc_seconds < end)
                               : !(utc_seconds >= end && utc_seconds < start);
  return dst ? rule.dst_offset : rule.std_offset;
}

namespace {

// Minutes west of UTC as a POSIX offset: "5", "-1", "-5:30".
std::string PosixOffset(int minutes_west) {
  std::string out = minutes_west < 0 ? "-" : "";
  const int magnitude = minutes_west < 0 ? -minutes_west : minutes_west;
  out += std::to_string(magnitude / 60);
  if (magnitude % 60 != 0) {
    out += (magnitude % 60 < 10 ? ":0" : ":") + std::to_string(magnitude % 60);
  }
  return out;
}

std::string PosixDate(const platform::ZoneChangeDate& date) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, ",M%d.%d.%d/%d:%02d:%02d", date.month, date.week,
                date.weekday, date.hour, date.minute, date.second);
  return buffer;
}

}  // namespace

std::string TimeZone::PosixRuleFor(const platform::LocalZone& zone) {
  std::string rule = "STD" + PosixOffset(zone.bias_minutes + zone.standard_bias_minutes);
  if (zone.daylight_date.month == 0 || zone.standard_date.month == 0) return rule;
  return rule + "DST" + PosixOffset(zone.bias_minutes + zone.daylight_bias_minutes) +
         PosixDate(zone.daylight_date) + PosixDate(zone.standard_date);
}

Result<TimeZone> TimeZone::FromPosixRule(std::string_view rule, std::string name) {
  auto parsed = ParseRule(rule);
  if (!parsed.ok()) return parsed.status();
  TimeZone zone;
  zone.name_ = std::move(name);
  zone.initial_offset_ = parsed->std_offset;
  zone.rule_ = *parsed;
  return zone;
}

Result<TimeZone> TimeZone::FromTzif(std::string_view data, std::string name) {
  const auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("time zone '" + name + "': not a valid TZif file (" + why + ")");
  };
  Reader reader(data);
  if (!reader.Has(44) || data.substr(0, 4) != "TZif") return bad("missing TZif header");
  reader.Skip(4);
  const unsigned version = reader.Byte();
  reader.Skip(15);
  std::int64_t counts[6];
  for (auto& count : counts) count = reader.Int(4);
  auto [isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt] =
      std::tuple{counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]};
  for (auto count : counts) {
    if (count < 0 || count > 100000) return bad("implausible counts");
  }
  int time_size = 4;
  if (version >= '2') {
    // Skip the 32-bit block; the 64-bit block after the second header is
    // authoritative.
    const std::int64_t v1 = timecnt * 5 + typecnt * 6 + charcnt + leapcnt * 8 + isstdcnt + isutcnt;
    if (!reader.Has(static_cast<size_t>(v1) + 44)) return bad("truncated");
    reader.Skip(static_cast<size_t>(v1));
    if (reader.Rest().substr(0, 4) != "TZif") return bad("missing second header");
    reader.Skip(20);
    for (auto& count : counts) count = reader.Int(4);
    std::tie(isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt) =
        std::tuple{counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]};
    for (auto count : counts) {
      if (count < 0 || count > 100000) return bad("implausible counts");
    }
    time_size = 8;
  }
  if (typecnt < 1) return bad("no local time types");
  const std::int64_t block = timecnt * (time_size + 1) + typecnt * 6 + charcnt +
                             leapcnt * (time_size + 4) + isstdcnt + isutcnt;
  if (!reader.Has(static_cast<size_t>(block))) return bad("truncated");

  TimeZone zone;
  zone.name_ = std::move(name);
  std::vector<std::int64_t> times(static_cast<size_t>(timecnt));
  for (auto& t : times) t = reader.Int(time_size);
  std::vector<unsigned> indices(static_cast<size_t>(timecnt));
  for (auto& index : indices) {
    index = reader.Byte();
    if (index >= typecnt) return bad("transition names an unknown type");
  }
  std::vector<int> type_offsets(static_cast<size_t>(typecnt));
  for (auto& offset : type_offsets) {
    offset = static_cast<int>(reader.Int(4));
    reader.Skip(2);
    if (offset < -25 * 3600 || offset > 26 * 3600) return bad("implausible UTC offset");
  }
  reader.Skip(static_cast<size_t>(charcnt + leapcnt * (time_size + 4) + isstdcnt + isutcnt));
  for (size_t i = 1; i < times.size(); ++i) {
    if (times[i] <= times[i - 1]) return bad("transitions out of order");
  }
  zone.initial_offset_ = type_offsets[0];
  zone.transitions_ = std::move(times);
  for (unsigned index : indices) zone.offsets_.push_back(type_offsets[index]);

  if (version >= '2') {
    std::string_view footer = reader.Rest();
    if (footer.size() >= 2 && footer.front() == '\n') {
      footer.remove_prefix(1);
      const size_t newline = footer.find('\n');
      if (newline == std::string_view::npos) return bad("unterminated footer");
      footer = footer.substr(0, newline);
      if (!footer.empty()) {
        auto rule = ParseRule(footer);
        if (!rule.ok()) return bad(rule.status().message());
        zone.rule_ = *rule;
      }
    }
  }
  return zone;
}

Result<TimeZone> TimeZone::Load(std::string_view spec, const std::filesystem::path& zoneinfo_dir) {
  std::string text(spec);
  if (text.empty()) return Status::InvalidArgument("the time zone is empty");
  if (text == "UTC" || text == "utc" || text == "Z" || text == "GMT" || text == "Etc/UTC") {
    return FixedOffset(0, "UTC");
  }
  std::string_view offset_text = text;
  if (offset_text.substr(0, 3) == "UTC" || offset_text.substr(0, 3) == "GMT") {
    if (offset_text.size() > 3 && (offset_text[3] == '+' || offset_text[3] == '-')) {
      offset_text.remove_prefix(3);
    }
  }
  if (!offset_text.empty() && (offset_text.front() == '+' || offset_text.front() == '-')) {
    const int sign = offset_text.front() == '-' ? -1 : 1;
    std::string digits;
    bool ok = true;
    for (char c : offset_text.substr(1)) {
      if (c == ':') continue;
      if (!std::isdigit(static_cast<unsigned char>(c))) ok = false;
      digits += c;
    }
    int hours = -1, minutes = 0;
    if (ok && (digits.size() == 1 || digits.size() == 2)) {
      hours = std::stoi(digits);
    } else if (ok && digits.size() == 4) {
      hours = std::stoi(digits.substr(0, 2));
      minutes = std::stoi(digits.substr(2));
    }
    if (hours < 0 || hours > 14 || minutes > 59) {
      return Status::InvalidArgument("'" + text +
                                     "': expected an offset such as +02:00, -05:30 or +0545");
    }
    return FixedOffset(sign * (hours * 3600 + minutes * 60), text);
  }

  std::filesystem::path path;
  std::string name = text;
  if (text == "local") {
    auto local = platform::LocalTimeZone();
    if (!local.ok()) {
      return Status::InvalidArgument("local: " + local.status().message());
    }
    if (local->tzif_path.empty()) return FromPosixRule(PosixRuleFor(*local), local->name);
    path = local->tzif_path;
  } else {
    const bool safe = std::all_of(text.begin(), text.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' ||
             c == '+';
    });
    if (!safe || text.find("..") != std::string::npos || text.front() == '/') {
      return Status::InvalidArgument("'" + text +
                                     "' is not an IANA zone name such as America/New_York");
    }
    path = zoneinfo_dir / text;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument("'" + text + "': no such zone in " + zoneinfo_dir.string() +
                                   " (use an IANA name such as Europe/Berlin, or an offset)");
  }
  std::ostringstream data;
  data << in.rdbuf();
  return FromTzif(data.str(), name);
}

int TimeZone::OffsetAt(std::int64_t utc_seconds) const {
  if (transitions_.empty() || utc_seconds < transitions_.front()) {
    if (transitions_.empty() && rule_) return RuleOffsetAt(*rule_, utc_seconds);
    return initial_offset_;
  }
  if (utc_seconds >= transitions_.back() && rule_) return RuleOffsetAt(*rule_, utc_seconds);
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_seconds);
  return offsets_[static_cast<size_t>(it - transitions_.begin()) - 1];
}

std::int64_t TimeZone::LocalToUtc(std::int64_t local_seconds) const {
  // The offsets in force a day either side bracket any single transition.
  const int candidates[] = {OffsetAt(local_seconds - kDay), OffsetAt(local_seconds),
                            OffsetAt(local_seconds + kDay)};
  std::optional<std::int64_t> best;
  for (int offset : candidates) {
    const std::int64_t utc = local_seconds - offset;
    if (OffsetAt(utc) == offset && (!best || utc < *best)) best = utc;
  }
  if (best) return *best;
  // In a gap: read the wall time with the offset from before the change.
  return local_seconds - OffsetAt(local_seconds - kDay);
}

}  // namespace tillbridge
