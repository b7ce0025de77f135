#include "drivers/sql/time_zone.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "common/clock.h"

namespace tillbridge::drivers {
namespace {

const char* kZoneinfo = "/usr/share/zoneinfo";

std::int64_t Utc(const char* text) {
  auto parsed = ParseRfc3339(text);
  REQUIRE_MESSAGE(parsed.ok(), text);
  return *parsed / 1000;
}

// Wall-clock seconds for "YYYY-MM-DDTHH:MM:SS" counted as if UTC.
std::int64_t Wall(const char* text) { return Utc((std::string(text) + "Z").c_str()); }

TEST_CASE("fixed offsets and UTC") {
  for (const char* spec : {"UTC", "Z", "GMT", "Etc/UTC"}) {
    auto zone = TimeZone::Load(spec, kZoneinfo);
    REQUIRE_MESSAGE(zone.ok(), spec);
    CHECK(zone->OffsetAt(0) == 0);
  }
  struct Case {
    const char* spec;
    int offset;
  } cases[] = {{"+02:00", 7200}, {"-05:30", -19800},   {"+0545", 20700},
               {"+2", 7200},     {"UTC+05:30", 19800}, {"-10", -36000}};
  for (const auto& c : cases) {
    auto zone = TimeZone::Load(c.spec, kZoneinfo);
    REQUIRE_MESSAGE(zone.ok(), c.spec);
    CHECK(zone->OffsetAt(1'700'000'000) == c.offset);
    CHECK(zone->LocalToUtc(1'700'000'000) == 1'700'000'000 - c.offset);
  }
}

TEST_CASE("bad time zone specs are rejected with the reason") {
  for (const char* spec : {"", "+25:00", "+02:61", "+2x", "../etc/passwd", "/etc/localtime",
                           "Mars/Olympus_Mons", "Europe/Berlin;rm"}) {
    auto zone = TimeZone::Load(spec, kZoneinfo);
    CHECK_MESSAGE(!zone.ok(), spec);
    if (!zone.ok()) CHECK(zone.status().code() == StatusCode::kInvalidArgument);
  }
  auto missing = TimeZone::Load("Europe/Nowhere", kZoneinfo);
  REQUIRE(!missing.ok());
  CHECK(missing.status().message().find("no such zone") != std::string::npos);
}

TEST_CASE("Europe/Berlin from the system database: offsets around both changes") {
  auto zone = TimeZone::Load("Europe/Berlin", kZoneinfo);
  REQUIRE(zone.ok());
  // 2025: summer time from 30 March 01:00 UTC to 26 October 01:00 UTC.
  CHECK(zone->OffsetAt(Utc("2025-03-30T00:59:59Z")) == 3600);
  CHECK(zone->OffsetAt(Utc("2025-03-30T01:00:00Z")) == 7200);
  CHECK(zone->OffsetAt(Utc("2025-10-26T00:59:59Z")) == 7200);
  CHECK(zone->OffsetAt(Utc("2025-10-26T01:00:00Z")) == 3600);
  // Ordinary local times.
  CHECK(zone->LocalToUtc(Wall("2025-06-10T10:15:00")) == Utc("2025-06-10T08:15:00Z"));
  CHECK(zone->LocalToUtc(Wall("2025-01-10T10:15:00")) == Utc("2025-01-10T09:15:00Z"));
  // The repeated hour takes the earlier instant; the skipped hour moves on.
  CHECK(zone->LocalToUtc(Wall("2025-10-26T02:30:00")) == Utc("2025-10-26T00:30:00Z"));
  CHECK(zone->LocalToUtc(Wall("2025-03-30T02:30:00")) == Utc("2025-03-30T01:30:00Z"));
}

TEST_CASE("far-future dates use the POSIX rule in the TZif footer") {
  auto zone = TimeZone::Load("America/New_York", kZoneinfo);
  REQUIRE(zone.ok());
  // 2100: second Sunday of March (14th) 2:00 EST, first Sunday of November (7th) 2:00 EDT.
  CHECK(zone->OffsetAt(Utc("2100-03-14T06:59:59Z")) == -18000);
  CHECK(zone->OffsetAt(Utc("2100-03-14T07:00:00Z")) == -14400);
  CHECK(zone->OffsetAt(Utc("2100-11-07T05:59:59Z")) == -14400);
  CHECK(zone->OffsetAt(Utc("2100-11-07T06:00:00Z")) == -18000);
}

TEST_CASE("southern hemisphere and half-hour zones") {
  auto sydney = TimeZone::Load("Australia/Sydney", kZoneinfo);
  REQUIRE(sydney.ok());
  CHECK(sydney->OffsetAt(Utc("2025-01-15T00:00:00Z")) == 11 * 3600);
  CHECK(sydney->OffsetAt(Utc("2025-07-15T00:00:00Z")) == 10 * 3600);
  auto kolkata = TimeZone::Load("Asia/Kolkata", kZoneinfo);
  REQUIRE(kolkata.ok());
  CHECK(kolkata->LocalToUtc(Wall("2025-06-10T10:15:00")) == Utc("2025-06-10T04:45:00Z"));
}

TEST_CASE("POSIX rules on their own, including negative DST (Europe/Dublin)") {
  auto cet = TimeZone::FromPosixRule("CET-1CEST,M3.5.0,M10.5.0/3", "cet");
  REQUIRE(cet.ok());
  CHECK(cet->OffsetAt(Utc("2031-07-01T12:00:00Z")) == 7200);
  CHECK(cet->OffsetAt(Utc("2031-12-01T12:00:00Z")) == 3600);
  auto dublin = TimeZone::FromPosixRule("IST-1GMT0,M10.5.0,M3.5.0/1", "dublin");
  REQUIRE(dublin.ok());
  CHECK(dublin->OffsetAt(Utc("2031-07-01T12:00:00Z")) == 3600);
  CHECK(dublin->OffsetAt(Utc("2031-12-01T12:00:00Z")) == 0);
  auto india = TimeZone::FromPosixRule("<+0530>-5:30", "india");
  REQUIRE(india.ok());
  CHECK(india->OffsetAt(0) == 19800);
  for (const char* bad : {"", "X", "CET", "CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M3.5.0",
                          "CET-1CEST,J0,J100", "CET-1CEST,M3.5.0,M10.5.0/3x"}) {
    CHECK_MESSAGE(!TimeZone::FromPosixRule(bad, "bad").ok(), bad);
  }
}

TEST_CASE("broken TZif data is an error, not a crash") {
  std::ifstream in(std::string(kZoneinfo) + "/Europe/Berlin", std::ios::binary);
  std::stringstream data;
  data << in.rdbuf();
  const std::string good = data.str();
  REQUIRE(TimeZone::FromTzif(good, "ok").ok());
  for (size_t cut : {size_t{0}, size_t{4}, size_t{43}, size_t{60}, good.size() / 2}) {
    CHECK_MESSAGE(!TimeZone::FromTzif(good.substr(0, cut), "cut").ok(), cut);
  }
  std::string wrong_magic = good;
  wrong_magic[0] = 'X';
  CHECK(!TimeZone::FromTzif(wrong_magic, "magic").ok());
  std::string huge_counts = good;
  huge_counts[32] = '\x7f';  // timecnt's high byte
  CHECK(!TimeZone::FromTzif(huge_counts, "counts").ok());
}

}  // namespace
}  // namespace tillbridge::drivers
