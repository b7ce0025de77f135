// Character decoding for printer text: the code pages selected by ESC t
// (ESC/POS) or ESC GS t (Star), and the ISO 646 national variants selected
// by ESC R, decoded to UTF-8.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tillbridge::drivers {

// One printer code page (the meaning of bytes 0x80..0xFF). Immutable; the
// pages are static, so references stay valid for the life of the process.
class CodePage {
 public:
  // The page Epson's ESC t `number` selects (0 = CP437, 2 = CP850,
  // 13 = CP857, 16 = CP1252, 19 = CP858, ...). Numbers with no single-byte
  // table (Hiragana, Kanji, Thai 17, the Indic pages, user-defined pages,
  // numbers Epson does not list) give an unknown page whose upper half
  // decodes to U+FFFD, so text stays aligned while its accents are lost.
  static const CodePage& ForEscT(std::uint8_t number);
  // The page Star's ESC GS t `number` selects in Star Line Mode and StarPRNT
  // (0 = Star's "Normal" set, 1 = CP437, 4 = CP858, 32 = CP1252, ...).
  // Unknown numbers as for ForEscT.
  static const CodePage& ForStar(std::uint8_t number);
  // CP437, the page an Epson printer starts with after ESC @.
  static const CodePage& Default();

  // "CP437", "CP1252", "KATAKANA", ..., or "unknown".
  std::string_view name() const { return name_; }
  bool known() const { return table_ != nullptr; }
  // The Unicode code point byte `byte` prints: itself below 0x80, U+FFFD for
  // a position the page leaves empty or an unknown page.
  char32_t Decode(std::uint8_t byte) const;

  // `table` holds 128 code points for 0x80..0xFF and must outlive the page;
  // nullptr makes an unknown page.
  CodePage(std::string_view name, const char32_t* table) : name_(name), table_(table) {}

 private:
  std::string_view name_;
  const char32_t* table_;  // 128 entries, or nullptr when unknown
};

// The character ESC R `charset` prints for ASCII byte `byte` (0x20..0x7E):
// the byte itself except for the 12 positions national sets replace
// (# $ @ [ \ ] ^ ` { | } ~). Unknown sets behave like 0 (USA).
char32_t DecodeInternational(std::uint8_t charset, std::uint8_t byte);

}  // namespace tillbridge::drivers
