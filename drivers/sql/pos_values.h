// Parsing of the text values a POS database returns (every profile column is
// read as text, so decimals stay exact and timestamps keep their digits).
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace tillbridge::drivers {

// "12.5", "-0.75", "1.5e2", "19.250" as an integer scaled by 10^scale
// (scale 2: "12.5" -> 1250), rounding half away from zero. InvalidArgument
// for text that is not a number or does not fit in 64 bits.
Result<std::int64_t> ParseScaledDecimal(std::string_view text, int scale);

// Digits after the decimal point of an ISO 4217 currency: 2 for most, 0 for
// JPY, KRW, ..., 3 for BHD, KWD, ...
int CurrencyExponent(std::string_view currency);

// A timestamp read from a POS.
struct PosTime {
  std::int64_t millis = 0;  // since the epoch: wall-clock millis, or UTC when `utc`
  bool utc = false;         // the text carried a zone ("Z", "+02:00") or was epoch-based
};

// Parses "2025-06-10 10:15:00[.123]" (or with 'T'), an optional zone suffix
// ("Z", "+02", "+02:00", "+0200"), a bare date, or epoch seconds / millis
// (numbers below 10^11 are seconds).
Result<PosTime> ParsePosTimestamp(std::string_view text);

}  // namespace tillbridge::drivers
