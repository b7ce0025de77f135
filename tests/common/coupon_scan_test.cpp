// What a scanner or a cashier types for a coupon (common/coupon_scan.h):
// codes, links from QR codes, UPC-A / EAN-13 barcodes, and misreads.
#include "common/coupon_scan.h"

#include <doctest/doctest.h>

namespace tillbridge {
namespace {

CouponScan Scan(std::string_view text) {
  auto scan = ParseCouponScan(text);
  REQUIRE_MESSAGE(scan.ok(), scan.status().ToString());
  return *scan;
}

void CheckCode(std::string_view text, const std::string& code) {
  INFO("scan: ", std::string(text));
  const CouponScan scan = Scan(text);
  CHECK(scan.kind == CouponScan::Kind::kCode);
  CHECK(scan.value == code);
}

void CheckMisread(std::string_view text, const std::string& why) {
  INFO("scan: ", std::string(text));
  const CouponScan scan = Scan(text);
  CHECK(scan.kind == CouponScan::Kind::kMisread);
  CHECK(scan.value == why);
}

TEST_CASE("the GS1 check digit weighs 3 and 1 from the right") {
  CHECK(Gs1CheckDigit("03600029145") == 2);   // UPC-A 036000291452
  CHECK(Gs1CheckDigit("400638133393") == 1);  // EAN-13 4006381333931
  CHECK(Gs1CheckDigit("50000000000") == 5);
  CHECK(Gs1CheckDigit("0") == 0);
  CHECK_FALSE(Gs1CheckDigit("").has_value());
  CHECK_FALSE(Gs1CheckDigit("12a4").has_value());
}

TEST_CASE("a UPC-A and the EAN-13 with a leading zero are the same number") {
  CHECK(NormalizeCouponUpc("036000291452") == "0036000291452");
  CHECK(NormalizeCouponUpc("0036000291452") == "0036000291452");
  CHECK(NormalizeCouponUpc("4006381333931") == "4006381333931");
  CHECK_FALSE(NormalizeCouponUpc("036000291453").has_value());    // wrong check digit
  CHECK_FALSE(NormalizeCouponUpc("36000291452").has_value());     // 11 digits
  CHECK_FALSE(NormalizeCouponUpc("00036000291452").has_value());  // 14 digits
  CHECK_FALSE(NormalizeCouponUpc("03600029145X").has_value());
  CHECK_FALSE(NormalizeCouponUpc("").has_value());
}

TEST_CASE("a bare code is trimmed of what scanners add and keeps its letter case") {
  CheckCode("TB99D92BD7", "TB99D92BD7");
  CheckCode("tb99d92bd7", "tb99d92bd7");
  CheckCode("TB99D92BD7\r\n", "TB99D92BD7");
  CheckCode("  TB99D92BD7\t", "TB99D92BD7");
  CheckCode("WELCOME10", "WELCOME10");
  CheckCode("12345", "12345");                      // short numbers are codes
  CheckCode("123456789012345", "123456789012345");  // so are long ones
  CheckCode(std::string(64, 'A'), std::string(64, 'A'));
  CheckCode("CAF\xC3\x89-10", "CAF\xC3\x89-10");  // UTF-8 letters are letters
}

TEST_CASE("a link yields the code in its query or its last path segment") {
  CheckCode("https://sms.example/c/TB99D92BD7", "TB99D92BD7");
  CheckCode("https://sms.example/c/TB99D92BD7/", "TB99D92BD7");
  CheckCode("https://sms.example/redeem?coupon=TB99D92BD7", "TB99D92BD7");
  CheckCode("https://sms.example/r?utm_source=sms&code=TB99D92BD7&x=1", "TB99D92BD7");
  CheckCode("HTTPS://SMS.EXAMPLE/C/TB99D92BD7#top", "TB99D92BD7");
  CheckCode("sms.example/c/TB99D92BD7", "TB99D92BD7");
  CheckCode("https://sms.example/c/TB99D92BD7\r", "TB99D92BD7");
  // The query parameter wins over the path.
  CheckCode("https://sms.example/c/other?code=TB99D92BD7", "TB99D92BD7");
  // An empty parameter falls back to the path.
  CheckCode("https://sms.example/c/TB99D92BD7?code=", "TB99D92BD7");
}

TEST_CASE("link parts are URL-decoded and trimmed") {
  CheckCode("https://sms.example/c/SPRING%2D10", "SPRING-10");
  CheckCode("https://sms.example/r?coupon=%20TB99D92BD7%20", "TB99D92BD7");
  CheckCode("https://sms.example/r?coupon=+TB99D92BD7+", "TB99D92BD7");
  CheckCode("https://sms.example/r?c%6Fde=TB99D92BD7", "TB99D92BD7");
  // A cut-off escape stays as it is.
  CheckCode("https://sms.example/c/TB99%4", "TB99%4");
}

TEST_CASE("a link holding a barcode number is read as that barcode") {
  const CouponScan scan = Scan("https://sms.example/c/036000291452");
  CHECK(scan.kind == CouponScan::Kind::kUpc);
  CHECK(scan.value == "0036000291452");
  CheckMisread("https://sms.example/c/036000291453",
               "UPC check digit is 2, the scan ends in 3: scan again");
}

TEST_CASE("a link without a code is a misread") {
  const std::string why =
      "the link holds no coupon code (no code or coupon parameter, no path after the address): "
      "scan the coupon's code or barcode instead";
  CheckMisread("https://sms.example", why);
  CheckMisread("https://sms.example/", why);
  CheckMisread("https://sms.example/?utm=1", why);
  CheckMisread("https://sms.example/?code=%20", why);
}

TEST_CASE("UPC-A and EAN-13 scans name the same coupon number") {
  const CouponScan upc = Scan("036000291452");
  const CouponScan ean = Scan("0036000291452\r\n");
  CHECK(upc.kind == CouponScan::Kind::kUpc);
  CHECK(ean.kind == CouponScan::Kind::kUpc);
  CHECK(upc.value == "0036000291452");
  CHECK(ean.value == upc.value);
  CHECK(Scan("4006381333931").value == "4006381333931");
}

TEST_CASE("a wrong check digit is refused with the digit expected") {
  CheckMisread("036000291457", "UPC check digit is 2, the scan ends in 7: scan again");
  CheckMisread("4006381333937", "EAN-13 check digit is 1, the scan ends in 7: scan again");
}

TEST_CASE("a barcode with a digit too few or too many is a misread") {
  CheckMisread("36000291452",
               "a UPC has 12 digits and an EAN-13 has 13; the scan has 11: scan again");
  CheckMisread("00036000291452",
               "a UPC has 12 digits and an EAN-13 has 13; the scan has 14: scan again");
}

TEST_CASE("text that cannot be a code is refused") {
  CHECK(ParseCouponScan("").status().code() == StatusCode::kInvalidArgument);
  CHECK(ParseCouponScan(" \r\n").status().message() == "the scan is empty: scan again");
  CHECK(ParseCouponScan(std::string(65, 'A')).status().message() ==
        "a coupon code has 1 to 64 characters; the scan has 65");
  CHECK_FALSE(ParseCouponScan("TB99 D92BD7").ok());
  CHECK_FALSE(ParseCouponScan(std::string("TB99\0D92", 8)).ok());
  CHECK_FALSE(ParseCouponScan("https://sms.example/c/TB%0A99").ok());
  // Letters among digits make a code, not a barcode.
  CheckCode("03600029145A", "03600029145A");
}

}  // namespace
}  // namespace tillbridge
