#include "common/text.h"

#include <doctest/doctest.h>

#include <string>

namespace tillbridge {
namespace {

TEST_CASE("AppendUtf8 encodes every plane and replaces invalid code points") {
  std::string out;
  AppendUtf8(U'A', out);
  AppendUtf8(U'\u00e9', out);
  AppendUtf8(U'\u20ac', out);
  AppendUtf8(U'\U0001F600', out);
  AppendUtf8(U'\u07ff', out);
  AppendUtf8(U'\uffff', out);
  CHECK(out == "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xDF\xBF\xEF\xBF\xBF");
  out.clear();
  AppendUtf8(0xD800, out);
  AppendUtf8(0xDFFF, out);
  AppendUtf8(0x110000, out);
  CHECK(out == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  out.clear();
  AppendUtf8(0x10FFFF, out);
  CHECK(out == "\xF4\x8F\xBF\xBF");
}

TEST_CASE("AsciiUpper changes ASCII letters only") {
  CHECK(AsciiUpper("tb1a-2b3c") == "TB1A-2B3C");
  CHECK(AsciiUpper("") == "");
  CHECK(AsciiUpper("caf\xC3\xA9 z{") == "CAF\xC3\xA9 Z{");
}

TEST_CASE("HexDigitValue reads both cases and refuses everything else") {
  CHECK(HexDigitValue('0') == 0);
  CHECK(HexDigitValue('9') == 9);
  CHECK(HexDigitValue('a') == 10);
  CHECK(HexDigitValue('F') == 15);
  for (char c : {'g', 'G', ' ', '/', ':', '@', '`', '\0'}) CHECK(HexDigitValue(c) == -1);
}

}  // namespace
}  // namespace tillbridge
