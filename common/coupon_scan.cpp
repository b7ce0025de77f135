#include "common/coupon_scan.h"

#include <algorithm>

namespace tillbridge {
namespace {

constexpr std::size_t kMaxCodeLength = 64;

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsAsciiDigit);
}

std::string_view Trim(std::string_view text) {
  constexpr std::string_view kBlank = " \t\r\n";
  const auto first = text.find_first_not_of(kBlank);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kBlank);
  return text.substr(first, last - first + 1);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX becomes its byte and, in a query, '+' a space; a '%' not followed by
// two hex digits stays as it is, since a scanner may have cut the link short.
std::string UrlDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int high = HexValue(text[i + 1]);
      const int low = HexValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

bool LooksLikeLink(std::string_view text) {
  return text.find("://") != std::string_view::npos || text.find('/') != std::string_view::npos ||
         text.find('?') != std::string_view::npos;
}

// The `code` or `coupon` query parameter of `link`, or its last non-empty
// path segment; empty when it has neither.
std::string CodeInLink(std::string_view link) {
  const auto fragment = link.find('#');
  if (fragment != std::string_view::npos) link = link.substr(0, fragment);
  std::string_view query;
  const auto question = link.find('?');
  if (question != std::string_view::npos) {
    query = link.substr(question + 1);
    link = link.substr(0, question);
  }
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto equals = pair.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string name = UrlDecode(pair.substr(0, equals), true);
    if (name == "code" || name == "coupon") {
      std::string value = UrlDecode(pair.substr(equals + 1), true);
      if (!Trim(value).empty()) return value;
    }
  }
  // Past the scheme and the host, so a bare "https://shop.example" names
  // no code.
  const auto scheme = link.find("://");
  if (scheme != std::string_view::npos) {
    link = link.substr(scheme + 3);
    const auto slash = link.find('/');
    link = slash == std::string_view::npos ? std::string_view() : link.substr(slash);
  }
  while (!link.empty() && link.back() == '/') link.remove_suffix(1);
  const auto slash = link.rfind('/');
  return UrlDecode(slash == std::string_view::npos ? link : link.substr(slash + 1), false);
}

CouponScan Misread(std::string why) {
  return CouponScan{CouponScan::Kind::kMisread, std::move(why)};
}

CouponScan ReadBarcode(std::string_view digits) {
  if (digits.size() != 12 && digits.size() != 13) {
    return Misread("a UPC has 12 digits and an EAN-13 has 13; the scan has " +
                   std::to_string(digits.size()) + ": scan again");
  }
  const int expected = *Gs1CheckDigit(digits.substr(0, digits.size() - 1));
  const int scanned = digits.back() - '0';
  if (expected != scanned) {
    return Misread(std::string(digits.size() == 12 ? "UPC" : "EAN-13") + " check digit is " +
                   std::to_string(expected) + ", the scan ends in " + std::to_string(scanned) +
                   ": scan again");
  }
  return CouponScan{CouponScan::Kind::kUpc, *NormalizeCouponUpc(digits)};
}

}  // namespace

std::optional<int> Gs1CheckDigit(std::string_view body) {
  if (!AllDigits(body)) return std::nullopt;
  int sum = 0;
  int weight = 3;
  for (auto it = body.rbegin(); it != body.rend(); ++it) {
    sum += (*it - '0') * weight;
    weight = 4 - weight;
  }
  return (10 - sum % 10) % 10;
}

std::optional<std::string> NormalizeCouponUpc(std::string_view digits) {
  if (!AllDigits(digits) || (digits.size() != 12 && digits.size() != 13)) return std::nullopt;
  const auto check = Gs1CheckDigit(digits.substr(0, digits.size() - 1));
  if (!check || *check != digits.back() - '0') return std::nullopt;
  return digits.size() == 12 ? "0" + std::string(digits) : std::string(digits);
}

Result<CouponScan> ParseCouponScan(std::string_view text) {
  std::string_view scanned = Trim(text);
  if (scanned.empty()) return Status::InvalidArgument("the scan is empty: scan again");
  std::string code;
  if (LooksLikeLink(scanned)) {
    code = std::string(Trim(CodeInLink(scanned)));
    if (code.empty()) {
      return Misread(
          "the link holds no coupon code (no code or coupon parameter, no path after the "
          "address): scan the coupon's code or barcode instead");
    }
  } else {
    code = std::string(scanned);
  }
  // Barcode misreads drop or add a digit: 11 to 14 digits are read as a
  // barcode and must be one, shorter or longer numbers are plain codes.
  if (AllDigits(code) && code.size() >= 11 && code.size() <= 14) return ReadBarcode(code);
  if (code.size() > kMaxCodeLength) {
    return Status::InvalidArgument("a coupon code has 1 to 64 characters; the scan has " +
                                   std::to_string(code.size()));
  }
  for (unsigned char c : code) {
    if (c <= ' ' || c == 0x7f) {
      return Status::InvalidArgument(
          "a coupon code holds no spaces or control characters: scan again");
    }
  }
  return CouponScan{CouponScan::Kind::kCode, std::move(code)};
}

}  // namespace tillbridge
