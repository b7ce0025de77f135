#include "tools/refcloud/rules.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <set>
#include <sstream>

namespace tillbridge::refcloud {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

const std::set<std::string>& Triggers() {
  static const std::set<std::string> triggers = {
      "sale",         "high_ticket_sale", "basket_abandoned",
      "tier_upgrade", "loyalty_balance",  "lapsed_customer"};
  return triggers;
}

const std::set<std::string>& Placeholders() {
  static const std::set<std::string> names = {"brand",  "total", "pos_id",    "item", "sku",
                                              "code",   "upc",   "offer",     "tier", "points",
                                              "earned", "days",  "valid_days"};
  return names;
}

// Placeholders that only a message carrying a coupon can fill.
bool NeedsCoupon(const std::string& name) {
  return name == "code" || name == "upc" || name == "offer" || name == "valid_days";
}

bool IsSlug(const std::string& text) {
  return !text.empty() && text.size() <= 64 &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
         });
}

bool IsNumberText(const std::string& number, const std::string& type) {
  const auto digits = [](std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (type == "short_code") return (number.size() == 5 || number.size() == 6) && digits(number);
  return number.size() >= 9 && number.size() <= 16 && number[0] == '+' && number[1] != '0' &&
         digits(std::string_view(number).substr(1));
}

// Reads one JSON document's members with their place in the document, and
// keeps the first problem.
class Reader {
 public:
  std::string error;

  bool Fail(const std::string& path, const std::string& message) {
    if (error.empty()) error = path + ": " + message;
    return false;
  }

  bool Keys(const Object::Ptr& object, const std::string& path,
            const std::set<std::string>& allowed) {
    for (const auto& [key, value] : *object) {
      if (allowed.count(key) == 0) return Fail(path + "." + key, "unknown field");
    }
    return true;
  }

  bool Text(const Object::Ptr& object, const std::string& name, const std::string& path,
            bool required, std::string* out) {
    if (!object->has(name) || object->get(name).isEmpty()) {
      return required ? Fail(path + "." + name, "is missing") : true;
    }
    if (!object->get(name).isString()) return Fail(path + "." + name, "must be a string");
    *out = object->getValue<std::string>(name);
    if (required && out->empty()) return Fail(path + "." + name, "must not be empty");
    return true;
  }

  bool Int(const Object::Ptr& object, const std::string& name, const std::string& path,
           std::int64_t min, std::int64_t max, std::int64_t* out) {
    if (!object->has(name)) return true;
    const Poco::Dynamic::Var& value = object->get(name);
    if (!value.isInteger()) return Fail(path + "." + name, "must be a whole number");
    const auto number = value.convert<std::int64_t>();
    if (number < min || number > max) {
      return Fail(path + "." + name,
                  "must be from " + std::to_string(min) + " to " + std::to_string(max));
    }
    *out = number;
    return true;
  }

  bool Texts(const Object::Ptr& object, const std::string& name, const std::string& path,
             std::vector<std::string>* out) {
    if (!object->has(name)) return true;
    Array::Ptr list = object->getArray(name);
    if (!list) return Fail(path + "." + name, "must be an array of strings");
    for (unsigned i = 0; i < list->size(); ++i) {
      if (!list->get(i).isString() || list->getElement<std::string>(i).empty()) {
        return Fail(path + "." + name + "[" + std::to_string(i) + "]",
                    "must be a non-empty string");
      }
      out->push_back(list->getElement<std::string>(i));
    }
    return true;
  }
};

bool ReadNumber(Reader& reader, const Object::Ptr& object, const std::string& path,
                SendingNumber* number) {
  if (!reader.Keys(object, path, {"number", "type", "registered_for"})) return false;
  if (!reader.Text(object, "type", path, true, &number->type)) return false;
  if (number->type != "short_code" && number->type != "10dlc" && number->type != "toll_free") {
    return reader.Fail(path + ".type", "must be short_code, 10dlc or toll_free");
  }
  if (!reader.Text(object, "number", path, true, &number->number)) return false;
  if (!IsNumberText(number->number, number->type)) {
    return reader.Fail(path + ".number", number->type == "short_code"
                                             ? "a short code is 5 or 6 digits"
                                             : "must be E.164, e.g. +18005550199");
  }
  if (!reader.Texts(object, "registered_for", path, &number->registered_for)) return false;
  if (number->registered_for.empty()) {
    return reader.Fail(path + ".registered_for", "must name transactional and/or marketing");
  }
  for (size_t i = 0; i < number->registered_for.size(); ++i) {
    const std::string& purpose = number->registered_for[i];
    if (purpose != kTransactional && purpose != kMarketing) {
      return reader.Fail(path + ".registered_for[" + std::to_string(i) + "]",
                         "must be transactional or marketing");
    }
  }
  return true;
}

bool ReadCoupon(Reader& reader, const Object::Ptr& rule, const std::string& path,
                std::optional<CouponSpec>* out) {
  if (!rule->has("coupon") || rule->get("coupon").isEmpty()) return true;
  Object::Ptr object = rule->getObject("coupon");
  if (!object) return reader.Fail(path, "must be an object");
  if (!reader.Keys(object, path, {"percent", "amount_minor", "validity_days"})) return false;
  CouponSpec coupon;
  if (!reader.Int(object, "percent", path, 1, 100, &coupon.percent) ||
      !reader.Int(object, "amount_minor", path, 1, 100'000'000, &coupon.amount_minor) ||
      !reader.Int(object, "validity_days", path, 1, 3650, &coupon.validity_days)) {
    return false;
  }
  if ((coupon.percent == 0) == (coupon.amount_minor == 0)) {
    return reader.Fail(path, "needs exactly one of percent and amount_minor");
  }
  *out = coupon;
  return true;
}

bool ReadParams(Reader& reader, const Object::Ptr& rule, const std::string& path,
                const std::string& trigger, RuleParams* params) {
  Object::Ptr object;
  if (rule->has("params") && !rule->get("params").isEmpty()) {
    object = rule->getObject("params");
    if (!object) return reader.Fail(path, "must be an object");
  } else {
    object = new Object();
  }
  std::set<std::string> allowed;
  if (trigger == "high_ticket_sale") {
    allowed = {"min_unit_price_minor", "skus", "categories", "delay_hours"};
  } else if (trigger == "lapsed_customer") {
    allowed = {"days"};
  }
  if (!reader.Keys(object, path, allowed)) return false;
  if (!reader.Int(object, "min_unit_price_minor", path, 0, 100'000'000,
                  &params->min_unit_price_minor) ||
      !reader.Texts(object, "skus", path, &params->skus) ||
      !reader.Texts(object, "categories", path, &params->categories) ||
      !reader.Int(object, "delay_hours", path, 0, 24 * 365, &params->delay_hours) ||
      !reader.Int(object, "days", path, 1, 3650, &params->days)) {
    return false;
  }
  if (trigger == "high_ticket_sale" && params->min_unit_price_minor == 0 && params->skus.empty() &&
      params->categories.empty()) {
    return reader.Fail(path,
                       "a high_ticket_sale rule needs min_unit_price_minor, skus or "
                       "categories");
  }
  return true;
}

bool CheckTemplate(Reader& reader, const Rule& rule, const std::string& path) {
  size_t at = 0;
  while ((at = rule.message.find('{', at)) != std::string::npos) {
    const size_t end = rule.message.find('}', at);
    if (end == std::string::npos) return reader.Fail(path, "has a { without its }");
    const std::string name = rule.message.substr(at + 1, end - at - 1);
    if (Placeholders().count(name) == 0) {
      return reader.Fail(path, "unknown placeholder {" + name + "}");
    }
    if (NeedsCoupon(name) && !rule.coupon) {
      return reader.Fail(path, "{" + name + "} needs the rule to carry a coupon");
    }
    at = end + 1;
  }
  return true;
}

bool ReadRule(Reader& reader, const Object::Ptr& object, const std::string& path,
              const RuleSet& set, Rule* rule) {
  if (!reader.Keys(object, path,
                   {"id", "campaign", "purpose", "trigger", "params", "message", "coupon", "number",
                    "enabled"})) {
    return false;
  }
  if (!reader.Text(object, "id", path, true, &rule->id)) return false;
  if (!IsSlug(rule->id)) return reader.Fail(path + ".id", "use a-z, 0-9, _ and - (at most 64)");
  if (!reader.Text(object, "campaign", path, true, &rule->campaign)) return false;
  if (!IsSlug(rule->campaign)) {
    return reader.Fail(path + ".campaign", "use a-z, 0-9, _ and - (at most 64), e.g. cmp_winback");
  }
  if (!reader.Text(object, "purpose", path, true, &rule->purpose)) return false;
  if (rule->purpose != kTransactional && rule->purpose != kMarketing) {
    return reader.Fail(path + ".purpose", "must be transactional or marketing");
  }
  if (!reader.Text(object, "trigger", path, true, &rule->trigger)) return false;
  if (Triggers().count(rule->trigger) == 0) {
    return reader.Fail(path + ".trigger",
                       "must be one of sale, high_ticket_sale, basket_abandoned, tier_upgrade, "
                       "loyalty_balance, lapsed_customer");
  }
  if (!ReadParams(reader, object, path + ".params", rule->trigger, &rule->params)) return false;
  if (!ReadCoupon(reader, object, path + ".coupon", &rule->coupon)) return false;
  if (!reader.Text(object, "message", path, true, &rule->message)) return false;
  if (!CheckTemplate(reader, *rule, path + ".message")) return false;
  if (!reader.Text(object, "number", path, false, &rule->number)) return false;
  if (!rule->number.empty() && set.FindNumber(rule->number) == nullptr) {
    return reader.Fail(path + ".number", "is not one of the numbers listed under numbers");
  }
  if (object->has("enabled")) {
    if (!object->get("enabled").isBoolean())
      return reader.Fail(path + ".enabled", "must be true or false");
    rule->enabled = object->getValue<bool>("enabled");
  }
  for (const Rule& other : set.rules) {
    if (other.id == rule->id) return reader.Fail(path + ".id", "'" + rule->id + "' is used twice");
  }
  return true;
}

Array::Ptr TextArray(const std::vector<std::string>& texts) {
  Array::Ptr list = new Array();
  for (const auto& text : texts) list->add(text);
  return list;
}

}  // namespace

