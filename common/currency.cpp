#include "common/currency.h"

#include <algorithm>
#include <iterator>

namespace tillbridge {

bool IsCurrencyCode(std::string_view code) {
  return code.size() == 3 &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

int CurrencyMinorDigits(std::string_view currency) {
  // ISO 4217 list one (2024): the codes whose minor unit is not 2.
  static constexpr std::string_view kNone[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                               "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                               "VND", "VUV", "XAF", "XOF", "XPF"};
  static constexpr std::string_view kThree[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  if (std::find(std::begin(kNone), std::end(kNone), currency) != std::end(kNone)) return 0;
  if (std::find(std::begin(kThree), std::end(kThree), currency) != std::end(kThree)) return 3;
  return 2;
}

std::int64_t MicrosToMinor(std::int64_t micros, std::string_view currency) {
  std::int64_t per_minor = 1'000'000;
  for (int digit = 0; digit < CurrencyMinorDigits(currency); ++digit) per_minor /= 10;
  return micros >= 0 ? (micros + per_minor / 2) / per_minor
                     : -((-micros + per_minor / 2) / per_minor);
}

}  // namespace tillbridge
