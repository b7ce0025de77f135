#include "drivers/sql/pos_values.h"

#include <doctest/doctest.h>

#include "common/clock.h"

namespace tillbridge::drivers {
namespace {

TEST_CASE("decimals become exact minor units, rounding half away from zero") {
  struct Case {
    const char* text;
    int scale;
    std::int64_t expected;
  } cases[] = {
      {"12.5", 2, 1250},
      {"19.25", 2, 1925},
      {"-2.25", 2, -225},
      {"0.75", 2, 75},
      {"22.950", 2, 2295},
      {"1.005", 2, 101},
      {"-1.005", 2, -101},
      {"1.004", 2, 100},
      {"0.0049", 2, 0},
      {"1e2", 2, 10000},
      {"1.5E-1", 2, 15},
      {"  7 ", 0, 7},
      {"+3", 2, 300},
      {"1.5", 3, 1500},
      {"0.25", 3, 250},
      {"1250", 0, 1250},
      {"0.30000000000000004", 2, 30},
      {"00012.30", 2, 1230},
      {"92233720368547758.07", 2, INT64_MAX},
      {"-0.5", 0, -1},
  };
  for (const auto& c : cases) {
    auto value = ParseScaledDecimal(c.text, c.scale);
    REQUIRE_MESSAGE(value.ok(), c.text, " ", value.status().ToString());
    CHECK_MESSAGE(*value == c.expected, c.text);
  }
}

TEST_CASE("non-numbers and overflow are rejected") {
  for (const char* text : {"", "abc", "1.2.3", "12,50", "1e", "--1", "1e99999", ".", "$5",
                           "92233720368547758.08", "1e17"}) {
    auto value = ParseScaledDecimal(text, 2);
    CHECK_MESSAGE(!value.ok(), text);
    if (!value.ok()) CHECK(value.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("currency exponents follow ISO 4217") {
  CHECK(CurrencyExponent("USD") == 2);
  CHECK(CurrencyExponent("EUR") == 2);
  CHECK(CurrencyExponent("JPY") == 0);
  CHECK(CurrencyExponent("KWD") == 3);
}

TEST_CASE("POS timestamps: wall time, zones and epoch numbers") {
  auto wall = ParsePosTimestamp("2025-06-10 10:15:00");
  REQUIRE(wall.ok());
  CHECK(!wall->utc);
  CHECK(wall->millis == *ParseRfc3339("2025-06-10T10:15:00Z"));

  auto fraction = ParsePosTimestamp("2025-06-10T10:15:00.123456");
  REQUIRE(fraction.ok());
  CHECK(fraction->millis == *ParseRfc3339("2025-06-10T10:15:00.123Z"));

  auto zulu = ParsePosTimestamp("2025-06-10T10:15:00.250Z");
  REQUIRE(zulu.ok());
  CHECK(zulu->utc);
  CHECK(zulu->millis == *ParseRfc3339("2025-06-10T10:15:00.250Z"));

  auto offset = ParsePosTimestamp("2025-06-10 10:15:00+02");  // PostgreSQL timestamptz
  REQUIRE(offset.ok());
  CHECK(offset->utc);
  CHECK(offset->millis == *ParseRfc3339("2025-06-10T08:15:00Z"));
  CHECK(ParsePosTimestamp("2025-06-10 10:15:00-05:30")->millis ==
        *ParseRfc3339("2025-06-10T15:45:00Z"));

  auto date = ParsePosTimestamp("2025-06-10");
  REQUIRE(date.ok());
  CHECK(date->millis == *ParseRfc3339("2025-06-10T00:00:00Z"));

  auto seconds = ParsePosTimestamp("1749550500");
  REQUIRE(seconds.ok());
  CHECK(seconds->utc);
  CHECK(seconds->millis == 1749550500000);
  CHECK(ParsePosTimestamp("1749550500123")->millis == 1749550500123);
  CHECK(ParsePosTimestamp("1749550500.5")->millis == 1749550500500);
}

TEST_CASE("impossible timestamps are rejected") {
  for (const char* text :
       {"", "yesterday", "2025-13-01 00:00:00", "2025-02-30 10:00:00", "2023-02-29",
        "0000-00-00 00:00:00", "2025-06-10 24:00:00", "2025-06-10 10:15:00 CET",
        "2025-06-10 10:15:00+2", "2025-06-10 10:15:00.", "2025-6-10"}) {
    CHECK_MESSAGE(!ParsePosTimestamp(text).ok(), text);
  }
  CHECK(ParsePosTimestamp("2024-02-29 12:00:00").ok());
}

}  // namespace
}  // namespace tillbridge::drivers
