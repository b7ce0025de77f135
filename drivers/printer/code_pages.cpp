#include "drivers/printer/code_pages.h"

#include <array>
#include <cstddef>
#include <iterator>
#include <utility>

namespace tillbridge::drivers {
namespace {

struct CodePageTable {
  const char* name;
  char32_t upper_half[128];
};

// One entry of a printer maker's numbering: the command's parameter and the
// table it selects.
struct PageNumber {
  std::uint8_t number;
  std::uint8_t table;
};

#include "drivers/printer/code_page_tables.inc"

// Positions replaced by the ISO 646 national variants, in table order.
constexpr std::array<std::uint8_t, 12> kNationalPositions = {0x23, 0x24, 0x40, 0x5B, 0x5C, 0x5D,
                                                             0x5E, 0x60, 0x7B, 0x7C, 0x7D, 0x7E};

// ESC R 0..13 (USA, France, Germany, UK, Denmark I, Sweden, Italy, Spain I,
// Japan, Norway, Denmark II, Spain II, Latin America, Korea).
constexpr char32_t kNationalSets[][12] = {
    {U'#', U'$', U'@', U'[', U'\\', U']', U'^', U'`', U'{', U'|', U'}', U'~'},
    {U'#', U'$', U'à', U'°', U'ç', U'§', U'^', U'`', U'é', U'ù', U'è', U'¨'},
    {U'#', U'$', U'§', U'Ä', U'Ö', U'Ü', U'^', U'`', U'ä', U'ö', U'ü', U'ß'},
    {U'£', U'$', U'@', U'[', U'\\', U']', U'^', U'`', U'{', U'|', U'}', U'~'},
    {U'#', U'$', U'@', U'Æ', U'Ø', U'Å', U'^', U'`', U'æ', U'ø', U'å', U'~'},
    {U'#', U'¤', U'É', U'Ä', U'Ö', U'Å', U'Ü', U'é', U'ä', U'ö', U'å', U'ü'},
    {U'#', U'$', U'@', U'°', U'\\', U'é', U'^', U'ù', U'à', U'ò', U'è', U'ì'},
    {U'₧', U'$', U'@', U'¡', U'Ñ', U'¿', U'^', U'`', U'¨', U'ñ', U'}', U'~'},
    {U'#', U'$', U'@', U'[', U'¥', U']', U'^', U'`', U'{', U'|', U'}', U'~'},
    {U'#', U'¤', U'É', U'Æ', U'Ø', U'Å', U'Ü', U'é', U'æ', U'ø', U'å', U'ü'},
    {U'#', U'$', U'É', U'Æ', U'Ø', U'Å', U'Ü', U'é', U'æ', U'ø', U'å', U'ü'},
    {U'#', U'$', U'á', U'¡', U'Ñ', U'¿', U'é', U'`', U'í', U'ñ', U'ó', U'ú'},
    {U'#', U'$', U'á', U'¡', U'Ñ', U'¿', U'é', U'ü', U'í', U'ñ', U'ó', U'ú'},
    {U'#', U'$', U'@', U'[', U'₩', U']', U'^', U'`', U'{', U'|', U'}', U'~'},
};

// Built once: a CodePage per table, the shared "unknown" page, and both
// makers' numberings resolved to pages.
struct Registry {
  std::array<CodePage, std::size(kTables)> pages;
  CodePage unknown{"unknown", nullptr};
  std::array<const CodePage*, 256> by_esc_t{};
  std::array<const CodePage*, 256> by_star{};

  template <size_t... I>
  static std::array<CodePage, sizeof...(I)> MakePages(std::index_sequence<I...>) {
    return {CodePage(kTables[I].name, kTables[I].upper_half)...};
  }

  Registry() : pages(MakePages(std::make_index_sequence<std::size(kTables)>())) {
    by_esc_t.fill(&unknown);
    by_star.fill(&unknown);
    for (const PageNumber& entry : kEscTNumbers) by_esc_t[entry.number] = &pages[entry.table];
    for (const PageNumber& entry : kStarNumbers) by_star[entry.number] = &pages[entry.table];
  }
};

const Registry& GetRegistry() {
  static const Registry registry;
  return registry;
}

}  // namespace

const CodePage& CodePage::ForEscT(std::uint8_t number) { return *GetRegistry().by_esc_t[number]; }

const CodePage& CodePage::ForStar(std::uint8_t number) { return *GetRegistry().by_star[number]; }

const CodePage& CodePage::Default() { return ForEscT(0); }

char32_t CodePage::Decode(std::uint8_t byte) const {
  if (byte < 0x80) return byte;
  if (table_ == nullptr) return 0xFFFD;
  return table_[byte - 0x80];
}

char32_t DecodeInternational(std::uint8_t charset, std::uint8_t byte) {
  if (charset >= std::size(kNationalSets)) return byte;
  for (size_t i = 0; i < kNationalPositions.size(); ++i) {
    if (kNationalPositions[i] == byte) return kNationalSets[charset][i];
  }
  return byte;
}

}  // namespace tillbridge::drivers
