#include "common/card_numbers.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace tillbridge {
namespace {

constexpr std::size_t kMinCardDigits = 13;
constexpr std::size_t kMaxCardDigits = 19;
// Digits shown on each side of a masked card number (PCI DSS 3.3: at most
// the BIN and the last four).
constexpr std::size_t kKeepFirst = 6;
constexpr std::size_t kKeepLast = 4;
// An E.164 phone number has at most 15 digits after its '+', or after the
// international call prefix 00.
constexpr std::size_t kMaxPhoneDigits = 15;

// Lengths a brand issues, as a bit per length.
constexpr std::uint32_t Lengths(std::size_t first, std::size_t last) {
  std::uint32_t mask = 0;
  for (std::size_t length = first; length <= last; ++length) mask |= 1u << length;
  return mask;
}
constexpr std::uint32_t Length(std::size_t length) { return 1u << length; }

// Issuer prefixes (IIN ranges) and issued lengths of the card brands a
// store's customers pay with; more specific ranges come first so that
// CardBrand names the brand a reader expects.
struct BrandRange {
  std::string_view name;
  int prefix_digits;  // how many leading digits `low`..`high` cover
  int low;
  int high;
  std::uint32_t lengths;
};
constexpr std::array<BrandRange, 25> kBrands = {{
    {"American Express", 2, 34, 34, Length(15)},
    {"American Express", 2, 37, 37, Length(15)},
    {"Visa", 1, 4, 4, Length(13) | Length(16) | Length(19)},
    {"Mastercard", 2, 51, 55, Lengths(16, 19)},
    {"Mastercard", 4, 2221, 2720, Lengths(16, 19)},
    {"Mir", 4, 2200, 2204, Lengths(16, 19)},
    {"BORICA", 4, 2205, 2205, Length(16)},
    {"Discover", 4, 6011, 6011, Lengths(16, 19)},
    {"Discover", 3, 644, 649, Lengths(16, 19)},
    {"Discover", 2, 65, 65, Lengths(16, 19)},
    {"UnionPay", 2, 62, 62, Lengths(16, 19)},
    {"Maestro", 2, 50, 50, Lengths(13, 19)},
    {"Maestro", 2, 56, 58, Lengths(13, 19)},
    {"Maestro", 1, 6, 6, Lengths(13, 19)},
    {"Diners Club", 3, 300, 305, Lengths(14, 19)},
    {"Diners Club", 4, 3095, 3095, Lengths(14, 19)},
    {"Diners Club", 2, 36, 36, Lengths(14, 19)},
    {"Diners Club", 2, 38, 39, Lengths(14, 19)},
    {"JCB", 4, 3528, 3589, Lengths(16, 19)},
    {"China T-Union", 2, 31, 31, Length(19)},
    {"RuPay", 2, 81, 82, Lengths(16, 19)},
    {"UzCard", 4, 8600, 8600, Length(16)},
    {"Napas", 4, 9704, 9704, Lengths(16, 19)},
    {"Troy", 4, 9792, 9792, Length(16)},
    {"Humo", 4, 9860, 9860, Length(16)},
}};

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

bool AllAsciiDigits(std::string_view digits) {
  return std::all_of(digits.begin(), digits.end(), IsAsciiDigit);
}

// One UTF-8 sequence: its code point and byte length. Invalid or truncated
// sequences, overlong forms and surrogates come back as one byte with
// `valid` false, so they end a chain like a letter would.
struct CodePoint {
  char32_t value = 0;
  std::size_t length = 1;
  bool valid = false;
};

CodePoint DecodeAt(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return {lead, 1, true};
  std::size_t length = 0;
  char32_t value = 0;
  char32_t minimum = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    value = lead & 0x1F;
    minimum = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    value = lead & 0x0F;
    minimum = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    value = lead & 0x07;
    minimum = 0x10000;
  } else {
    return {};
  }
  if (pos + length > text.size()) return {};
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return {};
    value = (value << 6) | (byte(i) & 0x3F);
  }
  if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return {};
  return {value, length, true};
}