bool SendingNumber::RegisteredFor(const std::string& purpose) const {
  return std::find(registered_for.begin(), registered_for.end(), purpose) != registered_for.end();
}

std::vector<const Rule*> RuleSet::ForTrigger(const std::string& trigger) const {
  std::vector<const Rule*> out;
  for (const Rule& rule : rules) {
    if (rule.enabled && rule.trigger == trigger) out.push_back(&rule);
  }
  return out;
}

const SendingNumber* RuleSet::FindNumber(const std::string& number) const {
  for (const SendingNumber& candidate : numbers) {
    if (candidate.number == number) return &candidate;
  }
  return nullptr;
}

const SendingNumber* RuleSet::FirstNumberFor(const std::string& purpose) const {
  for (const SendingNumber& candidate : numbers) {
    if (candidate.RegisteredFor(purpose)) return &candidate;
  }
  return nullptr;
}

Result<RuleSet> ParseRuleSet(std::string_view json) {
  Object::Ptr root;
  try {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var parsed = parser.parse(std::string(json));
    if (parsed.type() == typeid(Object::Ptr)) root = parsed.extract<Object::Ptr>();
  } catch (const Poco::Exception& error) {
    return Status::InvalidArgument("the rules are not JSON: " + error.displayText());
  }
  if (!root) return Status::InvalidArgument("the rules must be a JSON object");
  Reader reader;
  RuleSet set;
  if (!reader.Keys(root, "rules file", {"numbers", "rules"})) {
    return Status::InvalidArgument(reader.error);
  }
  Array::Ptr numbers = root->getArray("numbers");
  if (!numbers) return Status::InvalidArgument("numbers: must be an array");
  for (unsigned i = 0; i < numbers->size(); ++i) {
    const std::string path = "numbers[" + std::to_string(i) + "]";
    Object::Ptr object = numbers->getObject(i);
    if (!object) return Status::InvalidArgument(path + ": must be an object");
    SendingNumber number;
    if (!ReadNumber(reader, object, path, &number)) return Status::InvalidArgument(reader.error);
    if (set.FindNumber(number.number) != nullptr) {
      return Status::InvalidArgument(path + ".number: '" + number.number + "' is listed twice");
    }
    set.numbers.push_back(std::move(number));
  }
  Array::Ptr rules = root->getArray("rules");
  if (!rules) return Status::InvalidArgument("rules: must be an array");
  for (unsigned i = 0; i < rules->size(); ++i) {
    const std::string path = "rules[" + std::to_string(i) + "]";
    Object::Ptr object = rules->getObject(i);
    if (!object) return Status::InvalidArgument(path + ": must be an object");
    Rule rule;
    if (!ReadRule(reader, object, path, set, &rule)) return Status::InvalidArgument(reader.error);
    set.rules.push_back(std::move(rule));
  }
  return set;
}

