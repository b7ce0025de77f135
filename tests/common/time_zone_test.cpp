#include "common/time_zone.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include "common/clock.h"

namespace tillbridge {
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

TEST_CASE("Windows zone rules give the offsets the IANA database has, hour by hour") {
  // As Windows keeps them (HKLM\\...\\Time Zones\\<name>\\TZI): bias, daylight
  // bias, and the days the clocks change (month, week 1-5, weekday, hour).
  struct Case {
    const char* windows_name;
    const char* iana_name;
    platform::LocalZone zone;
  };
  const auto zone = [](int bias, int daylight_bias, platform::ZoneChangeDate standard,
                       platform::ZoneChangeDate daylight) {
    platform::LocalZone out;
    out.bias_minutes = bias;
    out.daylight_bias_minutes = daylight_bias;
    out.standard_date = standard;
    out.daylight_date = daylight;
    return out;
  };
  const Case cases[] = {
      {"Eastern Standard Time", "America/New_York",
       zone(300, -60, {11, 1, 0, 2, 0, 0}, {3, 2, 0, 2, 0, 0})},
      {"W. Europe Standard Time", "Europe/Berlin",
       zone(-60, -60, {10, 5, 0, 3, 0, 0}, {3, 5, 0, 2, 0, 0})},
      {"AUS Eastern Standard Time", "Australia/Sydney",
       zone(-600, -60, {4, 1, 0, 3, 0, 0}, {10, 1, 0, 2, 0, 0})},
      {"Newfoundland Standard Time", "America/St_Johns",
       zone(210, -60, {11, 1, 0, 2, 0, 0}, {3, 2, 0, 2, 0, 0})},
      {"India Standard Time", "Asia/Kolkata", zone(-330, 0, {}, {})},
  };
  CHECK(TimeZone::PosixRuleFor(cases[0].zone) == "STD5DST4,M3.2.0/2:00:00,M11.1.0/2:00:00");
  CHECK(TimeZone::PosixRuleFor(cases[3].zone) == "STD3:30DST2:30,M3.2.0/2:00:00,M11.1.0/2:00:00");
  CHECK(TimeZone::PosixRuleFor(cases[4].zone) == "STD-5:30");
  for (const Case& c : cases) {
    CAPTURE(c.windows_name);
    auto windows = TimeZone::FromPosixRule(TimeZone::PosixRuleFor(c.zone), c.windows_name);
    REQUIRE_MESSAGE(windows.ok(), windows.status().ToString());
    auto iana = TimeZone::Load(c.iana_name, kZoneinfo);
    REQUIRE_MESSAGE(iana.ok(), iana.status().ToString());
    int differences = 0;
    for (std::int64_t at = Utc("2026-01-01T00:00:00Z"); at < Utc("2028-01-01T00:00:00Z");
         at += 3600) {
      if (windows->OffsetAt(at) != iana->OffsetAt(at)) ++differences;
    }
    CHECK(differences == 0);
  }
}

TEST_CASE("local is this computer's zone, as the C library sees it too") {
  auto local = platform::LocalTimeZone();
  if (!local.ok()) {
    // A machine with no zone set: the message says what to set instead.
    CHECK(local.status().message().find("name the zone instead") != std::string::npos);
    CHECK_FALSE(TimeZone::Load("local", kZoneinfo).ok());
    return;
  }
  CHECK_FALSE(local->name.empty());
  auto zone = TimeZone::Load("local", kZoneinfo);
  REQUIRE_MESSAGE(zone.ok(), zone.status().ToString());
  // A TZ variable steers the C library, not the system's setting.
  if (std::getenv("TZ") != nullptr) return;
  // Midsummer and midwinter of two years: the same offset localtime() gives.
  for (const char* when : {"2026-01-15T12:00:00Z", "2026-07-15T12:00:00Z", "2027-01-15T12:00:00Z",
                           "2027-07-15T12:00:00Z"}) {
    CAPTURE(when);
    const std::time_t at = static_cast<std::time_t>(Utc(when));
    const std::tm wall = *std::localtime(&at);
    const std::int64_t wall_seconds =
        DaysFromCivil(wall.tm_year + 1900, wall.tm_mon + 1, wall.tm_mday) * 86'400 +
        wall.tm_hour * 3600 + wall.tm_min * 60 + wall.tm_sec;
    CHECK(zone->OffsetAt(Utc(when)) == wall_seconds - Utc(when));
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
}  // namespace tillbridge
