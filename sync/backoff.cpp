#include "sync/backoff.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <string>

namespace tillbridge::sync {
namespace {

std::string_view TrimView(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

bool Digits(std::string_view text, size_t pos, size_t count, int* out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    value = value * 10 + (text[i] - '0');
  }
  *out = value;
  return true;
}

// "Wed, 21 Oct 2015 07:28:00 GMT" -> Unix millis. Only the IMF-fixdate form
// that RFC 9110 requires senders to use.
std::optional<UnixMillis> ParseImfFixdate(std::string_view text) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (text.size() != 29 || text[3] != ',' || text[4] != ' ' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  const auto month_it = std::find(kMonths.begin(), kMonths.end(), text.substr(8, 3));
  if (month_it == kMonths.end() || !Digits(text, 5, 2, &day) || !Digits(text, 12, 4, &year) ||
      !Digits(text, 17, 2, &hour) || !Digits(text, 20, 2, &minute) ||
      !Digits(text, 23, 2, &second) || text[7] != ' ' || text[11] != ' ' || text[16] != ' ' ||
      text[19] != ':' || text[22] != ':') {
    return std::nullopt;
  }
  const int month = static_cast<int>(month_it - kMonths.begin()) + 1;
  char iso[64];
  std::snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02dZ", year, month, day, hour, minute,
                second);
  auto parsed = ParseRfc3339(iso);
  if (!parsed.ok()) return std::nullopt;
  return *parsed;
}

}  // namespace

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                 std::uint64_t seed)
    : initial_(std::max(initial, std::chrono::milliseconds(1))),
      max_(std::max(max, initial_)),
      random_(seed != 0 ? seed
                        : (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                              std::random_device{}()) {}

std::chrono::milliseconds Backoff::Ceiling() const {
  // Doubling stops once the cap is reached, so the shift never overflows.
  std::int64_t ceiling = initial_.count();
  for (int i = 0; i < failures_ && ceiling < max_.count(); ++i) ceiling *= 2;
  return std::chrono::milliseconds(std::min(ceiling, max_.count()));
}

std::chrono::milliseconds Backoff::Next() {
  const std::int64_t ceiling = Ceiling().count();
  ++failures_;
  std::uniform_int_distribution<std::int64_t> pick(0, ceiling);
  return std::chrono::milliseconds(pick(random_));
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, UnixMillis now) {
  value = TrimView(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(),
                  [](unsigned char c) { return std::isdigit(c) != 0; })) {
    // More digits than an hour needs are clamped without parsing them.
    if (value.size() > 9) return kMaxRetryAfter;
    const std::int64_t seconds = std::stoll(std::string(value));
    return std::min(std::chrono::milliseconds(seconds * 1000), kMaxRetryAfter);
  }
  const auto when = ParseImfFixdate(value);
  if (!when) return std::nullopt;
  const std::int64_t delta = std::max<std::int64_t>(0, *when - now);
  return std::min(std::chrono::milliseconds(delta), kMaxRetryAfter);
}

}  // namespace tillbridge::sync
