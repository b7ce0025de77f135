// Fuzz target for what a scanner types for a coupon (common/coupon_scan.h).
// Besides "no crash" it checks:
//  - a barcode comes back as 13 digits with a valid check digit;
//  - a code has 1-64 characters, none of them blank or a control character;
//  - a code without link characters reads back as itself;
//  - a misread always says why.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/coupon_scan.h"

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto scan = tillbridge::ParseCouponScan(input);
  if (!scan.ok()) {
    Check(!scan.status().message().empty());
    return 0;
  }
  using Kind = tillbridge::CouponScan::Kind;
  switch (scan->kind) {
    case Kind::kUpc:
      Check(scan->value.size() == 13);
      Check(tillbridge::NormalizeCouponUpc(scan->value) == scan->value);
      break;
    case Kind::kCode: {
      Check(!scan->value.empty() && scan->value.size() <= 64);
      for (unsigned char c : scan->value) Check(c > ' ' && c != 0x7f);
      if (scan->value.find_first_of("/?") == std::string::npos) {
        auto again = tillbridge::ParseCouponScan(scan->value);
        Check(again.ok() && again->kind == Kind::kCode && again->value == scan->value);
      }
      break;
    }
    case Kind::kMisread:
      Check(!scan->value.empty());
      break;
  }
  // The same text as a scanner sends it, ending in Enter, reads the same.
  auto entered = tillbridge::ParseCouponScan(std::string(input) + "\r\n");
  Check(entered.ok() && entered->kind == scan->kind && entered->value == scan->value);
  return 0;
}
