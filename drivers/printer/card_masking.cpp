#include "drivers/printer/card_masking.h"

#include <vector>

namespace tillbridge::drivers {
namespace {

constexpr std::size_t kMinCardDigits = 13;
constexpr std::size_t kMaxCardDigits = 19;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Masks the card numbers inside one run of digits joined by single
// separators. `positions` holds each digit's offset in `text`; a window may
// start and end only where the run does or at a separator, so a long number
// printed without separators is judged as a whole, while a card number
// printed in groups is found even when a quantity stands before it.
int MaskRun(const std::vector<std::size_t>& positions, std::string& text) {
  std::string digits;
  digits.reserve(positions.size());
  std::vector<bool> boundary(positions.size() + 1, false);
  boundary[0] = boundary[positions.size()] = true;
  for (std::size_t i = 0; i < positions.size(); ++i) {
    digits.push_back(text[positions[i]]);
    if (i > 0 && positions[i] != positions[i - 1] + 1) boundary[i] = true;
  }
  std::vector<bool> hide(positions.size(), false);
  int found = 0;
  for (std::size_t start = 0; start < digits.size(); ++start) {
    if (!boundary[start]) continue;
    for (std::size_t length = kMinCardDigits;
         length <= kMaxCardDigits && start + length <= digits.size(); ++length) {
      if (!boundary[start + length]) continue;
      if (!PassesLuhn(std::string_view(digits).substr(start, length))) continue;
      ++found;
      for (std::size_t i = start; i < start + length - 4; ++i) hide[i] = true;
    }
  }
  for (std::size_t i = 0; i < positions.size(); ++i) {
    if (hide[i]) text[positions[i]] = '*';
  }
  return found;
}

}  // namespace

bool PassesLuhn(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool double_it = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (!IsDigit(*it)) return false;
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

namespace {

// One pass over `out`; returns the card numbers it masked.
int MaskPass(std::string& out) {
  int found = 0;
  std::vector<std::size_t> run;
  std::size_t i = 0;
  while (i < out.size()) {
    if (!IsDigit(out[i])) {
      ++i;
      continue;
    }
    run.clear();
    while (i < out.size()) {
      if (IsDigit(out[i])) {
        run.push_back(i++);
      } else if ((out[i] == ' ' || out[i] == '-') && i + 1 < out.size() && IsDigit(out[i + 1])) {
        ++i;
      } else {
        break;
      }
    }
    if (run.size() >= kMinCardDigits) found += MaskRun(run, out);
  }
  return found;
}

}  // namespace

std::string MaskCardNumbers(std::string_view text, int* masked_count) {
  std::string out(text);
  // A window may start only at a group boundary, so a card number printed
  // glued to the digits before it ("0000" + "4111 1111 1111 1111") can hide
  // inside a longer number that one pass masks; the '*'s then expose it as a
  // run of its own. Passes repeat until one finds nothing. Each pass that
  // finds something hides digits, so this ends, mostly after two.
  int found = 0;
  for (int pass = MaskPass(out); pass > 0; pass = MaskPass(out)) found += pass;
  if (masked_count != nullptr) *masked_count = found;
  return out;
}

}  // namespace tillbridge::drivers
