// The card-number rule (common/card_numbers.h): examples first, then
// property tests that generate card numbers of every brand in many written
// forms (all masked) and ordinary numbers of a receipt (never touched).
#include "common/card_numbers.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "common/text.h"

namespace tillbridge {
namespace {

// ---------------------------------------------------------------------------
// Examples

TEST_CASE("Luhn and EAN-13 checks") {
  CHECK(PassesLuhn("4111111111111111"));
  CHECK(PassesLuhn("378282246310005"));
  CHECK(PassesLuhn("6011111111111117"));
  CHECK_FALSE(PassesLuhn("4111111111111112"));
  CHECK_FALSE(PassesLuhn(""));
  CHECK_FALSE(PassesLuhn("41111x1111111111"));
  CHECK(IsEan13("4006381333931"));
  CHECK(IsEan13("5901234123457"));
  CHECK_FALSE(IsEan13("4006381333932"));
  CHECK_FALSE(IsEan13("012345678905"));  // UPC-A: 12 digits
}

TEST_CASE("card brands by issuer prefix and length") {
  CHECK(CardBrand("4111111111111111") == "Visa");
  CHECK(CardBrand("4222222222222") == "Visa");
  CHECK(CardBrand("4111111111111111110") == "Visa");
  CHECK(CardBrand("41111111111111") == "");  // Visa issues no 14-digit numbers
  CHECK(CardBrand("5555555555554444") == "Mastercard");
  CHECK(CardBrand("2221000000000009") == "Mastercard");
  CHECK(CardBrand("2720990000000007") == "Mastercard");
  CHECK(CardBrand("2721000000000000") == "");
  CHECK(CardBrand("378282246310005") == "American Express");
  CHECK(CardBrand("3782822463100050") == "");  // Amex is 15 digits only
  CHECK(CardBrand("6011111111111117") == "Discover");
  CHECK(CardBrand("3530111333300000") == "JCB");
  CHECK(CardBrand("36227206271667") == "Diners Club");
  CHECK(CardBrand("6200000000000005") == "UnionPay");
  CHECK(CardBrand("6304000000000000018") == "Maestro");
  CHECK(CardBrand("2200000000000053") == "Mir");
  CHECK(CardBrand("8171999927660000") == "RuPay");
  CHECK(CardBrand("9792000000000000") == "Troy");
  // Not a brand's prefix: 0 (never a card), 1 (airlines), 7 (petroleum), 9.
  CHECK(CardBrand("0411111111111111") == "");
  CHECK(CardBrand("1411111111111111") == "");
  CHECK(CardBrand("7411111111111111") == "");
  CHECK(CardBrand("9411111111111111") == "");
}

TEST_CASE("the test card numbers of every major brand are masked to BIN and last four") {
  int count = 0;
  CHECK(MaskCardNumbers("VISA 4111111111111111 ok", &count) == "VISA 411111******1111 ok");
  CHECK(count == 1);
  CHECK(MaskCardNumbers("5555555555554444") == "555555******4444");
  CHECK(MaskCardNumbers("378282246310005") == "378282*****0005");
  CHECK(MaskCardNumbers("6011111111111117") == "601111******1117");
  CHECK(MaskCardNumbers("3530111333300000") == "353011******0000");
  CHECK(MaskCardNumbers("4222222222222") == "422222***2222");
  CHECK(MaskCardNumbers("6304000000000000018") == "630400*********0018");
}

TEST_CASE("separators and line breaks keep their places") {
  CHECK(MaskCardNumbers("4111 1111 1111 1111") == "4111 11** **** 1111");
  CHECK(MaskCardNumbers("4111  1111  1111  1111") == "4111  11**  ****  1111");
  CHECK(MaskCardNumbers("4111.1111.1111.1111") == "4111.11**.****.1111");
  CHECK(MaskCardNumbers("4111/1111/1111/1111") == "4111/11**/****/1111");
  CHECK(MaskCardNumbers("4111_1111_1111_1111") == "4111_11**_****_1111");
  CHECK(MaskCardNumbers("4111-1111-1111-1111") == "4111-11**-****-1111");
  CHECK(MaskCardNumbers("4111 - 1111 - 1111 - 1111") == "4111 - 11** - **** - 1111");
  CHECK(MaskCardNumbers("4111__..//1111 1111\t1111") == "4111__..//11** ****\t1111");
  CHECK(MaskCardNumbers("3782 822463 10005") == "3782 82**** *0005");
  // A number wrapped at the end of a printed line.
  CHECK(MaskCardNumbers("Pagado con tarjeta num. 4111 1111 1111\n1111 caduca 12/27") ==
        "Pagado con tarjeta num. 4111 11** ****\n1111 caduca 12/27");
  CHECK(MaskCardNumbers("num. 4111 1111 11\r\n11 1111 ok") == "num. 4111 11** **\r\n** 1111 ok");
  CHECK(MaskCardNumbers("4111\n1111\n1111\n1111") == "4111\n11**\n****\n1111");
}

TEST_CASE("full-width and other scripts' digits are digits") {
  // U+FF14 U+FF11 ... : "４１１１１１１１１１１１１１１１"
  std::string wide;
  for (char c : std::string("4111111111111111")) AppendUtf8(0xFF10 + (c - '0'), wide);
  int count = 0;
  const std::string masked = MaskCardNumbers(wide, &count);
  CHECK(count == 1);
  std::string expected;
  for (char c : std::string("411111")) AppendUtf8(0xFF10 + (c - '0'), expected);
  expected += "******";
  for (char c : std::string("1111")) AppendUtf8(0xFF10 + (c - '0'), expected);
  CHECK(masked == expected);
  // Full-width separators, mixed with ASCII digits.
  CHECK(MaskCardNumbers("4111\xEF\xBC\x8D"
                        "1111\xE3\x80\x80"
                        "1111\xEF\xBC\x8E"
                        "1111") ==
        "4111\xEF\xBC\x8D"
        "11**\xE3\x80\x80****\xEF\xBC\x8E"
        "1111");
  // Arabic-Indic digits.
  std::string arabic;
  for (char c : std::string("5555555555554444")) AppendUtf8(0x0660 + (c - '0'), arabic);
  CHECK(ContainsCardNumber(arabic));
  // Invisible characters between the digits.
  CHECK(MaskCardNumbers("4111\xE2\x80\x8B"
                        "1111\xE2\x80\x8B"
                        "1111\xE2\x80\x8B"
                        "1111") ==
        "4111\xE2\x80\x8B"
        "11**\xE2\x80\x8B****\xE2\x80\x8B"
        "1111");
}

TEST_CASE("a card number beside other digits is still found") {
  CHECK(MaskCardNumbers("2 4111 1111 1111 1111") == "2 4111 11** **** 1111");
  CHECK(MaskCardNumbers("4111-1111-1111-1111-78") == "4111-11**-****-1111-78");
  CHECK(MaskCardNumbers("Total 12.99 4111 1111 1111 1111 12/27") ==
        "Total 12.99 4111 11** **** 1111 12/27");
  // Right after letters.
  CHECK(MaskCardNumbers("VISA4111111111111111") == "VISA411111******1111");
}

TEST_CASE("a card number glued to a masked number before it is masked too") {
  // "2 5500-0000-0000" + "4111" is one 17-digit number that passes Luhn
  // (a Mastercard 2-series prefix); masking it leaves "4111 1111 1111 1111"
  // starting a group of its own.
  int count = 0;
  const std::string masked = MaskCardNumbers("2 5500-0000-00004111 1111 1111 1111", &count);
  CHECK(masked == "2 5500-0***-****4111 11** **** 1111");
  CHECK(count == 2);
  int again = -1;
  CHECK(MaskCardNumbers(masked, &again) == masked);
  CHECK(again == 0);
}

TEST_CASE("digits that form no card number stay") {
  int count = 1;
  CHECK(MaskCardNumbers("Receipt 100101 TOTAL 16.71 Tel 555-0100", &count) ==
        "Receipt 100101 TOTAL 16.71 Tel 555-0100");
  CHECK(count == 0);
  for (const char* text : {
           "4111111111111112",                 // fails Luhn
           "000000000000",                     // 12 digits
           "0411111111111111",                 // 0 is no card prefix
           "99994111111111111111",             // one 20-digit number
           "04111111111111111",                // glued: one 17-digit number
           "4006381333931",                    // EAN-13 (and Luhn-valid)
           "EAN 4006381333931 Coffee 250g",    //
           "0 12345 67890 5",                  // UPC-A
           "+4915123456789",                   // E.164, 13 digits
           "+49 151 23456789",                 //
           "+1 415 555 0134",                  //
           "0049 151 23456789",                // international prefix
           "00 49 151 23456789",               //
           "+12 345 6789 0123 45",             // 15 digits after '+'
           "(0151) 2345 6789",                 //
           "2026-11-29 14:32:10",              //
           "29.11.2026 14:32",                 //
           "2026-11-29T14:32:10.123Z",         //
           "4111\n\n1111 1111 1111",           // two line breaks end a chain
           "4111:1111:1111:1111",              // ':' is no separator (times)
           "Coffee 2 4.50 9.00\nTOTAL 16.71",  //
           "lane3-20261129-0017",              //
           "12,345,678.90 EUR",                //
       }) {
    CAPTURE(text);
    CHECK(MaskCardNumbers(text) == text);
    CHECK_FALSE(ContainsCardNumber(text));
  }
}

TEST_CASE("an E.164 phone number is exempt only up to 15 digits") {
  CHECK(MaskCardNumbers("+4111111111111111") == "+411111******1111");
  CHECK(MaskCardNumbers("+1 415 555 0134 4111 1111 1111 1111") ==
        "+1 415 555 0134 4111 11** **** 1111");
}

TEST_CASE("masking is idempotent and survives bytes that are no UTF-8") {
  const std::string broken = "\xFF\xFE 4111 1111 1111 1111 \xC3";
  const std::string masked = MaskCardNumbers(broken);
  CHECK(masked == "\xFF\xFE 4111 11** **** 1111 \xC3");
  CHECK(MaskCardNumbers(masked) == masked);
  // Bytes that are no UTF-8 end a chain like a letter.
  CHECK(MaskCardNumbers("4111\xFF"
                        "111111111111") ==
        "4111\xFF"
        "111111111111");
  CHECK(MaskCardNumbers("") == "");
}

TEST_CASE("a long text is masked in linear time") {
  // Digits separated by single spaces: every digit starts and ends a group,
  // the worst case for the number of windows.
  std::mt19937_64 rng(7);
  std::string text;
  while (text.size() < 1024 * 1024) {
    text.push_back(static_cast<char>('0' + rng() % 10));
    text.push_back(' ');
  }
  const auto start = std::chrono::steady_clock::now();
  int count = 0;
  const std::string masked = MaskCardNumbers(text, &count);
  const auto took = std::chrono::steady_clock::now() - start;
  MESSAGE("1 MiB of single digits: ", count, " card numbers masked in ",
          std::chrono::duration_cast<std::chrono::milliseconds>(took).count(), " ms");
  CHECK(count > 0);
  CHECK_FALSE(ContainsCardNumber(masked));
  CHECK(took < std::chrono::seconds(20));
}

// ---------------------------------------------------------------------------
// Property tests

// How many cases each property tries; TILLBRIDGE_PROPERTY_ITERATIONS
// overrides, TILLBRIDGE_PROPERTY_SEED repeats a run.
int Iterations(int fallback) {
  const char* text = std::getenv("TILLBRIDGE_PROPERTY_ITERATIONS");
  return text != nullptr ? std::atoi(text) : fallback;
}

std::uint64_t Seed() {
  static const std::uint64_t seed = [] {
    const char* text = std::getenv("TILLBRIDGE_PROPERTY_SEED");
    return text != nullptr ? std::strtoull(text, nullptr, 10) : std::random_device{}();
  }();
  return seed;
}

using Rng = std::mt19937_64;

std::size_t Pick(Rng& rng, std::size_t n) { return static_cast<std::size_t>(rng() % n); }
bool Chance(Rng& rng, int percent) { return static_cast<int>(rng() % 100) < percent; }

char RandomDigit(Rng& rng) { return static_cast<char>('0' + Pick(rng, 10)); }

// This test's own copy of the brands (independent of the table under test).
struct TestBrand {
  const char* name;
  std::vector<std::string> prefixes;
  std::vector<int> lengths;
};

const std::vector<TestBrand>& Brands() {
  static const std::vector<TestBrand> brands = {
      {"Visa", {"4", "4026", "4571"}, {13, 16, 19}},
      {"Mastercard", {"51", "53", "55", "2221", "2500", "2720"}, {16}},
      {"American Express", {"34", "37"}, {15}},
      {"Discover", {"6011", "644", "649", "65"}, {16, 19}},
      {"Diners Club", {"36", "38", "300", "305", "3095"}, {14, 16}},
      {"JCB", {"3528", "3560", "3589"}, {16, 19}},
      {"UnionPay", {"62", "622126"}, {16, 17, 18, 19}},
      {"Maestro", {"50", "56", "58", "6304", "6759", "676770"}, {13, 15, 16, 19}},
      {"Mir", {"2200", "2204"}, {16}},
      {"RuPay", {"60", "81", "82", "508"}, {16}},
      {"Troy", {"9792"}, {16}},
      {"Napas", {"9704"}, {16, 19}},
      {"UzCard", {"8600"}, {16}},
      {"Humo", {"9860"}, {16}},
      {"China T-Union", {"31"}, {19}},
      {"BORICA", {"2205"}, {16}},
      {"Elo", {"4011", "5067", "6277"}, {16}},
  };
  return brands;
}

char LuhnCheckDigit(const std::string& body) {
  int sum = 0;
  bool double_it = true;  // the check digit will stand to the right
  for (auto it = body.rbegin(); it != body.rend(); ++it) {
    int value = *it - '0';
    if (double_it) value = value * 2 > 9 ? value * 2 - 9 : value * 2;
    sum += value;
    double_it = !double_it;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

char Gs1CheckDigit(const std::string& body) {  // for 12 (EAN-13) or 11 (UPC-A) digits
  int sum = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    // Weights count from the right: 3 for the digit next to the check digit.
    const std::size_t from_right = body.size() - i;
    sum += (body[i] - '0') * (from_right % 2 == 1 ? 3 : 1);
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

std::string RandomPan(Rng& rng, const TestBrand& brand) {
  for (;;) {
    const int length = brand.lengths[Pick(rng, brand.lengths.size())];
    std::string pan = brand.prefixes[Pick(rng, brand.prefixes.size())];
    while (static_cast<int>(pan.size()) < length - 1) pan.push_back(RandomDigit(rng));
    pan.push_back(LuhnCheckDigit(pan));
    // A 13-digit number that is also a valid EAN-13 is a barcode by the rule.
    if (pan.size() == 13 && Gs1CheckDigit(pan.substr(0, 12)) == pan[12]) continue;
    return pan;
  }
}

// Zeros of digit scripts to write numbers in.
constexpr char32_t kZeros[] = {U'0', 0xFF10, 0x0660, 0x06F0, 0x0966, 0x1D7CE};

std::string Digit(char digit, char32_t zero) {
  std::string out;
  AppendUtf8(zero + static_cast<char32_t>(digit - '0'), out);
  return out;
}

// Separators a cashier, a POS or a copy-paste put between digit groups.
const std::vector<std::string>& SeparatorPool() {
  static const std::vector<std::string> pool = {" ",
                                                "  ",
                                                ".",
                                                "-",
                                                "/",
                                                "_",
                                                ",",
                                                "\t",
                                                "\xC2\xA0" /* NBSP */,
                                                "\xE3\x80\x80" /* ideographic space */,
                                                "\xE2\x80\x93" /* en dash */,
                                                "\xE2\x80\x8B" /* zero width space */,
                                                "\xEF\xBC\x8D" /* full-width - */,
                                                "\xEF\xBC\x8E" /* full-width . */,
                                                "\xEF\xBC\x8F" /* full-width / */,
                                                "\xEF\xBC\xBF" /* full-width _ */,
                                                "\\"};
  return pool;
}
const std::vector<std::string>& LineBreaks() {
  static const std::vector<std::string> breaks = {"\n", "\r\n", "\xE2\x80\xA8"};
  return breaks;
}

// A run of one to four separators, with a line break somewhere in it now and
// then (at most one: a blank line ends a number).
std::string SeparatorRun(Rng& rng) {
  std::vector<std::string> parts;
  const std::size_t n = 1 + Pick(rng, 4);
  for (std::size_t i = 0; i < n; ++i)
    parts.push_back(SeparatorPool()[Pick(rng, SeparatorPool().size())]);
  if (Chance(rng, 20)) {
    parts.insert(parts.begin() + static_cast<long>(Pick(rng, parts.size() + 1)),
                 LineBreaks()[Pick(rng, LineBreaks().size())]);
  }
  std::string run;
  for (const auto& part : parts) run += part;
  return run;
}

// `pan` written one of the ways it turns up: in one piece, in groups of
// four, split anywhere, wrapped over two lines; in ASCII, full-width or
// another script's digits, or a mix.
std::string Written(Rng& rng, const std::string& pan) {
  const std::size_t style = Pick(rng, 4);
  const std::size_t script = Pick(rng, 4);
  const char32_t zero = kZeros[Pick(rng, std::size(kZeros))];
  const std::size_t wrap_at = 1 + Pick(rng, pan.size() - 1);
  std::string out;
  for (std::size_t i = 0; i < pan.size(); ++i) {
    if (i > 0) {
      bool gap = false;
      switch (style) {
        case 0:
          break;
        case 1:
          gap = i % 4 == 0;
          break;
        case 2:
          gap = Chance(rng, 30);
          break;
        default:
          if (i == wrap_at) {
            out += std::string(Pick(rng, 3), ' ') + LineBreaks()[Pick(rng, LineBreaks().size())] +
                   std::string(Pick(rng, 3), ' ');
          } else {
            gap = i % 4 == 0;
          }
          break;
      }
      if (gap) out += SeparatorRun(rng);
    }
    const char32_t digit_zero = script == 0   ? U'0'
                                : script == 1 ? 0xFF10
                                : script == 2 ? zero
                                              : kZeros[Pick(rng, std::size(kZeros))];
    out += Digit(pan[i], digit_zero);
  }
  return out;
}

// The digits of `text` in ASCII with every separator and line break taken
// out, other characters kept: a card number written any way shows up as
// its plain digits.
std::string Normalized(const std::string& text) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    bool matched = false;
    for (const auto* list : {&SeparatorPool(), &LineBreaks()}) {
      for (const auto& separator : *list) {
        if (text.compare(pos, separator.size(), separator) == 0) {
          pos += separator.size();
          matched = true;
          break;
        }
      }
      if (matched) break;
    }
    if (matched) continue;
    for (const char32_t zero : kZeros) {
      for (char d = '0'; d <= '9' && !matched; ++d) {
        const std::string form = Digit(d, zero);
        if (text.compare(pos, form.size(), form) == 0) {
          out.push_back(d);
          pos += form.size();
          matched = true;
        }
      }
      if (matched) break;
    }
    if (!matched) out.push_back(text[pos++]);
  }
  return out;
}

const std::vector<std::string>& Before() {
  static const std::vector<std::string> before = {
      "",      "Paid with ", "VISA ", "Card: ",       "num. ", "Tarjeta ",
      "ref #", "2 ",         "x\n",   "Total 12.99 ", "(",     "CC#"};
  return before;
}
const std::vector<std::string>& After() {
  static const std::vector<std::string> after = {"",       " caduca 12/27", " thanks",   ")",
                                                 " 12/27", "\nTOTAL 16.71", " exp 1227", ";"};
  return after;
}

TEST_CASE("property: a card number of any brand, written any way, is always masked") {
  Rng rng(Seed());
  const int per_brand = Iterations(5000);
  MESSAGE("seed ", Seed(), ", ", per_brand, " card numbers per brand, ", Brands().size(),
          " brands");
  for (const TestBrand& brand : Brands()) {
    for (int i = 0; i < per_brand; ++i) {
      const std::string pan = RandomPan(rng, brand);
      const std::string before = Before()[Pick(rng, Before().size())];
      const std::string after = After()[Pick(rng, After().size())];
      const std::string text = before + Written(rng, pan) + after;
      int count = 0;
      const std::string masked = MaskCardNumbers(text, &count);
      CAPTURE(brand.name);
      CAPTURE(pan);
      CAPTURE(text);
      CAPTURE(masked);
      REQUIRE(count >= 1);
      REQUIRE(Normalized(masked).find(pan) == std::string::npos);
      REQUIRE(static_cast<std::size_t>(std::count(masked.begin(), masked.end(), '*')) >=
              pan.size() - 10);
      REQUIRE_FALSE(ContainsCardNumber(masked));
      REQUIRE(MaskCardNumbers(masked) == masked);
      // Only digits change, one '*' for each hidden digit; the words
      // around stay.
      REQUIRE(masked.compare(0, before.size(), before) == 0);
      REQUIRE(masked.compare(masked.size() - after.size(), after.size(), after) == 0);
    }
  }
}

// Ordinary numbers of a receipt, each drawn at random.
std::string Amount(Rng& rng, std::uint64_t below_minor) {
  const std::uint64_t minor = rng() % below_minor;
  const std::string units = std::to_string(minor / 100);
  char cents[8];
  std::snprintf(cents, sizeof(cents), "%02d", static_cast<int>(minor % 100));
  const bool european = Chance(rng, 40);
  std::string grouped;
  if (Chance(rng, 50)) {
    for (std::size_t i = 0; i < units.size(); ++i) {
      if (i > 0 && (units.size() - i) % 3 == 0) grouped.push_back(european ? '.' : ',');
      grouped.push_back(units[i]);
    }
  } else {
    grouped = units;
  }
  std::string amount = grouped + (european ? "," : ".") + cents;
  switch (Pick(rng, 5)) {
    case 0:
      return "$" + amount;
    case 1:
      return "-" + amount;
    case 2:
      return amount + " €";
    case 3:
      return "EUR " + amount;
    default:
      return amount;
  }
}

std::string TwoDigits(int value) {
  char text[8];
  std::snprintf(text, sizeof(text), "%02d", value % 100);
  return text;
}

std::string Date(Rng& rng) {
  const std::string year = std::to_string(1990 + Pick(rng, 80));
  const std::string month = TwoDigits(1 + static_cast<int>(Pick(rng, 12)));
  const std::string day = TwoDigits(1 + static_cast<int>(Pick(rng, 31)));
  switch (Pick(rng, 7)) {
    case 0:
      return year + "-" + month + "-" + day;
    case 1:
      return day + "." + month + "." + year;
    case 2:
      return month + "/" + day + "/" + year;
    case 3:
      return day + "/" + month + "/" + year.substr(2);
    case 4:
      return year + month + day;
    case 5:
      return year + "/" + month + "/" + day;
    default:
      return day + "-" + month + "-" + year;
  }
}

std::string Time(Rng& rng) {
  const std::string hour = TwoDigits(static_cast<int>(Pick(rng, 24)));
  const std::string minute = TwoDigits(static_cast<int>(Pick(rng, 60)));
  const std::string second = TwoDigits(static_cast<int>(Pick(rng, 60)));
  switch (Pick(rng, 4)) {
    case 0:
      return hour + ":" + minute;
    case 1:
      return hour + ":" + minute + ":" + second;
    case 2:
      return std::to_string(1 + Pick(rng, 12)) + ":" + minute + (Chance(rng, 50) ? " AM" : " PM");
    default:
      return hour + ":" + minute + ":" + second + "." + std::to_string(100 + Pick(rng, 900));
  }
}

std::string DateTime(Rng& rng) {
  const std::string date = Date(rng);
  return Chance(rng, 50) ? date + " " + Time(rng) : date + "T" + Time(rng) + "Z";
}

std::string RandomDigits(Rng& rng, std::size_t n) {
  std::string digits;
  for (std::size_t i = 0; i < n; ++i) digits.push_back(RandomDigit(rng));
  return digits;
}

// A phone number as E.164 ('+', 8-15 digits, with or without spaces) or in
// a national format (trunk 0, North American, 00 international prefix).
std::string Phone(Rng& rng) {
  switch (Pick(rng, 6)) {
    case 0:
      return "+" + std::to_string(1 + Pick(rng, 9)) + RandomDigits(rng, 7 + Pick(rng, 8));
    case 1: {
      const std::string digits =
          std::to_string(1 + Pick(rng, 9)) + RandomDigits(rng, 7 + Pick(rng, 8));
      std::string spaced = "+";
      for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (i == 2 || i % 4 == 1)) spaced.push_back(' ');
        spaced.push_back(digits[i]);
      }
      return spaced;
    }
    case 2: {
      const std::string area = std::to_string(200 + Pick(rng, 800));
      const std::string exchange = std::to_string(200 + Pick(rng, 800));
      const std::string line = RandomDigits(rng, 4);
      switch (Pick(rng, 4)) {
        case 0:
          return "(" + area + ") " + exchange + "-" + line;
        case 1:
          return area + "-" + exchange + "-" + line;
        case 2:
          return area + "." + exchange + "." + line;
        default:
          return "1 " + area + " " + exchange + " " + line;
      }
    }
    case 3:
      return "0" + RandomDigits(rng, 3) + " " + RandomDigits(rng, 4 + Pick(rng, 5));
    case 4:
      return "0" + RandomDigits(rng, 1) + " " + RandomDigits(rng, 2) + " " + RandomDigits(rng, 2) +
             " " + RandomDigits(rng, 2) + " " + RandomDigits(rng, 2);
    default:
      return "00 " + std::to_string(1 + Pick(rng, 99)) + " " + RandomDigits(rng, 3) + " " +
             RandomDigits(rng, 4 + Pick(rng, 5));
  }
}

std::string Ean13(Rng& rng) {
  const std::string body = std::to_string(1 + Pick(rng, 9)) + RandomDigits(rng, 11);
  return body + Gs1CheckDigit(body);
}

std::string UpcA(Rng& rng) {
  const std::string body = RandomDigits(rng, 11);
  const std::string upc = body + Gs1CheckDigit(body);
  if (Chance(rng, 30)) {
    return upc.substr(0, 1) + " " + upc.substr(1, 5) + " " + upc.substr(6, 5) + " " +
           upc.substr(11);
  }
  return upc;
}

std::string ReceiptNumber(Rng& rng) {
  switch (Pick(rng, 4)) {
    case 0:
      return std::to_string(1 + Pick(rng, 999'999'999));
    case 1:
      return "0" + RandomDigits(rng, Pick(rng, 20));  // zero-padded, up to 20 digits
    case 2:
      return "R-" + std::to_string(2000 + Pick(rng, 100)) + "-" + RandomDigits(rng, 6);
    default:
      return RandomDigits(rng, 4) + "-" + RandomDigits(rng, 4);
  }
}

// Any amount up to 100 million.
std::string Amount(Rng& rng) { return Amount(rng, 10'000'000'000ULL); }

struct Ordinary {
  const char* name;
  std::string (*make)(Rng&);
  const char* label;  // written before it in a sentence
};

TEST_CASE("property: amounts, dates, times, phones, barcodes and receipt numbers never change") {
  const std::vector<Ordinary> kinds = {
      {"amount", Amount, "TOTAL "},
      {"date", Date, "Date: "},
      {"time", Time, "at "},
      {"date and time", DateTime, "Printed "},
      {"phone", Phone, "Customer phone: "},
      {"EAN-13", Ean13, "EAN "},
      {"UPC-A", UpcA, "UPC "},
      {"receipt number", ReceiptNumber, "Receipt: "},
  };
  Rng rng(Seed() + 1);
  const int per_kind = Iterations(20000);
  MESSAGE("seed ", Seed() + 1, ", ", per_kind, " values per kind, ", kinds.size(), " kinds");
  int luhn_valid_eans = 0;
  for (const Ordinary& kind : kinds) {
    for (int i = 0; i < per_kind; ++i) {
      const std::string value = kind.make(rng);
      if (std::string(kind.name) == "EAN-13" && PassesLuhn(value)) ++luhn_valid_eans;
      for (const std::string& text : {value, kind.label + value + " ok\n"}) {
        CAPTURE(kind.name);
        CAPTURE(text);
        REQUIRE(MaskCardNumbers(text) == text);
      }
    }
  }
  // About one EAN-13 in ten also passes the Luhn check; those are the ones
  // the EAN rule keeps.
  MESSAGE(luhn_valid_eans, " of the EAN-13 codes passed the Luhn check too");
  CHECK(luhn_valid_eans > per_kind / 20);
}

TEST_CASE("property: a receipt without a card number is left exactly as printed") {
  Rng rng(Seed() + 2);
  const int receipts = Iterations(20000) / 4;
  for (int i = 0; i < receipts; ++i) {
    std::string text = "CORNER MARKET\n12 Main Street\nTel " + Phone(rng) + "\n";
    text += "Receipt: " + ReceiptNumber(rng) + "\n";
    text += "Date: " + DateTime(rng) + "\n";
    const std::size_t lines = 1 + Pick(rng, 6);
    for (std::size_t line = 0; line < lines; ++line) {
      // A unit price under 1,000 and a line amount under 10,000: two
      // amounts with only spaces between them add up to 11 digits at most.
      text += std::to_string(1 + Pick(rng, 9)) + " x Item " + Ean13(rng) + " @" +
              Amount(rng, 100'000) + "   " + Amount(rng, 1'000'000) + "\n";
    }
    text += "Subtotal " + Amount(rng) + "\nSales tax 8.25% " + Amount(rng) + "\nTOTAL " +
            Amount(rng) + "\nCard payment " + Amount(rng) + "\nCustomer phone: " + Phone(rng) +
            "\nThank you\n";
    CAPTURE(text);
    REQUIRE(MaskCardNumbers(text) == text);
  }
}

}  // namespace
}  // namespace tillbridge
