#include "drivers/printer/receipt_template.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace tillbridge::drivers {
namespace {

std::string_view Trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  const auto end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

std::vector<std::string> SplitNames(std::string_view text) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    names.emplace_back(Trim(text.substr(start, comma - start)));
    start = comma + 1;
  }
  return names;
}

// Which capture-group names each field accepts, and the default names when
// the file gives none. "_" marks a group to ignore.
struct FieldKind {
  std::vector<std::string> default_groups;
  std::set<std::string> allowed;
  std::vector<std::string> required;  // at least one of these must be named
};

const std::map<std::string, FieldKind, std::less<>>& FieldKinds() {
  static const std::map<std::string, FieldKind, std::less<>> kKinds{
      {"match", {{}, {}, {}}},
      {"skip_when", {{}, {}, {}}},
      {"refund_when", {{}, {}, {}}},
      {"void_when", {{}, {}, {}}},
      {"receipt_number", {{"value"}, {"value"}, {"value"}}},
      {"datetime", {{"value"}, {"value"}, {"value"}}},
      {"subtotal", {{"value"}, {"value"}, {"value"}}},
      {"total", {{"value"}, {"value"}, {"value"}}},
      {"tax", {{"value"}, {"value"}, {"value"}}},
      {"phone", {{"value"}, {"value"}, {"value"}}},
      {"loyalty", {{"value"}, {"value"}, {"value"}}},
      {"points_earned", {{"value"}, {"value"}, {"value"}}},
      {"points_balance", {{"value"}, {"value"}, {"value"}}},
      {"cashier", {{"value"}, {"value"}, {"value"}}},
      {"coupon", {{"value"}, {"value"}, {"value"}}},
      {"tender", {{"type", "amount"}, {"type", "amount", "_"}, {"amount"}}},
      {"line",
       {{"description", "amount"},
        {"description", "quantity", "unit_price", "amount", "sku", "_"},
        {"description"}}},
  };
  return kKinds;
}

std::vector<FieldRule>* RulesFor(ReceiptTemplate& t, std::string_view field) {
  if (field == "skip_when") return &t.skip_when;
  if (field == "refund_when") return &t.refund_when;
  if (field == "void_when") return &t.void_when;
  if (field == "receipt_number") return &t.receipt_number;
  if (field == "datetime") return &t.datetime;
  if (field == "subtotal") return &t.subtotal;
  if (field == "total") return &t.total;
  if (field == "tax") return &t.tax;
  if (field == "phone") return &t.phone;
  if (field == "loyalty") return &t.loyalty;
  if (field == "points_earned") return &t.points_earned;
  if (field == "points_balance") return &t.points_balance;
  if (field == "cashier") return &t.cashier;
  if (field == "coupon") return &t.coupon;
  if (field == "tender") return &t.tender;
  if (field == "line") return &t.line;
  return nullptr;
}

class TemplateParser {
 public:
  explicit TemplateParser(std::string_view origin) : origin_(origin) {}

  Result<std::vector<ReceiptTemplate>> Parse(std::string_view text) {
    std::size_t pos = 0;
    while (pos <= text.size()) {
      auto newline = text.find('\n', pos);
      if (newline == std::string_view::npos) newline = text.size();
      ++line_number_;
      TB_RETURN_IF_ERROR(ParseLine(Trim(text.substr(pos, newline - pos))));
      pos = newline + 1;
    }
    TB_RETURN_IF_ERROR(FinishTemplate());
    if (templates_.empty()) return Error(0, "no [template NAME] section found");
    return std::move(templates_);
  }

 private:
  Status Error(int line, const std::string& message) const {
    std::string where(origin_);
    if (line > 0) {
      where += ':';
      where += std::to_string(line);
    }
    where += ": ";
    where += message;
    return Status::InvalidArgument(std::move(where));
  }

  Status ParseLine(std::string_view line) {
    if (line.empty() || line.front() == '#' || line.front() == ';') return Status::Ok();
    if (line.front() == '[') {
      if (line.back() != ']') return Error(line_number_, "section header must end with ']'");
      std::string_view inner = Trim(line.substr(1, line.size() - 2));
      if (inner.substr(0, 9) != "template " || Trim(inner.substr(9)).empty()) {
        return Error(line_number_, "expected [template NAME], got [" + std::string(inner) + "]");
      }
      TB_RETURN_IF_ERROR(FinishTemplate());
      current_.emplace();
      current_->name = std::string(Trim(inner.substr(9)));
      current_->origin = origin_ + ":" + std::to_string(line_number_);
      for (const auto& existing : templates_) {
        if (existing.name == current_->name) {
          return Error(line_number_, "template '" + current_->name + "' is defined twice");
        }
      }
      return Status::Ok();
    }
    const auto equals = line.find('=');
    if (equals == std::string_view::npos) {
      return Error(line_number_, "expected 'key = value', '[template NAME]' or a # comment");
    }
    if (!current_) return Error(line_number_, "key before the first [template NAME] section");
    const std::string key(Trim(line.substr(0, equals)));
    const std::string value(Trim(line.substr(equals + 1)));
    return SetKey(key, value);
  }

