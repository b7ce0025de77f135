#include "drivers/printer/code_pages.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <utility>

#include "common/text.h"

namespace tillbridge::drivers {
namespace {

std::string DecodeAll(const CodePage& page, std::initializer_list<unsigned char> bytes) {
  std::string out;
  for (unsigned char b : bytes) AppendUtf8(page.Decode(b), out);
  return out;
}

TEST_CASE("ESC t numbers select the Epson code pages") {
  CHECK(CodePage::ForEscT(0).name() == "CP437");
  CHECK(CodePage::ForEscT(2).name() == "CP850");
  CHECK(CodePage::ForEscT(12).name() == "CP853");
  CHECK(CodePage::ForEscT(13).name() == "CP857");
  CHECK(CodePage::ForEscT(16).name() == "CP1252");
  CHECK(CodePage::ForEscT(19).name() == "CP858");
  CHECK(CodePage::ForEscT(17).name() == "CP866");
  CHECK(CodePage::ForEscT(42).name() == "CP774");  // Epson's PC1118
  CHECK(CodePage::ForEscT(43).name() == "CP772");  // Epson's PC1119
  CHECK(CodePage::ForEscT(53).name() == "KZ1048");
  CHECK_FALSE(CodePage::ForEscT(200).known());
  CHECK(CodePage::ForEscT(200).name() == "unknown");
  CHECK(&CodePage::Default() == &CodePage::ForEscT(0));
}

TEST_CASE("every page in Epson's ESC t list decodes, except the documented ones") {
  // Epson's list (ESC/POS command reference, "ESC t").
  const std::uint8_t decodable[] = {0,  1,  2,  3,  4,  5,  11, 12, 13, 14, 15, 16, 17, 18, 19,
                                    20, 21, 22, 23, 24, 26, 30, 31, 32, 33, 34, 35, 36, 37, 38,
                                    39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53};
  for (std::uint8_t number : decodable) {
    INFO("ESC t " << int{number});
    CHECK(CodePage::ForEscT(number).known());
  }
  // Not decodable, as docs/receipt-templates.md says: Hiragana (no table
  // published), one-pass Kanji (multibyte), Thai Character Code 17 (no table
  // published), the Indic pages (glyph fragments, not characters) and the
  // user-defined pages.
  const std::uint8_t unknown[] = {6,  7,  8,  25, 66, 67, 68,  69, 70,
                                  71, 72, 73, 74, 75, 82, 254, 255};
  for (std::uint8_t number : unknown) {
    INFO("ESC t " << int{number});
    CHECK_FALSE(CodePage::ForEscT(number).known());
  }
  // Every known page defines most of its upper half.
  for (int number = 0; number < 256; ++number) {
    const CodePage& page = CodePage::ForEscT(static_cast<std::uint8_t>(number));
    if (!page.known()) continue;
    int defined = 0;
    for (int byte = 0x80; byte <= 0xFF; ++byte) {
      defined += page.Decode(static_cast<std::uint8_t>(byte)) != 0xFFFD ? 1 : 0;
    }
    INFO("ESC t " << number << " " << page.name());
    CHECK(defined >= 60);
  }
}

TEST_CASE("upper halves decode to the characters on Epson's charts") {
  // e-acute, u-umlaut, box-drawing horizontal in CP437
  CHECK(DecodeAll(CodePage::ForEscT(0), {0x82, 0x81, 0xC4}) == "éü─");
  // CP850 has A-grave at 0xB7 and the dotless i at 0xD5; CP858 has the euro there
  CHECK(DecodeAll(CodePage::ForEscT(2), {0xB7, 0xD5}) == "Àı");
  CHECK(DecodeAll(CodePage::ForEscT(19), {0xB7, 0xD5}) == "À€");
  // Epson's PC857 has the euro at 0xD5, which Python's cp857 lacks
  CHECK(DecodeAll(CodePage::ForEscT(13), {0xD5, 0xA6, 0xA7, 0x98, 0x8D, 0x9E, 0x9F}) == "€ĞğİıŞş");
  // PC853: Z and z with dot above, G and g breve, S cedilla
  CHECK(DecodeAll(CodePage::ForEscT(12), {0xBD, 0xBE, 0xA6, 0xA7, 0xB8, 0xAD}) == "ŻżĞğŞş");
  CHECK(CodePage::ForEscT(12).Decode(0xAA) == 0xFFFD);  // empty on the chart
  // CP1252: euro at 0x80, e-acute at 0xE9, an undefined byte at 0x81
  CHECK(DecodeAll(CodePage::ForEscT(16), {0x80, 0xE9, 0x81}) == "€é\xEF\xBF\xBD");
  // Katakana: half-width letters, the yen-like kanji and block graphics
  CHECK(DecodeAll(CodePage::ForEscT(1), {0xB1, 0xB2, 0xDD, 0xF1, 0x80}) == "ｱｲﾝ円▁");
  // PC851 and PC737 (Greek), ISO 8859-7
  CHECK(DecodeAll(CodePage::ForEscT(11), {0xA4, 0xD6}) == "Αα");
  CHECK(DecodeAll(CodePage::ForEscT(14), {0x80, 0x98}) == "Αα");
  CHECK(DecodeAll(CodePage::ForEscT(15), {0xC1, 0xE1, 0xA4}) == "Αα€");
  // Cyrillic: PC866, PC855, WPC1251, KZ-1048
  CHECK(DecodeAll(CodePage::ForEscT(17), {0x80, 0xA0}) == "Аа");
  CHECK(DecodeAll(CodePage::ForEscT(34), {0x81, 0x80}) == "Ђђ");
  CHECK(DecodeAll(CodePage::ForEscT(46), {0xC0, 0xE0}) == "Аа");
  CHECK(DecodeAll(CodePage::ForEscT(53), {0x8D, 0x9D, 0xA3}) == "ҚқӘ");
  // PC852 and WPC1250 (Polish), Epson's ISO 8859-2 with line drawing at 0x80
  CHECK(DecodeAll(CodePage::ForEscT(18), {0xBD, 0x88}) == "Żł");
  CHECK(DecodeAll(CodePage::ForEscT(45), {0xAF, 0xB3}) == "Żł");
  CHECK(DecodeAll(CodePage::ForEscT(39), {0xAF, 0xB3, 0x80, 0x94}) == "Żł░─");
  // Hebrew and Arabic
  CHECK(DecodeAll(CodePage::ForEscT(36), {0x80, 0x9A}) == "את");
  CHECK(DecodeAll(CodePage::ForEscT(49), {0xE0, 0xFA}) == "את");
  CHECK(DecodeAll(CodePage::ForEscT(32), {0x98, 0xA0}) == "ءب");
  CHECK(DecodeAll(CodePage::ForEscT(50), {0xC7, 0xC8}) == "اب");
  // Thai 42 and 11 (Thai letter ko kai), Vietnamese TCVN-3 small and capital
  CHECK(DecodeAll(CodePage::ForEscT(20), {0xA1}) == "ก");
  CHECK(DecodeAll(CodePage::ForEscT(21), {0xA1, 0xDF}) == "ก฿");
  CHECK(DecodeAll(CodePage::ForEscT(30), {0xAE, 0xAC}) == "đơ");
  CHECK(DecodeAll(CodePage::ForEscT(31), {0xA7, 0xAC}) == "ĐƠ");
  // Baltic: WPC775, PC1118 (= PC774), WPC1257
  CHECK(DecodeAll(CodePage::ForEscT(33), {0xD0, 0xD8}) == "ąž");
  CHECK(DecodeAll(CodePage::ForEscT(42), {0xD0, 0xD8}) == "ąž");
  CHECK(DecodeAll(CodePage::ForEscT(51), {0xE0, 0xFE}) == "ąž");
  // ASCII is the same everywhere
  CHECK(DecodeAll(CodePage::ForEscT(16), {'A', 'z'}) == "Az");
  // An unknown page keeps the width of the text with replacement characters
  CHECK(DecodeAll(CodePage::ForEscT(99), {0xE9}) == "\xEF\xBF\xBD");
}

TEST_CASE("Star's ESC GS t numbers select Star's pages") {
  const std::pair<std::uint8_t, std::string_view> numbers[] = {
      {0, "STAR-NORMAL"}, {1, "CP437"},   {2, "STAR-KATAKANA"}, {3, "CP437"},   {4, "CP858"},
      {5, "CP852"},       {6, "CP860"},   {7, "CP861"},         {8, "CP863"},   {9, "CP865"},
      {10, "CP866"},      {11, "CP855"},  {12, "CP857"},        {13, "CP862"},  {14, "CP864"},
      {15, "CP737"},      {16, "CP851"},  {17, "CP869"},        {18, "CP928"},  {19, "CP772"},
      {20, "CP774"},      {21, "CP874"},  {32, "CP1252"},       {33, "CP1250"}, {34, "CP1251"},
      {64, "CP3840"},     {65, "CP3841"}, {66, "CP3843"},       {67, "CP3844"}, {68, "CP3845"},
      {69, "CP3846"},     {70, "CP3847"}, {71, "CP3848"},       {72, "CP1001"}, {73, "CP771"},
      {74, "CP3001"},     {75, "CP3002"}, {76, "CP3011"},       {77, "CP3012"}, {78, "CP3021"},
      {96, "THAI42"},     {97, "THAI11"}, {98, "THAI13"},       {99, "THAI14"}, {100, "THAI16"},
      {102, "THAI18"},
  };
  for (const auto& [number, name] : numbers) {
    INFO("ESC GS t " << int{number});
    CHECK(CodePage::ForStar(number).name() == name);
  }
  // The same page by either maker's number is the same table.
  CHECK(&CodePage::ForStar(4) == &CodePage::ForEscT(19));
  CHECK(&CodePage::ForStar(32) == &CodePage::ForEscT(16));
  CHECK(&CodePage::ForStar(20) == &CodePage::ForEscT(42));
  // Not decodable: PC3041 (Maltese letters replace ASCII positions), Thai
  // Character Code 17, the user setting, and numbers Star does not list.
  for (std::uint8_t number : {79, 101, 255, 22, 35, 200}) {
    INFO("ESC GS t " << int{number});
    CHECK_FALSE(CodePage::ForStar(number).known());
  }
  // Spot checks of Star-only pages: Mazovia (Polish), Kamenicky (Czech),
  // MIK (Bulgarian), PC928 (Greek), Star's Katakana.
  CHECK(DecodeAll(CodePage::ForStar(66), {0x86, 0x92, 0xA1}) == "ąłŻ");
  CHECK(DecodeAll(CodePage::ForStar(67), {0x80, 0x87, 0x9F}) == "Ččť");
  CHECK(DecodeAll(CodePage::ForStar(78), {0x80, 0xBF}) == "Ая");
  CHECK(DecodeAll(CodePage::ForStar(18), {0xC1, 0xE1}) == "Αα");
  CHECK(DecodeAll(CodePage::ForStar(2), {0xB1, 0xDD}) == "ｱﾝ");
}

TEST_CASE("ESC R international sets replace the national positions only") {
  CHECK(DecodeInternational(0, '#') == U'#');
  CHECK(DecodeInternational(3, '#') == U'£');  // UK
  CHECK(DecodeInternational(2, '[') == U'Ä');  // Germany
  CHECK(DecodeInternational(2, '~') == U'ß');
  CHECK(DecodeInternational(8, '\\') == U'¥');   // Japan
  CHECK(DecodeInternational(2, 'A') == U'A');    // not a national position
  CHECK(DecodeInternational(250, '#') == U'#');  // unknown set behaves like USA
}

}  // namespace
}  // namespace tillbridge::drivers