// The zero of each run of ten decimal digits (Unicode category Nd) that a
// POS, a keyboard layout or a copy-paste may produce.
constexpr std::array<char32_t, 25> kDigitZeros = {
    0x0030,   // ASCII
    0x0660,   // Arabic-Indic
    0x06F0,   // Extended Arabic-Indic (Persian, Urdu)
    0x07C0,   // NKo
    0x0966,   // Devanagari
    0x09E6,   // Bengali
    0x0A66,   // Gurmukhi
    0x0AE6,   // Gujarati
    0x0B66,   // Oriya
    0x0BE6,   // Tamil
    0x0C66,   // Telugu
    0x0CE6,   // Kannada
    0x0D66,   // Malayalam
    0x0E50,   // Thai
    0x0ED0,   // Lao
    0x0F20,   // Tibetan
    0x1040,   // Myanmar
    0x17E0,   // Khmer
    0x1810,   // Mongolian
    0xFF10,   // full-width
    0x1D7CE,  // mathematical bold
    0x1D7D8,  // mathematical double-struck
    0x1D7E2,  // mathematical sans-serif
    0x1D7EC,  // mathematical sans-serif bold
    0x1D7F6,  // mathematical monospace
};

// The digit `cp` stands for ('0'..'9'), or 0 when it is no decimal digit.
char DigitOf(char32_t cp) {
  for (const char32_t zero : kDigitZeros) {
    if (cp >= zero && cp < zero + 10) return static_cast<char>('0' + (cp - zero));
  }
  return 0;
}

enum class Gap { kNone, kJoin, kLineBreak };

// How a character between two digits is treated: a separator that joins
// the digits around it, a line break (at most one may join), or neither.
Gap GapKind(char32_t cp) {
  switch (cp) {
    case U'\n':
    case U'\r':
    case U'\v':
    case U'\f':
    case 0x0085:  // next line
    case 0x2028:  // line separator
    case 0x2029:  // paragraph separator
      return Gap::kLineBreak;
    case U' ':
    case U'\t':
    case U'.':
    case U',':
    case U'-':
    case U'/':
    case U'\\':
    case U'_':
    case 0x00A0:  // no-break space
    case 0x00AD:  // soft hyphen
    case 0x00B7:  // middle dot
    case 0x1680:  // ogham space mark
    case 0x180E:  // Mongolian vowel separator
    case 0x2024:  // one dot leader
    case 0x2027:  // hyphenation point
    case 0x202F:  // narrow no-break space
    case 0x205F:  // medium mathematical space
    case 0x2060:  // word joiner
    case 0x2212:  // minus sign
    case 0x3000:  // ideographic space
    case 0x3001:  // ideographic comma
    case 0x3002:  // ideographic full stop
    case 0x30FB:  // katakana middle dot
    case 0xFE58:  // small em dash
    case 0xFE63:  // small hyphen-minus
    case 0xFEFF:  // zero width no-break space
    case 0xFF0C:  // full-width comma
    case 0xFF0D:  // full-width hyphen-minus
    case 0xFF0E:  // full-width full stop
    case 0xFF0F:  // full-width solidus
    case 0xFF3C:  // full-width reverse solidus
    case 0xFF3F:  // full-width low line
    case 0xFF61:  // half-width ideographic full stop
    case 0xFF64:  // half-width ideographic comma
    case 0xFF65:  // half-width katakana middle dot
      return Gap::kJoin;
    default:
      break;
  }
  // Typographic spaces, zero-width characters, hyphens and dashes.
  if (cp >= 0x2000 && cp <= 0x200D) return Gap::kJoin;
  if (cp >= 0x2010 && cp <= 0x2015) return Gap::kJoin;
  return Gap::kNone;
}

// How a digit relates to the digit before it.
enum class Link : unsigned char {
  kGlued,      // directly after it: the same group
  kSeparated,  // after separators only: a new group of the same chain
  kBroken,     // anything else (or no digit before): a new chain
};

// One digit of the text, in whatever form it was written.
struct Unit {
  std::size_t offset = 0;  // of its first byte in the text
  std::size_t length = 1;  // bytes
  char digit = '0';        // its value as an ASCII digit
  Link link = Link::kBroken;
  bool after_plus = false;  // starts a chain right after a '+'
  bool phone = false;       // in a chain that is a whole international phone number
};

