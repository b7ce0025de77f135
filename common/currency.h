// ISO 4217 currencies: how many decimals an amount has. One table for the
// POS database driver, the printer tap, the store's ROI report and its
// renderers.
#pragma once

#include <cstdint>
#include <string_view>

namespace tillbridge {

// Whether `code` has the shape of an ISO 4217 code: three letters A-Z.
bool IsCurrencyCode(std::string_view code);

// Digits of `currency`'s minor unit: 0 for JPY, KRW and the others without
// one, 3 for BHD, KWD and the other dinars that count in thousandths, 2 for
// every other code (USD, EUR, and anything unknown).
int CurrencyMinorDigits(std::string_view currency);

// Millionths of `currency`'s major unit (USD 0.0079 = 7900) to its minor
// units (cents, yen, fils), rounded half away from zero.
std::int64_t MicrosToMinor(std::int64_t micros, std::string_view currency);

}  // namespace tillbridge
