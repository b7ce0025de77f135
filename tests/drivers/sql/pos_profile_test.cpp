#include "drivers/sql/pos_profile.h"

#include <doctest/doctest.h>

#include <fstream>

#include "drivers/sql/builtin_profiles.h"
#include "drivers/sql/profile_text.h"
#include "tests/test_util.h"

namespace tillbridge::drivers {
namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("profile text: sections, keys and indented multi-line values") {
  auto entries = ParseProfileText(
      "# comment\n[sales]\nquery =\n    SELECT a\n\n      FROM b  \nid = sale_id\n[lines]\nx=1\n",
      "t.profile");
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 3);
  CHECK((*entries)[0].section == "sales");
  CHECK((*entries)[0].key == "query");
  CHECK((*entries)[0].value == "SELECT a\n\n      FROM b");
  CHECK((*entries)[0].line == 3);
  CHECK((*entries)[1].value == "sale_id");
  CHECK((*entries)[2].section == "lines");
  CHECK((*entries)[2].value == "1");
}

TEST_CASE("profile text errors name the file and the line") {
  struct Case {
    const char* text;
    const char* expected;
  } cases[] = {
      {"key = 1\n", "line 1: key 'key' is outside any [section]"},
      {"[a]\nnot a key\n", "line 2: expected 'key = value'"},
      {"[a]\n  indented\n", "line 2: indented line does not continue a key"},
      {"[a]\nk = 1\n# c\n  more\n", "line 4: indented line"},
      {"[a]\nk = 1\nk = 2\n", "line 3: key 'k' appears twice in [a]"},
      {"[a b]\n", "line 1: section name"},
      {"[a\n", "line 1: section header must end with ']'"},
  };
  for (const auto& c : cases) {
    auto entries = ParseProfileText(c.text, "my.profile");
    REQUIRE_MESSAGE(!entries.ok(), c.text);
    CHECK_MESSAGE(Contains(entries.status().message(), std::string("my.profile ") + c.expected),
                  entries.status().message());
  }
}

TEST_CASE("the built-in profiles parse; ospos and demo are complete") {
  auto names = BuiltinProfileNames();
  REQUIRE(names.size() == 3);
  for (const char* name : {"ospos", "demo"}) {
    SqlSourceOptions options;
    options.profile = name;
    auto profile = LoadPosProfile(options);
    REQUIRE_MESSAGE(profile.ok(), name, " ", profile.status().ToString());
    CHECK(profile->name == name);
    CHECK(!profile->sales.sql.empty());
    CHECK(!profile->lines.sql.empty());
    CHECK(!profile->payments.sql.empty());
    CHECK(!profile->requires_columns.empty());
  }
  SqlSourceOptions ospos;
  ospos.profile = "ospos";
  auto profile = LoadPosProfile(ospos);
  REQUIRE(profile.ok());
  CHECK(profile->connector == SqlConnector::kMySql);
  CHECK(profile->amounts == AmountUnit::kMajor);
  CHECK(profile->sales.Column("customer_phone") == "customer_phone");
  CHECK(profile->coupons.sql.empty());

  SqlSourceOptions demo;
  demo.profile = "demo";
  auto demo_profile = LoadPosProfile(demo);
  REQUIRE(demo_profile.ok());
  CHECK(demo_profile->MapState("paid") == PosState::kCompleted);
  CHECK(demo_profile->MapState(" Discarded ") == PosState::kVoided);
  CHECK(demo_profile->MapState("open") == PosState::kIgnored);
  CHECK(
      !demo_profile->MapState("completed").has_value());  // mapped profiles only know their values
}

TEST_CASE("the generic template says what to fill in") {
  SqlSourceOptions options;
  options.profile = "generic";
  auto profile = LoadPosProfile(options);
  REQUIRE(!profile.ok());
  CHECK(Contains(profile.status().message(), "has no [sales] query"));
  CHECK(Contains(profile.status().message(), "docs/pos-profiles.md"));

  // Config-only: the template plus query overrides is a working profile.
  options.sales_query = "SELECT id, state, occurred_at, total FROM sales";
  options.lines_query = "SELECT sale_id, quantity, unit_price FROM lines";
  auto filled = LoadPosProfile(options);
  REQUIRE_MESSAGE(filled.ok(), filled.status().ToString());
  CHECK(filled->sales.sql == options.sales_query);
}

TEST_CASE("profile files: relative paths, unknown names and bad content") {
  testing::TempDir dir;
  {
    std::ofstream out(dir.File("shop.profile"));
    out << "[profile]\nname = shop\nconnector = postgresql\n"
           "[sales]\nquery = SELECT 1 AS id, 'completed' AS state, now() AS occurred_at, 5 AS "
           "total;\n"
           "total = total\n";
  }
  SqlSourceOptions options;
  options.base_dir = dir.path();
  options.profile = "shop.profile";
  auto profile = LoadPosProfile(options);
  REQUIRE_MESSAGE(profile.ok(), profile.status().ToString());
  CHECK(profile->name == "shop");
  CHECK(profile->connector == SqlConnector::kPostgreSql);

  options.profile = "squareish";
  auto unknown = LoadPosProfile(options);
  REQUIRE(!unknown.ok());
  CHECK(Contains(unknown.status().message(), "no built-in profile named 'squareish'"));
  CHECK(Contains(unknown.status().message(), "demo, generic, ospos"));

  options.profile = "missing/shop.profile";
  auto missing = LoadPosProfile(options);
  REQUIRE(!missing.ok());
  CHECK(Contains(missing.status().message(), "cannot read POS profile file"));
}