std::string RuleSetJson(const RuleSet& set) {
  Object::Ptr root = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  Array::Ptr numbers = new Array();
  for (const SendingNumber& number : set.numbers) {
    Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    entry->set("number", number.number);
    entry->set("type", number.type);
    entry->set("registered_for", TextArray(number.registered_for));
    numbers->add(entry);
  }
  root->set("numbers", numbers);
  Array::Ptr rules = new Array();
  for (const Rule& rule : set.rules) {
    Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    entry->set("id", rule.id);
    entry->set("campaign", rule.campaign);
    entry->set("purpose", rule.purpose);
    entry->set("trigger", rule.trigger);
    Object::Ptr params = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    if (rule.trigger == "high_ticket_sale") {
      params->set("min_unit_price_minor", rule.params.min_unit_price_minor);
      params->set("skus", TextArray(rule.params.skus));
      params->set("categories", TextArray(rule.params.categories));
      params->set("delay_hours", rule.params.delay_hours);
    } else if (rule.trigger == "lapsed_customer") {
      params->set("days", rule.params.days);
    }
    entry->set("params", params);
    entry->set("message", rule.message);
    if (rule.coupon) {
      Object::Ptr coupon = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      if (rule.coupon->percent > 0) coupon->set("percent", rule.coupon->percent);
      if (rule.coupon->amount_minor > 0) coupon->set("amount_minor", rule.coupon->amount_minor);
      coupon->set("validity_days", rule.coupon->validity_days);
      entry->set("coupon", coupon);
    }
    if (!rule.number.empty()) entry->set("number", rule.number);
    entry->set("enabled", rule.enabled);
    rules->add(entry);
  }
  root->set("rules", rules);
  std::ostringstream out;
  root->stringify(out);
  return out.str();
}

std::string FillTemplate(const std::string& text,
                         const std::vector<std::pair<std::string, std::string>>& values) {
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t open = text.find('{', at);
    const size_t close = open == std::string::npos ? open : text.find('}', open);
    if (close == std::string::npos) break;
    out.append(text, at, open - at);
    const std::string name = text.substr(open + 1, close - open - 1);
    auto it = std::find_if(values.begin(), values.end(),
                           [&](const auto& value) { return value.first == name; });
    out += it == values.end() ? text.substr(open, close - open + 1) : it->second;
    at = close + 1;
  }
  if (at < text.size()) out.append(text, at);
  return out;
}

}  // namespace tillbridge::refcloud
