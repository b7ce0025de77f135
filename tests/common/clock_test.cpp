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
  CHECK(*ParseRfc3339("2024-02-29T00:00:00Z") + 86'400'000 == *ParseRfc3339("2024-03-01T00:00:00Z"));
}

TEST_CASE("ManualClock moves only when told") {
  ManualClock clock(1000);
  CHECK(clock.NowMillis() == 1000);
  clock.Advance(std::chrono::seconds(2));
  CHECK(clock.NowMillis() == 3000);
}

}  // namespace tillbridge
