// Fuzz target for the card-number rule (common/card_numbers.h) and the
// store's JSON masking (store/card_guard.h). Besides "no crash" it checks:
//  - the masked text holds no card number, judged by a second, naive
//    implementation of the rule written here (on the input with its
//    non-ASCII bytes replaced, where the two must agree exactly);
//  - nothing is masked that the naive rule does not call a card number;
//  - only digits change, each into one '*';
//  - masking is idempotent, and ContainsCardNumber agrees with it;
//  - full-width digits and separators are masked exactly like ASCII ones.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/card_numbers.h"
#include "common/text.h"
#include "store/card_guard.h"

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

// --- The rule, naively, for ASCII text -------------------------------------

bool NaiveLuhn(const std::string& digits) {
  int sum = 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    int value = digits[digits.size() - 1 - i] - '0';
    if (i % 2 == 1) value = value * 2 > 9 ? value * 2 - 9 : value * 2;
    sum += value;
  }
  return sum % 10 == 0;
}

bool NaiveEan13(const std::string& digits) {
  if (digits.size() != 13) return false;
  int sum = 0;
  for (std::size_t i = 0; i < 13; ++i) sum += (digits[i] - '0') * (i % 2 == 0 ? 1 : 3);
  return sum % 10 == 0;
}

// Issuer prefixes and lengths, restated from docs/card-numbers.md.
bool NaiveBrandFits(const std::string& d) {
  const std::size_t n = d.size();
  const auto prefix = [&](std::size_t k) { return std::stoi(d.substr(0, k)); };
  if (d[0] == '4') return n == 13 || n == 16 || n == 19;
  const int two = prefix(2);
  const int three = prefix(3);
  const int four = prefix(4);
  if (two == 34 || two == 37) return n == 15;
  if (two >= 51 && two <= 55) return n >= 16;
  if (four >= 2221 && four <= 2720) return n >= 16;
  if (four >= 2200 && four <= 2204) return n >= 16;
  if (four == 2205) return n == 16;
  if (d[0] == '6' || two == 50 || (two >= 56 && two <= 58)) return true;
  if ((three >= 300 && three <= 305) || four == 3095 || two == 36 || two == 38 || two == 39) {
    return n >= 14;
  }
  if (four >= 3528 && four <= 3589) return n >= 16;
  if (two == 31) return n == 19;
  if (two == 81 || two == 82) return n >= 16;
  if (four == 8600 || four == 9792 || four == 9860) return n == 16;
  if (four == 9704) return n >= 16;
  return false;
}

bool IsJoiner(char c) {
  return c == ' ' || c == '\t' || c == '.' || c == ',' || c == '-' || c == '/' || c == '\\' ||
         c == '_';
}
bool IsLineBreak(char c) { return c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

struct Chain {
  std::vector<char> digits;
  std::vector<bool> group_start;  // a separator stands before this digit
  bool after_plus = false;
};

std::vector<Chain> NaiveChains(const std::string& text) {
  std::vector<Chain> chains;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') {
      ++i;
      continue;
    }
    Chain chain;
    chain.after_plus = i > 0 && text[i - 1] == '+';
    bool separated = false;
    for (;;) {
      chain.digits.push_back(text[i]);
      chain.group_start.push_back(separated);
      ++i;
      // What follows: another digit, a gap of joiners with at most one
      // line break (CR LF is one), or the end of the chain.
      std::size_t j = i;
      int breaks = 0;
      while (j < text.size() && (IsJoiner(text[j]) || IsLineBreak(text[j]))) {
        if (IsLineBreak(text[j]) && !(text[j] == '\n' && j > i && text[j - 1] == '\r')) ++breaks;
        ++j;
      }
      if (j < text.size() && text[j] >= '0' && text[j] <= '9' && breaks <= 1) {
        separated = j > i;
        i = j;
        continue;
      }
      break;
    }
    chains.push_back(std::move(chain));
  }
  return chains;
}

