// Phone numbers: E.164 normalization (libphonenumber) and masking for logs.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tillbridge {

// Normalizes user-entered numbers to E.164 using a default region for numbers
// written without a country code. Thread-safe after construction.
class PhoneNormalizer {
 public:
  // `default_region` is an ISO 3166-1 alpha-2 code such as "US" or "GB".
  explicit PhoneNormalizer(std::string default_region);
  ~PhoneNormalizer();
  PhoneNormalizer(const PhoneNormalizer&) = delete;
  PhoneNormalizer& operator=(const PhoneNormalizer&) = delete;

  // "(415) 555-0134" -> "+14155550134". InvalidArgument with a reason a
  // cashier can act on ("too short for region US", ...) otherwise.
  Result<std::string> Normalize(std::string_view input) const;

  // True when `region` is a region libphonenumber knows.
  static bool IsKnownRegion(std::string_view region);

  const std::string& default_region() const { return default_region_; }

 private:
  std::string default_region_;
};

// Masks all but the country code's first digit and the last four digits:
// "+14155550134" -> "+1******0134". Safe on any input, including garbage.
std::string MaskPhone(std::string_view phone);

// Replaces every run of 7 or more digits (optionally with +, spaces, dashes,
// dots or parentheses inside) in free text with a masked form, so log lines
// never carry a full phone number.
std::string MaskPhonesInText(std::string_view text);

}  // namespace tillbridge
