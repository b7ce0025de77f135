// ISO 4217 minor units and the conversion of millionths to minor units.
#include "common/currency.h"

#include <doctest/doctest.h>

namespace tillbridge {

TEST_CASE("minor units follow ISO 4217") {
  CHECK(CurrencyMinorDigits("USD") == 2);
  CHECK(CurrencyMinorDigits("EUR") == 2);
  CHECK(CurrencyMinorDigits("JPY") == 0);
  CHECK(CurrencyMinorDigits("KRW") == 0);
  CHECK(CurrencyMinorDigits("UYI") == 0);
  CHECK(CurrencyMinorDigits("KWD") == 3);
  CHECK(CurrencyMinorDigits("TND") == 3);
  // Unknown or empty: the common case, two decimals.
  CHECK(CurrencyMinorDigits("XYZ") == 2);
  CHECK(CurrencyMinorDigits("") == 2);
  CHECK(IsCurrencyCode("USD"));
  for (const char* bad : {"usd", "US", "USDX", "U$D", ""}) {
    INFO(bad);
    CHECK_FALSE(IsCurrencyCode(bad));
  }
}

TEST_CASE("millionths of a major unit become minor units, half away from zero") {
  CHECK(MicrosToMinor(7'900, "USD") == 1);       // 0.0079 USD: 0.79 cent
  CHECK(MicrosToMinor(9 * 7'900, "USD") == 7);   // 7.11 cents
  CHECK(MicrosToMinor(5'000, "USD") == 1);       // half a cent goes up
  CHECK(MicrosToMinor(4'999, "USD") == 0);
  CHECK(MicrosToMinor(-5'000, "USD") == -1);
  CHECK(MicrosToMinor(3 * 1'250'000, "JPY") == 4);  // 3.75 yen
  CHECK(MicrosToMinor(3 * 2'500, "KWD") == 8);      // 7.5 fils
  CHECK(MicrosToMinor(0, "KWD") == 0);
}

}  // namespace tillbridge
