#include "drivers/printer/code_pages.h"

#include <doctest/doctest.h>

#include <string>

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
  CHECK(CodePage::ForEscT(16).name() == "CP1252");
  CHECK(CodePage::ForEscT(19).name() == "CP858");
  CHECK(CodePage::ForEscT(17).name() == "CP866");
  CHECK_FALSE(CodePage::ForEscT(200).known());
  CHECK(&CodePage::Default() == &CodePage::ForEscT(0));
}

TEST_CASE("upper halves decode to the right characters") {
  // e-acute, u-umlaut, box-drawing horizontal in CP437
  CHECK(DecodeAll(CodePage::ForEscT(0), {0x82, 0x81, 0xC4}) == "éü─");
  // CP850 has A-grave at 0xB7 and the dotless i at 0xD5; CP858 has the euro there
  CHECK(DecodeAll(CodePage::ForEscT(2), {0xB7, 0xD5}) == "Àı");
  CHECK(DecodeAll(CodePage::ForEscT(19), {0xB7, 0xD5}) == "À€");
  // CP1252: euro at 0x80, e-acute at 0xE9, an undefined byte at 0x81
  CHECK(DecodeAll(CodePage::ForEscT(16), {0x80, 0xE9, 0x81}) == "€é\xEF\xBF\xBD");
  // ASCII is the same everywhere
  CHECK(DecodeAll(CodePage::ForEscT(16), {'A', 'z'}) == "Az");
  // An unknown page keeps the width of the text with replacement characters
  CHECK(DecodeAll(CodePage::ForEscT(99), {0xE9}) == "\xEF\xBF\xBD");
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