// Marks the chains that are international phone numbers: at most 15 digits
// right after a '+', or 00 and at most 15 digits more.
void MarkPhoneNumbers(std::vector<Unit>& units) {
  std::size_t start = 0;
  while (start < units.size()) {
    std::size_t end = start + 1;
    while (end < units.size() && units[end].link != Link::kBroken) ++end;
    const std::size_t length = end - start;
    const bool plus = units[start].after_plus && length <= kMaxPhoneDigits;
    const bool double_zero = length >= 2 && units[start].digit == '0' &&
                             units[start + 1].digit == '0' && length <= kMaxPhoneDigits + 2;
    if (plus || double_zero) {
      for (std::size_t i = start; i < end; ++i) units[i].phone = true;
    }
    start = end;
  }
}

std::vector<Unit> ReadDigits(std::string_view text) {
  std::vector<Unit> units;
  bool separated = false;  // something stands between the last digit and here
  bool broken = true;      // ... and it ends the chain
  int line_breaks = 0;
  char32_t previous = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const CodePoint cp = DecodeAt(text, pos);
    const char digit = cp.valid ? DigitOf(cp.value) : 0;
    if (digit != 0) {
      Unit unit;
      unit.offset = pos;
      unit.length = cp.length;
      unit.digit = digit;
      unit.link = broken ? Link::kBroken : separated ? Link::kSeparated : Link::kGlued;
      unit.after_plus = unit.link == Link::kBroken && pos > 0 && text[pos - 1] == '+';
      units.push_back(unit);
      separated = false;
      broken = false;
      line_breaks = 0;
    } else {
      separated = true;
      const Gap gap = cp.valid ? GapKind(cp.value) : Gap::kNone;
      if (gap == Gap::kNone) {
        broken = true;
      } else if (gap == Gap::kLineBreak && !(cp.value == U'\n' && previous == U'\r')) {
        if (++line_breaks > 1) broken = true;
      }
    }
    previous = cp.valid ? cp.value : 0;
    pos += cp.length;
  }
  MarkPhoneNumbers(units);
  return units;
}

struct Window {
  std::size_t start;
  std::size_t length;
  bool operator<(const Window& other) const {
    return std::pair(start, length) < std::pair(other.start, other.length);
  }
  bool operator==(const Window& other) const {
    return start == other.start && length == other.length;
  }
};

// Finds card numbers among the digits of one text and hides their middle
// digits. A hidden digit ends a chain (it will be written as '*'), so hiding
// can turn a visible digit into the start or end of a group; only windows
// touching such a digit need looking at again.
class Masker {
 public:
  explicit Masker(std::vector<Unit> units)
      : units_(std::move(units)), hidden_(units_.size(), false) {}

  // Card numbers among the digits as they stand.
  std::vector<Window> FindAll() const {
    std::vector<Window> found;
    for (std::size_t start = 0; start < units_.size(); ++start) FindFrom(start, found);
    return found;
  }

  // Masks until no visible window is a card number; returns how many were
  // masked.
  int MaskAll() {
    int count = 0;
    std::vector<Window> found = FindAll();
    std::vector<std::size_t> newly_hidden;
    while (!found.empty()) {
      std::sort(found.begin(), found.end());
      found.erase(std::unique(found.begin(), found.end()), found.end());
      newly_hidden.clear();
      for (const Window& window : found) {
        ++count;
        for (std::size_t i = window.start + kKeepFirst;
             i < window.start + window.length - kKeepLast; ++i) {
          if (!hidden_[i]) {
            hidden_[i] = true;
            newly_hidden.push_back(i);
          }
        }
      }
      found = FindNear(newly_hidden);
    }
    return count;
  }

  const std::vector<Unit>& units() const { return units_; }
  bool hidden(std::size_t i) const { return hidden_[i]; }

 private:
  bool IsStart(std::size_t i) const {
    return units_[i].link != Link::kGlued || (i > 0 && hidden_[i - 1]);
  }
  bool IsEnd(std::size_t i) const {
    return i + 1 == units_.size() || units_[i + 1].link != Link::kGlued || hidden_[i + 1];
  }

