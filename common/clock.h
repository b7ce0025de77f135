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

// Formats `millis` as RFC 3339 UTC with milliseconds: 2026-11-29T12:00:00.000Z.
std::string FormatRfc3339(UnixMillis millis);

// Parses RFC 3339 ("Z" or "+hh:mm" offsets, optional fraction) to UTC millis.
Result<UnixMillis> ParseRfc3339(std::string_view text);

}  // namespace tillbridge
