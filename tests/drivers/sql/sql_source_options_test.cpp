#include <doctest/doctest.h>

#include <fstream>
#include <set>

#include "drivers/sql/sql_source.h"
#include "tests/test_util.h"

namespace tillbridge::drivers {
namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("every pos key is declared once, documented, and its default validates") {
  std::set<std::string> seen;
  for (const auto& spec : SqlSourceConfigKeys()) {
    CHECK_MESSAGE(spec.key.rfind("pos.", 0) == 0, spec.key);
    CHECK_MESSAGE(seen.insert(spec.key).second, spec.key);
    CHECK_MESSAGE(!spec.description.empty(), spec.key);
    if (!(spec.type == ConfigType::kEnum && spec.default_value.empty())) {
      CHECK_MESSAGE(ValidateConfigValue(spec, spec.default_value).ok(), spec.key);
    }
  }
  for (const char* key :
       {"pos.enabled", "pos.profile", "pos.connector", "pos.password", "pos.password_file",
        "pos.poll_interval", "pos.abandon_after", "pos.time_zone", "pos.currency",
        "pos.default_region", "pos.query.sales"}) {
    CHECK_MESSAGE(seen.count(key) == 1, key);
  }
  for (const auto& spec : SqlSourceConfigKeys()) {
    if (spec.key == "pos.password") CHECK(spec.type == ConfigType::kSecret);
    if (spec.key == "pos.poll_interval") {
      auto duration = ParseDuration(spec.default_value);
      REQUIRE(duration.ok());
      CHECK(duration->count() <= 1000);
    }
  }
}

TEST_CASE("defaults produce the demo profile on SQLite with a sub-second poll") {
  testing::TempDir dir;
  ConfigValues values({{"pos.database", "pos.db"}, {"pos.time_zone", "UTC"}});
  auto options = SqlSourceOptionsFrom(values, dir.path());
  REQUIRE_MESSAGE(options.ok(), options.status().ToString());
  CHECK(options->profile == "demo");
  CHECK(!options->connector.has_value());
  CHECK(options->poll_interval.count() <= 1000);
  CHECK(options->abandon_after == std::chrono::minutes(30));
  CHECK(options->start_from == StartFrom::kNow);
  CHECK(options->base_dir == dir.path());
}

TEST_CASE("options for a server profile, password from a file") {
  testing::TempDir dir;
  {
    std::ofstream out(dir.File("pw"));
    out << "s3cret;x\nignored\n";
  }
  ConfigValues values({{"pos.profile", "ospos"},
                       {"pos.connector", "mysql"},
                       {"pos.host", "127.0.0.1"},
                       {"pos.port", "3307"},
                       {"pos.database", "ospos"},
                       {"pos.user", "reader"},
                       {"pos.password_file", "pw"},
                       {"pos.time_zone", "America/New_York"},
                       {"pos.currency", "EUR"},
                       {"pos.default_region", "DE"},
                       {"pos.abandon_after", "10m"},
                       {"pos.start_from", "beginning"},
                       {"pos.query.payments", "SELECT sale_id, type, amount FROM pay"}});
  auto options = SqlSourceOptionsFrom(values, dir.path());
  REQUIRE_MESSAGE(options.ok(), options.status().ToString());
  CHECK(options->connector == SqlConnector::kMySql);
  CHECK(options->port == 3307);
  CHECK(options->password == "s3cret;x");
  CHECK(options->abandon_after == std::chrono::minutes(10));
  CHECK(options->start_from == StartFrom::kBeginning);
  CHECK(options->payments_query == "SELECT sale_id, type, amount FROM pay");
}

TEST_CASE("bad options name the key and the reason") {
  testing::TempDir dir;
  struct Case {
    std::map<std::string, std::string> values;
    const char* expected;
  } cases[] = {
      {{{"pos.poll_interval", "fast"}}, "pos.poll_interval"},
      {{{"pos.poll_interval", "2m"}}, "pos.poll_interval: must be between"},
      {{{"pos.connector", "oracle"}}, "pos.connector: must be one of"},
      {{{"pos.port", "99999"}}, "pos.port"},
      {{{"pos.batch_size", "0"}}, "pos.batch_size"},
      {{{"pos.currency", "euro"}}, "pos.currency: expected an ISO 4217 code"},
      {{{"pos.default_region", "XX"}}, "pos.default_region: 'XX' is not a known region"},
      {{{"pos.time_zone", "Mars/Base"}}, "pos.time_zone"},
      {{{"pos.colour", "red"}}, "pos.colour: unknown key"},
      {{{"pos.profile", "nosuchpos"}}, "pos.profile: no built-in profile named 'nosuchpos'"},
      {{{"pos.profile", "generic"}},
       "pos.profile: built-in profile 'generic' has no [sales] query"},
      {{{"pos.password", "a"}, {"pos.password_file", "pw"}}, "set either pos.password"},
      {{{"pos.password_file", "nope"}}, "pos.password_file: cannot read"},
      {{{"pos.name", ""}}, "pos.name"},
  };
  for (auto& c : cases) {
    c.values.emplace("pos.time_zone", "UTC");
    auto options = SqlSourceOptionsFrom(ConfigValues(c.values), dir.path());
    REQUIRE_MESSAGE(!options.ok(), c.expected);
    CHECK_MESSAGE(Contains(options.status().message(), c.expected), options.status().message());
  }
}

TEST_CASE("MakeSqlSource rejects what cannot work before connecting") {
  PhoneNormalizer phone("US");
  ManualClock clock(0);
  SqlSourceOptions options;
  options.profile = "demo";
  auto no_file = MakeSqlSource(options, phone, clock);
  REQUIRE(!no_file.ok());
  CHECK(Contains(no_file.status().message(), "pos.database"));

  options.database = "/nonexistent/dir/pos.db";
  options.batch_size = 0;
  CHECK(!MakeSqlSource(options, phone, clock).ok());
  options.batch_size = 500;
  options.default_region = "ZZ";
  CHECK(!MakeSqlSource(options, phone, clock).ok());
  options.default_region.clear();

  // A missing file is not an error until Open(), which reports it clearly.
  auto source = MakeSqlSource(options, phone, clock);
  REQUIRE_MESSAGE(source.ok(), source.status().ToString());
  Status open = (*source)->Open();
  CHECK(open.code() == StatusCode::kUnavailable);
  CHECK(Contains(open.message(), "/nonexistent/dir/pos.db"));
  CHECK(Contains(open.message(), "POS source 'pos'"));
  CHECK(!(*source)->Health().connected);
  CHECK((*source)->Health().last_error == open.message());

  options.profile = "ospos";
  options.time_zone = "Nowhere/Land";
  options.database = "ospos";
  auto bad_zone = MakeSqlSource(options, phone, clock);
  REQUIRE(!bad_zone.ok());
  CHECK(Contains(bad_zone.status().message(), "Nowhere/Land"));
}

}  // namespace
}  // namespace tillbridge::drivers