  // Appends the card numbers that start at unit `start`.
  void FindFrom(std::size_t start, std::vector<Window>& found) const {
    if (hidden_[start] || !IsStart(start)) return;
    char digits[kMaxCardDigits];
    std::size_t length = 0;
    for (std::size_t i = start; i < units_.size() && length < kMaxCardDigits; ++i) {
      if (i > start && (units_[i].link == Link::kBroken || hidden_[i])) break;
      digits[length++] = units_[i].digit;
      if (length < kMinCardDigits || !IsEnd(i)) continue;
      // An international phone number, alone or at the start of a chain.
      if (units_[start].phone) continue;
      if (units_[start].after_plus && length <= kMaxPhoneDigits) continue;
      if (IsCardNumber(std::string_view(digits, length))) found.push_back({start, length});
    }
  }

  // Card numbers that hiding `newly_hidden` made possible: those starting
  // right after a newly hidden digit or ending right before one.
  std::vector<Window> FindNear(const std::vector<std::size_t>& newly_hidden) const {
    std::vector<std::size_t> starts;
    for (const std::size_t h : newly_hidden) {
      if (h + 1 < units_.size()) starts.push_back(h + 1);
      for (std::size_t length = kMinCardDigits; length <= kMaxCardDigits && length <= h; ++length) {
        starts.push_back(h - length);
      }
    }
    std::sort(starts.begin(), starts.end());
    starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
    std::vector<Window> found;
    for (const std::size_t start : starts) FindFrom(start, found);
    return found;
  }

  std::vector<Unit> units_;
  std::vector<bool> hidden_;
};

}  // namespace

bool PassesLuhn(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool double_it = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (!IsAsciiDigit(*it)) return false;
    int value = *it - '0';
    if (double_it) {
      value *= 2;
      if (value > 9) value -= 9;
    }
    sum += value;
    double_it = !double_it;
  }
  return sum % 10 == 0;
}

bool IsEan13(std::string_view digits) {
  if (digits.size() != 13 || !AllAsciiDigits(digits)) return false;
  int sum = 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    sum += (digits[i] - '0') * (i % 2 == 0 ? 1 : 3);
  }
  return sum % 10 == 0;
}

std::string_view CardBrand(std::string_view digits) {
  if (digits.size() > kMaxCardDigits || !AllAsciiDigits(digits)) return {};
  for (const BrandRange& brand : kBrands) {
    if ((brand.lengths & Length(digits.size())) == 0) continue;
    const auto prefix_digits = static_cast<std::size_t>(brand.prefix_digits);
    if (digits.size() < prefix_digits) continue;
    int prefix = 0;
    for (std::size_t i = 0; i < prefix_digits; ++i) prefix = prefix * 10 + (digits[i] - '0');
    if (prefix >= brand.low && prefix <= brand.high) return brand.name;
  }
  return {};
}

bool IsCardNumber(std::string_view digits) {
  if (digits.size() < kMinCardDigits || digits.size() > kMaxCardDigits) return false;
  if (CardBrand(digits).empty() || !PassesLuhn(digits)) return false;
  // A 13-digit number that is both Luhn-valid and a valid EAN-13 is taken
  // for a product barcode: 13-digit card numbers are no longer issued,
  // while every tenth EAN-13 passes the Luhn check by chance.
  return !(digits.size() == 13 && IsEan13(digits));
}

bool ContainsCardNumber(std::string_view text) {
  return !Masker(ReadDigits(text)).FindAll().empty();
}

std::string MaskCardNumbers(std::string_view text, int* masked_count) {
  Masker masker(ReadDigits(text));
  const int count = masker.MaskAll();
  if (masked_count != nullptr) *masked_count = count;
  if (count == 0) return std::string(text);
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;
  const std::vector<Unit>& units = masker.units();
  for (std::size_t i = 0; i < units.size(); ++i) {
    if (!masker.hidden(i)) continue;
    out.append(text.substr(copied, units[i].offset - copied));
    out.push_back('*');
    copied = units[i].offset + units[i].length;
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace tillbridge
