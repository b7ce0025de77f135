#include "drivers/printer/receipt_template.h"

#include <doctest/doctest.h>

#include <fstream>

#include "tests/test_util.h"

namespace tillbridge::drivers {
namespace {

Status ParseError(const std::string& text) {
  auto parsed = ParseReceiptTemplates(text, "pos.tbt");
  REQUIRE_FALSE(parsed.ok());
  return parsed.status();
}

const char kValid[] = R"(# comment
; another comment
[template shop]
match = ^SHOP$
total = ^TOTAL\s+(\S+)$
tax = ^TAX\s+(\S+)$
tax = ^VAT\s+(\S+)$
line = ^(\d+) (.+?) (\S+)$
line.groups = quantity, description, amount
tender = ^(CASH|CARD) (\S+)$
decimal_separator = ,
currency = EUR
datetime_format = %d/%m/%Y

[template other]
case_insensitive = true
match = ^other$
total = ^sum (\S+)$
)";

TEST_CASE("a valid file parses into templates in order") {
  auto parsed = ParseReceiptTemplates(kValid, "pos.tbt");
  REQUIRE(parsed.ok());
  REQUIRE(parsed->size() == 2);
  const ReceiptTemplate& shop = (*parsed)[0];
  CHECK(shop.name == "shop");
  CHECK(shop.origin == "pos.tbt:3");
  CHECK(shop.tax.size() == 2);
  CHECK(shop.line[0].groups == std::vector<std::string>{"quantity", "description", "amount"});
  CHECK(shop.tender[0].groups == std::vector<std::string>{"type", "amount"});
  CHECK(shop.decimal_separator == ',');
  CHECK(shop.currency == "EUR");
  CHECK(shop.datetime_format == "%d/%m/%Y");
  CHECK((*parsed)[1].case_insensitive);
  CHECK(std::regex_search("OTHER", *(*parsed)[1].match.regex));
}

TEST_CASE("bad files get errors that name the line and the problem") {
  CHECK(ParseError("").message() == "pos.tbt: no [template NAME] section found");
  CHECK(ParseError("match = x").message() ==
        "pos.tbt:1: key before the first [template NAME] section");
  CHECK(ParseError("[template a]\nmatch = a\ntotl = (x)").message() ==
        "pos.tbt:3: unknown key 'totl'");
  CHECK(ParseError("[template a]\nmatch = a\ntotal = (x")
            .message()
            .rfind("pos.tbt:3: invalid regular expression for 'total'", 0) == 0);
  CHECK(ParseError("[template a]\nmatch = a\ntotal = (x)(y)").message() ==
        "pos.tbt:3: field 'total' has 2 capture group(s) but needs 1 (value); use (?:...) for "
        "groups that capture nothing");
  CHECK(ParseError("[template a]\nmatch = a\ntotal = x").message().find("has 0 capture") !=
        std::string::npos);
  CHECK(ParseError("[template a]\ntotal = (x)").message() ==
        "pos.tbt: template 'a' (pos.tbt:1) has no 'match' pattern");
  CHECK(ParseError("[template a]\nmatch = a").message() ==
        "pos.tbt: template 'a' (pos.tbt:1) has no 'total' pattern");
  CHECK(
      ParseError(
          "[template a]\nmatch = a\ntotal = (x)\nline = (a) (b)\nline.groups = description, price")
          .message() == "pos.tbt:4: field 'line' has no group named 'price'");
  CHECK(ParseError("[template a]\nmatch = a\ntotal = (x)\nline = (a)\nline.groups = description")
            .message() == "pos.tbt:4: field 'line' needs a group named 'amount' or 'unit_price'");
  CHECK(ParseError("[template a]\nmatch = a\ntotal = (x)\ntender = (a)")
            .message()
            .rfind("pos.tbt:4: field 'tender' has 1 capture group(s) but needs 2 (type, amount)",
                   0) == 0);
  CHECK(ParseError("[template a]\nmatch = a\ntotal = (x)\nline.groups = a").message() ==
        "pos.tbt:4: 'line.groups' must follow a 'line = ...' line");
  CHECK(ParseError("[template a]\nmatch = a\ntotal = (x)\n[template a]\nmatch = b\ntotal = (y)")
            .message() == "pos.tbt:4: template 'a' is defined twice");
  CHECK(ParseError("[templat a]").message() ==
        "pos.tbt:1: expected [template NAME], got [templat a]");
  CHECK(ParseError("[template a").message() == "pos.tbt:1: section header must end with ']'");
  CHECK(ParseError("[template a]\nno equals sign").message() ==
        "pos.tbt:2: expected 'key = value', '[template NAME]' or a # comment");
  CHECK(ParseError("[template a]\ndecimal_separator = ;").message() ==
        "pos.tbt:2: decimal_separator must be '.' or ',', got ';'");
  CHECK(ParseError("[template a]\ncurrency = euro").message() ==
        "pos.tbt:2: currency must be an ISO 4217 code such as EUR, got 'euro'");
  CHECK(ParseError("[template a]\nmatch = a\ncase_insensitive = true").message() ==
        "pos.tbt:3: case_insensitive must come before the first pattern");
  CHECK(ParseError("[template a]\nmatch =").message() ==
        "pos.tbt:2: 'match' needs a regular expression");
}

TEST_CASE("templates load from a folder in name order and names must be unique") {
  testing::TempDir dir;
  std::ofstream(dir.File("20-b.tbt")) << "[template b]\nmatch = b\ntotal = (x)\n";
  std::ofstream(dir.File("10-a.tbt")) << "[template a]\nmatch = a\ntotal = (x)\n";
  std::ofstream(dir.File("notes.txt")) << "not a template";
  auto loaded = LoadReceiptTemplates(dir.path().string());
  REQUIRE(loaded.ok());
  REQUIRE(loaded->size() == 2);
  CHECK((*loaded)[0].name == "a");
  CHECK((*loaded)[1].name == "b");

  std::ofstream(dir.File("30-dup.tbt")) << "[template a]\nmatch = c\ntotal = (x)\n";
  auto duplicate = LoadReceiptTemplates(dir.path().string());
  REQUIRE_FALSE(duplicate.ok());
  CHECK(duplicate.status().message() == "30-dup.tbt:1: template 'a' is also defined at 10-a.tbt:1");

  CHECK(LoadReceiptTemplates(dir.File("missing.tbt")).status().code() == StatusCode::kNotFound);
  testing::TempDir empty;
  CHECK(LoadReceiptTemplates(empty.path().string()).status().message().find("no *.tbt") !=
        std::string::npos);
}

TEST_CASE("the shipped example templates load") {
  auto loaded =
      LoadReceiptTemplates(std::string(TILLBRIDGE_SOURCE_DIR) + "/examples/receipt-templates");
  REQUIRE_MESSAGE(loaded.ok(), loaded.status().ToString());
  REQUIRE(loaded->size() >= 3);
  CHECK(loaded->back().name == "generic");
}

}  // namespace
}  // namespace tillbridge::drivers
