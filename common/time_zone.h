// Time zones for converting a POS's local wall-clock times to UTC. Reads the
// system's IANA database (TZif files, RFC 8536, including the POSIX rule in
// the footer for dates past the last listed transition), so it needs no
// process-global TZ switching and is thread-safe after construction.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/platform/local_zone.h"
#include "common/status.h"

namespace tillbridge {

// Where Debian (and most Linux systems) keep the IANA time zone database.
inline constexpr const char* kDefaultZoneinfoDir = "/usr/share/zoneinfo";

class TimeZone {
 public:
  // UTC.
  TimeZone();

  // Resolves pos.time_zone: "UTC" (or "Z", "GMT"), a fixed offset east of
  // UTC ("+02:00", "-0530", "+2", "UTC+05:30"), "local" (this computer's:
  // /etc/localtime, or on Windows the zone set in Settings) or an IANA name
  // ("Europe/Berlin") read from `zoneinfo_dir`.
  static Result<TimeZone> Load(std::string_view spec, const std::filesystem::path& zoneinfo_dir);
  // A zone that is always `seconds_east` from UTC.
  static TimeZone FixedOffset(int seconds_east, std::string name);
  // Parses TZif data (versions 1 to 4).
  static Result<TimeZone> FromTzif(std::string_view data, std::string name);
  // Parses a POSIX TZ rule such as "CET-1CEST,M3.5.0,M10.5.0/3".
  static Result<TimeZone> FromPosixRule(std::string_view rule, std::string name);
  // Windows' rule for a zone (bias and yearly change dates, as
  // platform::LocalTimeZone reads them) as a POSIX rule:
  // "STD5DST4,M3.2.0/2:00:00,M11.1.0/2:00:00" for Eastern time.
  static std::string PosixRuleFor(const platform::LocalZone& zone);

  // Seconds east of UTC in effect at `utc_seconds`.
  int OffsetAt(std::int64_t utc_seconds) const;
  // Wall-clock seconds (counted as if UTC) to a UTC instant. In a repeated
  // hour (clocks going back) the earlier instant is chosen; a time in a
  // skipped hour is read with the offset before the change (so 02:30 on a
  // spring-forward night becomes 03:30 summer time).
  std::int64_t LocalToUtc(std::int64_t local_seconds) const;

  const std::string& name() const { return name_; }

 private:
  // One end of a daylight-saving period in a POSIX rule.
  struct RuleDate {
    char kind = 'M';  // 'M' month.week.day, 'J' julian 1-365, 'N' zero-based day
    int month = 0, week = 0, weekday = 0, day = 0;
    int time = 7200;  // seconds after local midnight
  };
  struct PosixRule {
    int std_offset = 0;  // seconds east of UTC
    bool has_dst = false;
    int dst_offset = 0;
    RuleDate start, end;
  };
  static Result<PosixRule> ParseRule(std::string_view rule);
  static int RuleOffsetAt(const PosixRule& rule, std::int64_t utc_seconds);

  std::string name_ = "UTC";
  std::vector<std::int64_t> transitions_;  // UTC seconds, ascending
  std::vector<int> offsets_;               // offsets_[i] applies from transitions_[i]
  int initial_offset_ = 0;                 // before the first transition
  std::optional<PosixRule> rule_;          // after the last transition
};

}  // namespace tillbridge
