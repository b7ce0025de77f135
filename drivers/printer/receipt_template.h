// Receipt templates: per-POS rules (regular expressions with named fields)
// that pull a transaction out of a decoded receipt's text. The file format
// is described in docs/receipt-templates.md.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tillbridge::drivers {

// One field rule: a regular expression applied to each line of the receipt,
// and the names of its capture groups in order.
struct FieldRule {
  std::string pattern;  // as written in the file
  std::shared_ptr<const std::regex> regex;
  std::vector<std::string> groups;  // one name per capture group
  int line_number = 0;              // where the rule was defined
  // Text every line the pattern matches must contain (RequiredLiteral), so
  // most lines are passed over without running the regular expression;
  // empty when the pattern guarantees none.
  std::string literal;
  bool literal_ignores_case = false;
};

// The longest run of characters that every match of the ECMAScript
// `pattern` contains literally, or "" when there is none it can be sure of
// (top-level alternation, classes and optional characters end a run). With
// `ignore_case`, ASCII letters are lowered and a run with other bytes than
// ASCII is not used.
std::string RequiredLiteral(std::string_view pattern, bool ignore_case);

// Whether `line` contains `rule.literal` (true when the rule has none).
bool MayMatch(const FieldRule& rule, std::string_view line);

// The rules for one receipt layout. Copyable; regexes are shared.
struct ReceiptTemplate {
  std::string name;
  std::string origin;                // "file:line" of the [template] header
  FieldRule match;                   // required: the receipt uses this template when a line matches
  std::vector<FieldRule> skip_when;  // receipts that are no sale (reports, drawer)
  std::vector<FieldRule> refund_when;
  std::vector<FieldRule> void_when;
  // Scalar fields take the first matching line.
  std::vector<FieldRule> receipt_number, datetime, subtotal, total, phone, loyalty, cashier;
  // Loyalty points printed on a sale: earned with it, and the balance after.
  std::vector<FieldRule> points_earned, points_balance;
  // Repeating fields take every matching line (tax lines are summed).
  std::vector<FieldRule> tax, tender, line, coupon;
  std::string datetime_format = "%Y-%m-%d %H:%M:%S";
  char decimal_separator = '.';
  std::string currency;  // ISO 4217; empty: the tap's configured currency
  bool case_insensitive = false;
};

// Parses template definitions from `text`; `origin` names the text in
// errors ("pos.tbt"). Errors name the line and the problem, e.g.
// "pos.tbt:12: field 'total' needs exactly 1 capture group, found 2".
Result<std::vector<ReceiptTemplate>> ParseReceiptTemplates(std::string_view text,
                                                           std::string_view origin);

// Loads templates from a file, or from every *.tbt file of a folder in name
// order. An empty result is an error (a tap with no template is useless).
Result<std::vector<ReceiptTemplate>> LoadReceiptTemplates(const std::string& path);

}  // namespace tillbridge::drivers