TEST_CASE("profile content errors are specific") {
  struct Case {
    const char* text;
    const char* expected;
  } cases[] = {
      {"[sales]\nquery = DELETE FROM sales\n", "must be a SELECT"},
      {"[sales]\nquery = SELECT 1; DROP TABLE x\n", "without ';'"},
      {"[sales]\nquery = SELECT 1\ncolour = red\n", "unknown field 'colour' in [sales]"},
      {"[sales]\nquery = SELECT 1\nid = sale id\n", "a column name must be"},
      {"[sales]\nid_type = uuid\n", "id_type must be 'integer' or 'text'"},
      {"[profile]\nconnector = oracle\n", "connector must be sqlite, mysql, postgresql or odbc"},
      {"[profile]\namounts = cents\n", "amounts must be 'major'"},
      {"[profile]\ntimes = store\n", "times must be 'local' or 'utc'"},
      {"[profile]\nvendor = x\n", "unknown key 'vendor' in [profile]"},
      {"[states]\nfinished = 1\n", "unknown state 'finished'"},
      {"[states]\ncompleted = 1\nvoided = 1\n", "mapped to two different states"},
      {"[requires]\nsales = id, bad-name\n", "'bad-name' is not a column name"},
      {"[tables]\nx = 1\n", "unknown section [tables]"},
      {"[profile]\nprices = incl\n", "prices must be 'net'"},
      {"[profile]\ntip_in_total = maybe\n", "tip_in_total must be 'yes' or 'no'"},
      {"[sales]\ncursor_type = uuid\n", "cursor_type must be 'timestamp', 'integer' or 'text'"},
      {"[held]\nquery = SELECT 1\nlines = x\n", "unknown field 'lines' in [held]"},
  };
  for (const auto& c : cases) {
    auto profile = ParsePosProfile(c.text, "x.profile");
    REQUIRE_MESSAGE(!profile.ok(), c.text);
    CHECK_MESSAGE(Contains(profile.status().message(), c.expected), profile.status().message());
    CHECK(Contains(profile.status().message(), "x.profile"));
  }
  // Semicolons in strings and comments are fine.
  auto quoted = ParsePosProfile(
      "[sales]\nquery =\n  SELECT ';' AS a -- x; y\n  /* ; */ FROM t WHERE b = \"c;d\"\n", "q");
  CHECK_MESSAGE(quoted.ok(), quoted.status().ToString());
  // A query that starts with comments is still recognised as a SELECT.
  auto commented = ParsePosProfile("[sales]\nquery =\n  -- all sales\n  /* x */ SELECT 1\n", "c");
  CHECK_MESSAGE(commented.ok(), commented.status().ToString());

  SqlSourceOptions options;
  options.profile = "demo";
  options.payments_query = "UPDATE ticket_payments SET amount_cents = 0";
  auto overridden = LoadPosProfile(options);
  REQUIRE(!overridden.ok());
  CHECK(Contains(overridden.status().message(), "pos.query.payments"));
}

TEST_CASE("net or gross prices, tips, refund links, a cursor column and a [held] query") {
  auto profile = ParsePosProfile(R"(
[profile]
prices = gross
tip_in_total = yes
[sales]
query = SELECT * FROM receipts
id_type = text
cursor = committed_at
cursor_type = timestamp
tip = gratuity
refund_of = original_receipt
[held]
query = SELECT basket_no AS id, amount, phone FROM parked
total = amount
customer_phone = phone
)",
                                 "p.profile");
  REQUIRE_MESSAGE(profile.ok(), profile.status().ToString());
  CHECK(profile->prices_include_tax);
  CHECK(profile->tip_in_total);
  CHECK(!profile->integer_ids);
  CHECK(!profile->integer_cursor);
  CHECK(profile->HasCursorColumn());
  CHECK(profile->sales.Column("cursor") == "committed_at");
  CHECK(profile->sales.Column("tip") == "gratuity");
  CHECK(profile->sales.Column("refund_of") == "original_receipt");
  CHECK(profile->held.Column("id") == "id");  // required fields default to their own name
  CHECK(profile->held.Column("total") == "amount");
  CHECK(!profile->held.Has("occurred_at"));

  auto defaults = ParsePosProfile("[sales]\nquery = SELECT 1\ncursor = seq\ncursor_type = integer\n",
                                  "d.profile");
  REQUIRE(defaults.ok());
  CHECK(!defaults->prices_include_tax);
  CHECK(!defaults->tip_in_total);
  CHECK(defaults->integer_cursor);
  CHECK(defaults->held.sql.empty());
}

}  // namespace
}  // namespace tillbridge::drivers
