#include "common/clock.h"

#include <doctest/doctest.h>

namespace tillbridge {

TEST_CASE("RFC 3339 formatting uses UTC with milliseconds") {
  CHECK(FormatRfc3339(0) == "1970-01-01T00:00:00.000Z");
  CHECK(FormatRfc3339(1'795'953'600'123) == "2026-11-29T12:00:00.123Z");
  CHECK(FormatRfc3339(951'782'400'000) == "2000-02-29T00:00:00.000Z");
  CHECK(FormatRfc3339(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("RFC 3339 parsing round-trips and applies offsets") {
  for (UnixMillis t : {0LL, 1'795'953'600'123LL, 951'782'400'000LL, 4'102'444'799'999LL}) {
    auto parsed = ParseRfc3339(FormatRfc3339(t));
    REQUIRE(parsed.ok());
    CHECK(*parsed == t);
  }
  auto offset = ParseRfc3339("2026-11-29T07:00:00-05:00");
  REQUIRE(offset.ok());
  CHECK(FormatRfc3339(*offset) == "2026-11-29T12:00:00.000Z");
  auto fraction = ParseRfc3339("2026-11-29T12:00:00.5Z");
  REQUIRE(fraction.ok());
  CHECK(*fraction % 1000 == 500);
}

TEST_CASE("RFC 3339 parsing rejects malformed input with a reason") {
  for (const char* bad :
       {"", "2026-11-29", "2026-13-01T00:00:00Z", "2026-11-29T12:00:00", "2026-11-29T12:00:00Zjunk",
        "2026-11-29T25:00:00Z", "2026-11-29T12:00:00.Z", "abcd-ef-ghTij:kl:mnZ"}) {
    auto parsed = ParseRfc3339(bad);
    CHECK_FALSE(parsed.ok());
    CHECK(parsed.status().code() == StatusCode::kInvalidArgument);
    CHECK_FALSE(parsed.status().message().empty());
  }
}

TEST_CASE("RFC 3339 parsing refuses days a month does not have") {
  for (const char* bad : {"2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
                          "2026-04-31T00:00:00Z", "2026-11-31T12:00:00Z"}) {
    auto parsed = ParseRfc3339(bad);
    REQUIRE_FALSE_MESSAGE(parsed.ok(), bad);
    CHECK(parsed.status().message().find("there is no day") != std::string::npos);
  }
  for (const char* good : {"2024-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2026-12-31T23:59:59Z",
                           "2026-04-30T00:00:00Z"}) {
    CHECK_MESSAGE(ParseRfc3339(good).ok(), good);
  }
  CHECK(*ParseRfc3339("2024-02-29T00:00:00Z") + 86'400'000 ==
        *ParseRfc3339("2024-03-01T00:00:00Z"));
}

TEST_CASE("civil dates and day numbers agree both ways, leap days and eras included") {
  CHECK(DaysFromCivil(1970, 1, 1) == 0);
  CHECK(DaysFromCivil(1969, 12, 31) == -1);
  CHECK(DaysFromCivil(2000, 3, 1) == 11'017);
  CHECK(DaysFromCivil(2026, 12, 6) == 20'793);
  CHECK(DaysFromCivil(1600, 1, 1) == -135'140);
  // Every day from 1600 to 2400 (three century years that are not leap
  // years, two that are) maps back to the date it came from, one day apart.
  CivilDate previous = CivilFromDays(DaysFromCivil(1600, 1, 1) - 1);
  CHECK(previous.year == 1599);
  CHECK(previous.month == 12);
  CHECK(previous.day == 31);
  int leap_days = 0;
  for (std::int64_t days = DaysFromCivil(1600, 1, 1); days <= DaysFromCivil(2400, 12, 31); ++days) {
    const CivilDate date = CivilFromDays(days);
    REQUIRE(DaysFromCivil(date.year, date.month, date.day) == days);
    const bool next_day = date.day == previous.day + 1 && date.month == previous.month;
    const bool next_month =
        date.day == 1 && previous.day == DaysInMonth(previous.year, previous.month) &&
        (date.month == previous.month + 1 ||
         (date.month == 1 && previous.month == 12 && date.year == previous.year + 1));
    REQUIRE(next_day != next_month);
    if (date.month == 2 && date.day == 29) ++leap_days;
    previous = date;
  }
  // 801 years: 201 multiples of 4, less 1700, 1800, 1900, 2100, 2200, 2300.
  CHECK(leap_days == 195);
  CHECK(IsLeapYear(2000));
  CHECK_FALSE(IsLeapYear(1900));
  CHECK(DaysInMonth(2024, 2) == 29);
  CHECK(DaysInMonth(2026, 2) == 28);
  CHECK(DaysInMonth(2026, 4) == 30);
}

TEST_CASE("floor division rounds towards minus infinity") {
  CHECK(FloorDiv(7, 2) == 3);
  CHECK(FloorDiv(-7, 2) == -4);
  CHECK(FloorDiv(-8, 2) == -4);
  CHECK(FloorDiv(0, 86'400) == 0);
  CHECK(FloorDiv(-1, 86'400) == -1);
}

TEST_CASE("ManualClock moves only when told") {
  ManualClock clock(1000);
  CHECK(clock.NowMillis() == 1000);
  clock.Advance(std::chrono::seconds(2));
  CHECK(clock.NowMillis() == 3000);
}

}  // namespace tillbridge
