// Character decoding for ESC/POS text: the code pages selected by ESC t and
// the ISO 646 national variants selected by ESC R, decoded to UTF-8.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tillbridge::drivers {

// One printer code page (the meaning of bytes 0x80..0xFF). Immutable.
class CodePage {
 public:
  // The page ESC t `number` selects (Epson numbering: 0 = CP437, 2 = CP850,
  // 16 = CP1252, 19 = CP858, ...). Unknown numbers give a page whose upper
  // half decodes to U+FFFD, so text stays aligned while its accents are lost.
  static const CodePage& ForEscT(std::uint8_t number);
  // CP437, the page a printer starts with after ESC @.
  static const CodePage& Default();

  // "CP437", "CP1252", or "unknown".
  std::string_view name() const { return name_; }
  bool known() const { return table_ != nullptr; }
  // The Unicode code point of byte `byte` (0x80..0xFF).
  char32_t Decode(std::uint8_t byte) const;

  CodePage(std::string_view name, const std::uint16_t* table) : name_(name), table_(table) {}

 private:
  std::string_view name_;
  const std::uint16_t* table_;  // 128 entries, or nullptr when unknown
};

// The character ESC R `charset` prints for ASCII byte `byte` (0x20..0x7E):
// the byte itself except for the 12 positions national sets replace
// (# $ @ [ \ ] ^ ` { | } ~). Unknown sets behave like 0 (USA).
char32_t DecodeInternational(std::uint8_t charset, std::uint8_t byte);

}  // namespace tillbridge::drivers
