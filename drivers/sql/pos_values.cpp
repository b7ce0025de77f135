#include "drivers/sql/pos_values.h"

#include <cctype>
#include <string>

#include "common/currency.h"
#include "common/time_zone.h"

namespace tillbridge::drivers {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// 'text' (at most 40 characters) for messages. Built by appending: GCC 12
// misreports "'" + std::string at -O3 (-Wrestrict).
std::string Quoted(std::string_view text) {
  std::string out;
  out += '\'';
  out.append(text.substr(0, 40));
  out += '\'';
  return out;
}

// Reads exactly `count` digits.
bool Digits(std::string_view& text, size_t count, int& value) {
  if (text.size() < count) return false;
  value = 0;
  for (size_t i = 0; i < count; ++i) {
    if (!IsDigit(text[i])) return false;
    value = value * 10 + (text[i] - '0');
  }
  text.remove_prefix(count);
  return true;
}

Status NotANumber(std::string_view text) {
  return Status::InvalidArgument(Quoted(text) + " is not a number");
}

}  // namespace

Result<std::int64_t> ParseScaledDecimal(std::string_view input, int scale) {
  std::string_view text = Trim(input);
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  std::string digits;
  int exponent = 0;  // value = digits * 10^exponent
  bool seen_point = false;
  size_t i = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (IsDigit(c)) {
      digits += c;
      if (seen_point) --exponent;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (digits.empty()) return NotANumber(input);
  if (i < text.size()) {
    if (text[i] != 'e' && text[i] != 'E') return NotANumber(input);
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) exp_negative = text[i++] == '-';
    int exp_value = 0;
    size_t exp_digits = 0;
    for (; i < text.size() && IsDigit(text[i]); ++i, ++exp_digits) {
      if (exp_value > 1000) return NotANumber(input);
      exp_value = exp_value * 10 + (text[i] - '0');
    }
    if (exp_digits == 0 || i != text.size()) return NotANumber(input);
    exponent += exp_negative ? -exp_value : exp_value;
  }
  exponent += scale;

  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return std::int64_t{0};
  digits.erase(0, first);
  bool round_up = false;
  if (exponent < 0) {
    const size_t drop = static_cast<size_t>(-exponent);
    if (drop > digits.size()) {
      // Below a tenth of the last kept digit: rounds to zero.
      digits.clear();
    } else {
      round_up = digits[digits.size() - drop] >= '5';
      digits.resize(digits.size() - drop);
    }
  } else {
    if (digits.size() + static_cast<size_t>(exponent) > 19) {
      return Status::InvalidArgument(Quoted(input) + " is too large");
    }
    digits.append(static_cast<size_t>(exponent), '0');
  }
  std::uint64_t value = 0;
  for (char c : digits) {
    const std::uint64_t next = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - 9) / 10 || next > static_cast<std::uint64_t>(INT64_MAX)) {
      return Status::InvalidArgument(Quoted(input) + " is too large");
    }
    value = next;
  }
  if (round_up) {
    if (value >= static_cast<std::uint64_t>(INT64_MAX)) {
      return Status::InvalidArgument(Quoted(input) + " is too large");
    }
    ++value;
  }
  const auto signed_value = static_cast<std::int64_t>(value);
  return negative ? -signed_value : signed_value;
}

int CurrencyExponent(std::string_view currency) {
  return tillbridge::CurrencyMinorDigits(currency);
}

Result<PosTime> ParsePosTimestamp(std::string_view input) {
  std::string_view text = Trim(input);
  const auto bad = [&]() {
    return Status::InvalidArgument(Quoted(input) +
                                   " is not a timestamp (expected YYYY-MM-DD HH:MM:SS[.fff] "
                                   "with an optional zone, or epoch seconds)");
  };
  if (text.empty()) return bad();

  // Epoch numbers: "1718014500", "1718014500.25", "1718014500123".
  if (text.size() < 5 || text[4] != '-') {
    auto thousandths = ParseScaledDecimal(text, 3);
    if (!thousandths.ok()) return bad();
    PosTime time;
    time.utc = true;
    const std::int64_t whole = *thousandths / 1000;
    time.millis =
        (whole >= 100'000'000'000LL || whole <= -100'000'000'000LL) ? whole : *thousandths;
    return time;
  }

  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (!Digits(text, 4, year) || text.empty() || text.front() != '-') return bad();
  text.remove_prefix(1);
  if (!Digits(text, 2, month) || text.empty() || text.front() != '-') return bad();
  text.remove_prefix(1);
  if (!Digits(text, 2, day)) return bad();
  if (!text.empty() && (text.front() == ' ' || text.front() == 'T' || text.front() == 't')) {
    text.remove_prefix(1);
    if (!Digits(text, 2, hour) || text.empty() || text.front() != ':') return bad();
    text.remove_prefix(1);
    if (!Digits(text, 2, minute)) return bad();
    if (!text.empty() && text.front() == ':') {
      text.remove_prefix(1);
      if (!Digits(text, 2, second)) return bad();
      if (!text.empty() && (text.front() == '.' || text.front() == ',')) {
        text.remove_prefix(1);
        int scale = 100;
        size_t count = 0;
        while (!text.empty() && IsDigit(text.front())) {
          millis += (text.front() - '0') * scale;
          scale /= 10;
          text.remove_prefix(1);
          ++count;
        }
        if (count == 0) return bad();
      }
    }
  }
  if (year < 1900 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) ||
      hour > 23 || minute > 59 || second > 60) {
    return bad();
  }
  if (second == 60) second = 59;

  PosTime time;
  std::int64_t seconds =
      DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  text = Trim(text);
  if (!text.empty()) {
    if (text == "Z" || text == "z" || text == "UTC") {
      time.utc = true;
    } else if (text.front() == '+' || text.front() == '-') {
      const int sign = text.front() == '-' ? -1 : 1;
      text.remove_prefix(1);
      int off_hours = 0, off_minutes = 0;
      if (!Digits(text, 2, off_hours)) return bad();
      if (!text.empty() && text.front() == ':') text.remove_prefix(1);
      if (!text.empty() && !Digits(text, 2, off_minutes)) return bad();
      if (!text.empty() || off_hours > 14 || off_minutes > 59) return bad();
      seconds -= sign * (off_hours * 3600 + off_minutes * 60);
      time.utc = true;
    } else {
      return bad();
    }
  }
  time.millis = seconds * 1000 + millis;
  return time;
}

}  // namespace tillbridge::drivers