  Status SetKey(const std::string& key, const std::string& value) {
    ReceiptTemplate& t = *current_;
    if (key == "datetime_format") {
      if (value.empty()) return Error(line_number_, "datetime_format must not be empty");
      t.datetime_format = value;
      return Status::Ok();
    }
    if (key == "currency") {
      if (value.size() != 3 ||
          value.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos) {
        return Error(line_number_,
                     "currency must be an ISO 4217 code such as EUR, got '" + value + "'");
      }
      t.currency = value;
      return Status::Ok();
    }
    if (key == "decimal_separator") {
      if (value != "." && value != ",") {
        return Error(line_number_, "decimal_separator must be '.' or ',', got '" + value + "'");
      }
      t.decimal_separator = value[0];
      return Status::Ok();
    }
    if (key == "case_insensitive") {
      if (value != "true" && value != "false") {
        return Error(line_number_, "case_insensitive must be true or false, got '" + value + "'");
      }
      if (rule_count_ > 0) {
        return Error(line_number_, "case_insensitive must come before the first pattern");
      }
      t.case_insensitive = value == "true";
      return Status::Ok();
    }
    const auto dot = key.find('.');
    if (dot != std::string::npos && key.substr(dot) == ".groups") {
      const std::string field = key.substr(0, dot);
      FieldRule* rule = LastRule(field);
      if (rule == nullptr) {
        return Error(line_number_, "'" + key + "' must follow a '" + field + " = ...' line");
      }
      rule->groups = SplitNames(value);
      return Status::Ok();
    }
    const auto kind = FieldKinds().find(key);
    if (kind == FieldKinds().end()) return Error(line_number_, "unknown key '" + key + "'");
    if (value.empty()) return Error(line_number_, "'" + key + "' needs a regular expression");
    FieldRule rule;
    rule.pattern = value;
    rule.line_number = line_number_;
    rule.groups = kind->second.default_groups;
    try {
      auto flags = std::regex::ECMAScript | std::regex::optimize;
      if (t.case_insensitive) flags |= std::regex::icase;
      rule.regex = std::make_shared<const std::regex>(value, flags);
      rule.literal = RequiredLiteral(value, t.case_insensitive);
      rule.literal_ignores_case = t.case_insensitive;
    } catch (const std::regex_error& error) {
      return Error(line_number_, "invalid regular expression for '" + key + "': " + error.what());
    }
    ++rule_count_;
    if (key == "match") {
      if (t.match.regex) return Error(line_number_, "'match' is given twice");
      t.match = std::move(rule);
    } else {
      RulesFor(t, key)->push_back(std::move(rule));
    }
    last_field_ = key;
    return Status::Ok();
  }

  FieldRule* LastRule(const std::string& field) {
    if (field != last_field_ || field == "match") return nullptr;
    auto* rules = RulesFor(*current_, field);
    return rules == nullptr || rules->empty() ? nullptr : &rules->back();
  }

  Status CheckGroups(const std::string& field, const FieldRule& rule) const {
    const FieldKind& kind = FieldKinds().find(field)->second;
    const auto captures = static_cast<std::size_t>(rule.regex->mark_count());
    if (captures != rule.groups.size()) {
      std::string names;
      for (const auto& name : rule.groups) {
        if (!names.empty()) names += ", ";
        names += name;
      }
      return Error(rule.line_number, "field '" + field + "' has " + std::to_string(captures) +
                                         " capture group(s) but needs " +
                                         std::to_string(rule.groups.size()) + " (" + names +
                                         "); use (?:...) for groups that capture nothing");
    }
    std::set<std::string> seen;
    for (const auto& name : rule.groups) {
      if (!kind.allowed.count(name)) {
        return Error(rule.line_number, "field '" + field + "' has no group named '" + name + "'");
      }
      if (name != "_" && !seen.insert(name).second) {
        return Error(rule.line_number, "group '" + name + "' is named twice");
      }
    }
    for (const auto& name : kind.required) {
      if (!seen.count(name)) {
        return Error(rule.line_number, "field '" + field + "' needs a group named '" + name + "'");
      }
    }
    if (field == "line" && !seen.count("amount") && !seen.count("unit_price")) {
      return Error(rule.line_number, "field 'line' needs a group named 'amount' or 'unit_price'");
    }
    return Status::Ok();
  }

