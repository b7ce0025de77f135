// Retry timing: capped exponential backoff with full jitter, and the
// Retry-After header that a server may use to say when to come back.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

#include "common/clock.h"

namespace tillbridge::sync {

// The longest Retry-After we obey; a larger value is treated as this (a
// server asking for days is more likely a bug than a plan).
inline constexpr std::chrono::milliseconds kMaxRetryAfter = std::chrono::hours(1);

// Full-jitter backoff: after n consecutive failures the delay is uniform in
// [0, min(max, initial * 2^n)]. Not thread-safe: one per retry loop.
class Backoff {
 public:
  // `seed` 0 seeds from std::random_device.
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, std::uint64_t seed);

  // The delay before the next attempt; counts one more failure.
  std::chrono::milliseconds Next();
  // The upper bound Next() would draw from now.
  std::chrono::milliseconds Ceiling() const;
  // After a success: the next failure starts again at `initial`.
  void Reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  int failures_ = 0;
  std::mt19937_64 random_;
};

// Parses a Retry-After value: delta-seconds ("120") or an IMF-fixdate
// ("Wed, 21 Oct 2015 07:28:00 GMT") relative to `now`. Past dates give 0;
// values above kMaxRetryAfter give kMaxRetryAfter; anything else nullopt.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, UnixMillis now);

}  // namespace tillbridge::sync
