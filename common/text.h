// Small text helpers shared by the parsers (local API JSON, the reference
// cloud's JSON reader, URL decoding, the ESC/POS decoder).
#pragma once

#include <string>
#include <string_view>

namespace tillbridge {

// Appends `code_point` to `out` as UTF-8. Values that are not Unicode
// scalar values (surrogates, above U+10FFFF) become U+FFFD.
void AppendUtf8(char32_t code_point, std::string& out);

// The value of one hexadecimal digit (either case), or -1 for any other
// character.
int HexDigitValue(char c);

// `text` with ASCII letters in upper case; other bytes (UTF-8 included) kept.
std::string AsciiUpper(std::string_view text);

}  // namespace tillbridge