  Status FinishTemplate() {
    if (!current_) return Status::Ok();
    ReceiptTemplate& t = *current_;
    if (!t.match.regex) {
      return Error(0, "template '" + t.name + "' (" + t.origin + ") has no 'match' pattern");
    }
    if (t.total.empty()) {
      return Error(0, "template '" + t.name + "' (" + t.origin + ") has no 'total' pattern");
    }
    for (const auto& [field, kind] : FieldKinds()) {
      const auto* rules = RulesFor(t, field);
      if (rules == nullptr) continue;
      for (const auto& rule : *rules) TB_RETURN_IF_ERROR(CheckGroups(field, rule));
    }
    templates_.push_back(std::move(t));
    current_.reset();
    rule_count_ = 0;
    last_field_.clear();
    return Status::Ok();
  }

  std::string origin_;
  int line_number_ = 0;
  std::optional<ReceiptTemplate> current_;
  int rule_count_ = 0;
  std::string last_field_;
  std::vector<ReceiptTemplate> templates_;
};

Result<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read receipt templates from " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IoError("error reading " + path.string());
  return text.str();
}

}  // namespace

Result<std::vector<ReceiptTemplate>> ParseReceiptTemplates(std::string_view text,
                                                           std::string_view origin) {
  return TemplateParser(origin).Parse(text);
}

Result<std::vector<ReceiptTemplate>> LoadReceiptTemplates(const std::string& path) {
  std::error_code error;
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(path, error)) {
    for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
      if (entry.path().extension() == ".tbt") files.push_back(entry.path());
    }
    if (error) return Status::IoError("cannot list " + path + ": " + error.message());
    std::sort(files.begin(), files.end());
    if (files.empty()) return Status::NotFound("no *.tbt template files in " + path);
  } else {
    files.emplace_back(path);
  }
  std::vector<ReceiptTemplate> all;
  for (const auto& file : files) {
    auto text = ReadFile(file);
    if (!text.ok()) return text.status();
    auto parsed = ParseReceiptTemplates(*text, file.filename().string());
    if (!parsed.ok()) return parsed.status();
    for (auto& t : *parsed) {
      for (const auto& existing : all) {
        if (existing.name == t.name) {
          return Status::InvalidArgument(t.origin + ": template '" + t.name +
                                         "' is also defined at " + existing.origin);
        }
      }
      all.push_back(std::move(t));
    }
  }
  return all;
}

std::string RequiredLiteral(std::string_view pattern, bool ignore_case) {
  std::string best, run;
  auto end_run = [&] {
    if (run.size() > best.size()) best = run;
    run.clear();
  };
  int depth = 0;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (in_class) {
      if (c == '\\') {
        ++i;
      } else if (c == ']') {
        in_class = false;
      }
      continue;
    }
    if (c == '\\' && i + 1 < pattern.size()) {
      const char next = pattern[++i];
      const bool literal = !std::isalnum(static_cast<unsigned char>(next));
      if (depth == 0 && literal) {
        run.push_back(next);
      } else if (depth == 0) {
        end_run();  // \d, \s, \b, \x41, ...: not one known character
      }
      continue;
    }
    switch (c) {
      case '[':
        in_class = true;
        if (depth == 0) end_run();
        continue;
      case '(':
        if (depth == 0) end_run();
        ++depth;
        continue;
      case ')':
        if (depth > 0) --depth;
        continue;
      case '|':
        // An alternative at the top may hold none of the text.
        if (depth == 0) return "";
        continue;
      default:
        break;
    }
    if (depth > 0) continue;
    switch (c) {
      case '?':
      case '*':
      case '{':
        // The character before may be absent (or repeated: {0,}).
        if (!run.empty()) run.pop_back();
        end_run();
        if (c == '{') {
          while (i < pattern.size() && pattern[i] != '}') ++i;
        }
        continue;
      case '+':
        // At least once: what came before stays, but nothing can follow it.
        end_run();
        continue;
      case '^':
      case '$':
      case '.':
        end_run();
        continue;
      default:
        run.push_back(c);
    }
  }
  end_run();
  if (!ignore_case) return best;
  for (char& c : best) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) return "";
    c = static_cast<char>(std::tolower(byte));
  }
  return best;
}

bool MayMatch(const FieldRule& rule, std::string_view line) {
  if (rule.literal.empty()) return true;
  if (!rule.literal_ignores_case) return line.find(rule.literal) != std::string_view::npos;
  const auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  return std::search(line.begin(), line.end(), rule.literal.begin(), rule.literal.end(),
                     [&](char a, char b) { return lower(a) == b; }) != line.end();
}

}  // namespace tillbridge::drivers
