#include "common/text.h"

namespace tillbridge {

void AppendUtf8(char32_t code_point, std::string& out) {
  if (code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    code_point = 0xFFFD;
  }
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
    return;
  }
  // Lead byte marker and the number of 6-bit continuation bytes.
  unsigned lead = 0xC0;
  int continuation = 1;
  if (code_point >= 0x10000) {
    lead = 0xF0;
    continuation = 3;
  } else if (code_point >= 0x800) {
    lead = 0xE0;
    continuation = 2;
  }
  out.push_back(static_cast<char>(lead | (code_point >> (6 * continuation))));
  for (int shift = 6 * (continuation - 1); shift >= 0; shift -= 6) {
    out.push_back(static_cast<char>(0x80 | ((code_point >> shift) & 0x3F)));
  }
}

std::string AsciiUpper(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return upper;
}

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace tillbridge