bool NaiveFindsCard(const std::string& text) {
  for (const Chain& chain : NaiveChains(text)) {
    const std::size_t n = chain.digits.size();
    if (chain.after_plus && n <= 15) continue;
    if (n >= 2 && chain.digits[0] == '0' && chain.digits[1] == '0' && n <= 17) continue;
    for (std::size_t start = 0; start < n; ++start) {
      if (start > 0 && !chain.group_start[start]) continue;
      for (std::size_t length = 13; length <= 19 && start + length <= n; ++length) {
        const std::size_t end = start + length;
        if (end < n && !chain.group_start[end]) continue;
        if (start == 0 && chain.after_plus && length <= 15) continue;
        const std::string digits(chain.digits.begin() + static_cast<long>(start),
                                 chain.digits.begin() + static_cast<long>(end));
        if (NaiveBrandFits(digits) && NaiveLuhn(digits) && !(length == 13 && NaiveEan13(digits))) {
          return true;
        }
      }
    }
  }
  return false;
}

// --- Full-width forms ---------------------------------------------------------

std::string ToWide(const std::string& ascii) {
  std::string out;
  for (const char c : ascii) {
    if (c >= '0' && c <= '9') {
      tillbridge::AppendUtf8(0xFF10 + static_cast<char32_t>(c - '0'), out);
    } else if (c == ' ') {
      out += "\xE3\x80\x80";  // ideographic space
    } else if (c == '.') {
      out += "\xEF\xBC\x8E";
    } else if (c == '/') {
      out += "\xEF\xBC\x8F";
    } else if (c == '_') {
      out += "\xEF\xBC\xBF";
    } else if (c == '-') {
      out += "\xE2\x80\x93";  // en dash
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string FromWide(const std::string& wide) {
  std::string out;
  for (std::size_t i = 0; i < wide.size();) {
    const std::string_view rest = std::string_view(wide).substr(i);
    const auto is = [&](std::string_view form) { return rest.substr(0, form.size()) == form; };
    if (rest.size() >= 3 && is("\xEF\xBC") && static_cast<unsigned char>(rest[2]) >= 0x90 &&
        static_cast<unsigned char>(rest[2]) <= 0x99) {
      out.push_back(static_cast<char>('0' + (static_cast<unsigned char>(rest[2]) - 0x90)));
      i += 3;
    } else if (is("\xE3\x80\x80")) {
      out.push_back(' ');
      i += 3;
    } else if (is("\xEF\xBC\x8E")) {
      out.push_back('.');
      i += 3;
    } else if (is("\xEF\xBC\x8F")) {
      out.push_back('/');
      i += 3;
    } else if (is("\xEF\xBC\xBF")) {
      out.push_back('_');
      i += 3;
    } else if (is("\xE2\x80\x93")) {
      out.push_back('-');
      i += 3;
    } else {
      out.push_back(wide[i++]);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // Any bytes at all.
  int count = -1;
  const std::string masked = tillbridge::MaskCardNumbers(input, &count);
  Check(count >= 0);
  Check((count == 0) == (masked == input));
  Check(tillbridge::ContainsCardNumber(input) == (count > 0));
  Check(!tillbridge::ContainsCardNumber(masked));
  int again = -1;
  Check(tillbridge::MaskCardNumbers(masked, &again) == masked);
  Check(again == 0);

  // ASCII, where the naive rule above must agree exactly.
  std::string ascii(input);
  for (char& c : ascii) {
    if (static_cast<unsigned char>(c) >= 0x80 || c == '\0') c = '#';
  }
  const std::string ascii_masked = tillbridge::MaskCardNumbers(ascii);
  Check(!NaiveFindsCard(ascii_masked));
  if (!NaiveFindsCard(ascii)) Check(ascii_masked == ascii);
  Check(ascii_masked.size() == ascii.size());
  for (std::size_t i = 0; i < ascii.size(); ++i) {
    Check(ascii_masked[i] == ascii[i] ||
          (ascii_masked[i] == '*' && ascii[i] >= '0' && ascii[i] <= '9'));
  }
  // The same text in full-width forms is masked the same way.
  Check(FromWide(tillbridge::MaskCardNumbers(ToWide(ascii))) == ascii_masked);

  // The store's JSON masking: any bytes, idempotent.
  const std::string json = tillbridge::store::MaskCardNumbersInJson(input);
  Check(tillbridge::store::MaskCardNumbersInJson(json) == json);
  return 0;
}
