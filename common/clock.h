// Time sources. Production code takes a Clock& so tests can move time on
// without sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tillbridge {

// Milliseconds since the Unix epoch, UTC.
using UnixMillis = std::int64_t;

// A source of wall-clock time. Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixMillis NowMillis() const = 0;
};

// The system's real-time clock.
class SystemClock final : public Clock {
 public:
  UnixMillis NowMillis() const override;
  // A process-wide instance; never destroyed.
  static const SystemClock& Instance();
};

// A clock that only moves when told to. Not thread-safe to Advance while read.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixMillis start) : now_(start) {}
  UnixMillis NowMillis() const override { return now_; }
  void Advance(std::chrono::milliseconds by) { now_ += by.count(); }
  void Set(UnixMillis now) { now_ = now; }

 private:
  UnixMillis now_;
};

// A date of the proleptic Gregorian calendar (month 1-12, day 1-31).
struct CivilDate {
  std::int64_t year = 1970;
  int month = 1;
  int day = 1;
};

// Days from 1970-01-01 to a civil date (negative before it). Computed in
// 400-year eras that start on 1 March, so the leap day falls last; needs no
// timegm(), which Windows lacks.
std::int64_t DaysFromCivil(std::int64_t year, int month, int day);
// The inverse of DaysFromCivil.
CivilDate CivilFromDays(std::int64_t days);
bool IsLeapYear(std::int64_t year);
// 28 to 31; `month` is 1-12.
int DaysInMonth(std::int64_t year, int month);
// Division that rounds towards minus infinity (days before 1970, offsets west
// of UTC); `divisor` > 0.
std::int64_t FloorDiv(std::int64_t value, std::int64_t divisor);

// Formats `millis` as RFC 3339 UTC with milliseconds: 2026-11-29T12:00:00.000Z.
std::string FormatRfc3339(UnixMillis millis);

// Parses RFC 3339 ("Z" or "+hh:mm" offsets, optional fraction) to UTC millis.
Result<UnixMillis> ParseRfc3339(std::string_view text);

}  // namespace tillbridge
