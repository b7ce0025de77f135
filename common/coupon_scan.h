// What a customer's coupon looks like when the cashier scans or types it:
// the bare code, a link that carries the code (an SMS link shown as a QR
// code), or a GS1 barcode number (UPC-A or EAN-13). Barcode scanners type
// like a keyboard, so the text may end in CR/LF or carry stray spaces.
// Pure functions of their input; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tillbridge {

// The GS1 check digit (0-9) of `body`, ASCII digits only: weights 3 and 1
// from the right, as for UPC-A, EAN-13 and EAN-8. nullopt for an empty
// body or any other character.
std::optional<int> Gs1CheckDigit(std::string_view body);

// The 13-digit EAN-13 form of a UPC-A (12 digits, gets a leading 0) or an
// EAN-13 (13 digits), when `digits` is ASCII digits only and its last digit
// is the right check digit; nullopt otherwise. A UPC-A and the EAN-13 with
// a leading 0 are the same number and give the same result.
std::optional<std::string> NormalizeCouponUpc(std::string_view digits);

// What a scan names: a coupon code as printed, a barcode number, or a
// misread (a barcode or link that cannot name a coupon; scan again).
struct CouponScan {
  enum class Kind { kCode, kUpc, kMisread };
  Kind kind = Kind::kCode;
  // kCode: the code, trimmed and URL-decoded, letter case as scanned.
  // kUpc: the 13-digit EAN-13 form (NormalizeCouponUpc).
  // kMisread: why, in words a cashier can act on, e.g. "UPC check digit is
  // 3, the scan ends in 7: scan again".
  std::string value;
};

// Reads `text` as typed by a scanner or a cashier:
//  - surrounding spaces, tabs, CR and LF are trimmed;
//  - a link (holds "://", '/' or '?') yields its `code` or `coupon` query
//    parameter, else its last non-empty path segment, URL-decoded and
//    trimmed; a link with neither is a misread;
//  - 11 to 14 ASCII digits are read as a barcode: 12 (UPC-A) or 13
//    (EAN-13) with the right check digit are kUpc, anything else a misread
//    (a scanner dropped or added a digit);
//  - anything else is a code.
// InvalidArgument when the text cannot be a coupon code at all: empty, a
// code over 64 characters, or one holding spaces or control characters.
Result<CouponScan> ParseCouponScan(std::string_view text);

}  // namespace tillbridge
