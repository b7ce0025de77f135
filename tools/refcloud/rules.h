// The reference cloud's message rules and sending numbers as data: a JSON
// document (docs/messages.md, "Rules file") read at start-up (--rules FILE,
// else the built-in rules.default.json) and replaceable at runtime
// (PUT /admin/rules). Parsing checks everything once, so the rules engine
// never meets a rule it cannot run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tillbridge::refcloud {

inline constexpr const char* kTransactional = "transactional";
inline constexpr const char* kMarketing = "marketing";

// A number the cloud texts from, and what the carriers registered it for.
struct SendingNumber {
  std::string number;                       // E.164, or a 5-6 digit short code
  std::string type;                         // short_code | 10dlc | toll_free
  std::vector<std::string> registered_for;  // transactional and/or marketing
  // Whether messages of `purpose` may go out on this number.
  bool RegisteredFor(const std::string& purpose) const;
};

// The coupon a rule's message carries: a percentage or an amount off.
struct CouponSpec {
  std::int64_t percent = 0;       // 1-100, or 0 when amount_minor is set
  std::int64_t amount_minor = 0;  // in the sale's currency (USD when unknown)
  std::int64_t validity_days = 30;
};

// What a rule's trigger looks at; unused fields keep their defaults.
struct RuleParams {
  std::int64_t min_unit_price_minor = 0;  // high_ticket_sale: a line at least this dear
  std::vector<std::string> skus;          // high_ticket_sale: or one of these SKUs
  std::vector<std::string> categories;    // high_ticket_sale: or one of these categories
  std::int64_t delay_hours = 48;          // high_ticket_sale: sent this long after the sale
  std::int64_t days = 60;                 // lapsed_customer: no purchase for this long
};

// One rule. `id` is also the message kind in the message log.
struct Rule {
  std::string id;
  std::string campaign;  // "cmp_..."
  std::string purpose;   // transactional | marketing
  std::string trigger;   // see kTriggers in rules.cpp and docs/messages.md
  RuleParams params;
  std::string message;  // template with {brand}, {item}, {code}, {upc}, {total}, ...
  std::optional<CouponSpec> coupon;
  std::string number;  // a number from RuleSet::numbers, or "" for the first one allowed
  bool enabled = true;
};

// A checked rules document: every rule's number is one of `numbers`, ids
// are unique, templates use known placeholders only.
struct RuleSet {
  std::vector<SendingNumber> numbers;
  std::vector<Rule> rules;

  // The enabled rules with `trigger`, in file order.
  std::vector<const Rule*> ForTrigger(const std::string& trigger) const;
  // The number called `number`, or nullptr.
  const SendingNumber* FindNumber(const std::string& number) const;
  // The first number registered for `purpose`, or nullptr.
  const SendingNumber* FirstNumberFor(const std::string& purpose) const;
};

// Parses and checks a rules document. InvalidArgument naming the place,
// e.g. "rules[2].purpose: must be transactional or marketing".
Result<RuleSet> ParseRuleSet(std::string_view json);

// The document form of `rules` (what GET /admin/rules answers).
std::string RuleSetJson(const RuleSet& rules);

// The built-in rules: tools/refcloud/rules.default.json, embedded at build time.
std::string_view DefaultRulesJson();

// `text` with every {name} replaced by its value from `values`; unknown
// placeholders stay as written.
std::string FillTemplate(const std::string& text,
                         const std::vector<std::pair<std::string, std::string>>& values);

}  // namespace tillbridge::refcloud
