#include "drivers/printer/receipt_template.h"

#include <doctest/doctest.h>

#include <fstream>
#include <regex>

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

TEST_CASE("the literal text a pattern needs is found, and never more than it needs") {
  CHECK(RequiredLiteral("^TOTAL\\s+(-?\\d[\\d,]*\\.\\d{2})$", false) == "TOTAL");
  CHECK(RequiredLiteral("^Receipt:\\s*(\\d+)$", false) == "Receipt:");
  CHECK(RequiredLiteral("^(\\d+) x (.+?) @(\\d+\\.\\d{2})\\s+(\\d+)$", false) == " x ");
  CHECK(RequiredLiteral("Sales tax [\\d.]+%", false) == "Sales tax ");
  CHECK(RequiredLiteral("colou?r", false) == "colo");  // the u may be missing
  CHECK(RequiredLiteral("ab*c", false) == "a");
  CHECK(RequiredLiteral("ab+c", false) == "ab");
  CHECK(RequiredLiteral("x{2}yz", false) == "yz");
  CHECK(RequiredLiteral("Total\\.?", false) == "Total");
  CHECK(RequiredLiteral("\\$\\s*12", false) == "12");  // the longer of two
  CHECK(RequiredLiteral("^(?:grand\\s+)?total", false) == "total");
  CHECK(RequiredLiteral("TOTAL|SUMME", false).empty());          // either may be there
  CHECK(RequiredLiteral("(TOTAL|SUMME) (\\d+)", false) == " ");  // alternation inside is fine
  CHECK(RequiredLiteral("[A-Z]+\\d", false).empty());
  CHECK(RequiredLiteral("Grand Total", true) == "grand total");
  CHECK(RequiredLiteral("Müller", true).empty());  // no ASCII-only folding for ü
  CHECK(RequiredLiteral("Müller", false) == "Müller");

  FieldRule rule;
  rule.literal = "grand total";
  rule.literal_ignores_case = true;
  CHECK(MayMatch(rule, "  GRAND TOTAL 12.00"));
  CHECK_FALSE(MayMatch(rule, "SUBTOTAL 12.00"));
}

TEST_CASE("skipping lines by their literal never changes what a rule matches") {
  // Every rule of the shipped templates against lines that match, nearly
  // match and do not: the plain search must never rule out a line the
  // regular expression accepts.
  auto loaded =
      LoadReceiptTemplates(std::string(TILLBRIDGE_SOURCE_DIR) + "/examples/receipt-templates");
  REQUIRE(loaded.ok());
  const std::vector<std::string> lines = {"TOTAL 16.71",
                                          "  total due: $ 12.00",
                                          "Grand Total 3.00",
                                          "SUMME EUR 27,50",
                                          "Receipt: 100101",
                                          "Beleg-Nr. 2077",
                                          "2 x Apples 1kg @3.49       6.98",
                                          "2x Café Crème 7,60 €",
                                          "Sales tax 8.25%  1.27",
                                          "MwSt 19% 4,39",
                                          "Customer phone: (415) 555-0134",
                                          "Member: M-20417",
                                          "Coupon: SAVE10",
                                          "Cash 16.71",
                                          "Card payment 16.71",
                                          "Bar 27,50",
                                          "*** REFUND ***",
                                          "*** VOID ***",
                                          "Date: 2026-03-14 15:09",
                                          "14.03.2026 12:30",
                                          "Cashier: Dana",
                                          "Subtotal 15.44",
                                          "",
                                          "TOTAL",
                                          "total",
                                          "X-REPORT SHIFT 3"};
  int rules = 0;
  int matches = 0;
  for (const auto& t : *loaded) {
    std::vector<const FieldRule*> all = {&t.match};
    for (const auto* group :
         {&t.skip_when, &t.refund_when, &t.void_when, &t.receipt_number, &t.datetime, &t.subtotal,
          &t.total, &t.phone, &t.loyalty, &t.cashier, &t.tax, &t.tender, &t.line, &t.coupon}) {
      for (const auto& rule : *group) all.push_back(&rule);
    }
    for (const FieldRule* rule : all) {
      ++rules;
      for (const auto& line : lines) {
        const bool matched = std::regex_search(line, *rule->regex);
        matches += matched ? 1 : 0;
        CAPTURE(rule->pattern);
        CAPTURE(line);
        if (matched) CHECK(MayMatch(*rule, line));
      }
    }
  }
  CHECK(rules > 30);
  CHECK(matches > 20);
}

}  // namespace
}  // namespace tillbridge::drivers
