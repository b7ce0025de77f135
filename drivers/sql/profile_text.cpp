#include "drivers/sql/profile_text.h"

#include <cctype>
#include <set>
#include <utility>

namespace tillbridge::drivers {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

bool IsName(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

}  // namespace

Result<std::vector<ProfileEntry>> ParseProfileText(std::string_view text, std::string_view origin) {
  std::vector<ProfileEntry> entries;
  std::set<std::pair<std::string, std::string>> seen;
  std::string section;
  // Continuation lines belong to the last key only while no other line
  // (section header, comment, blank run at the end) has intervened.
  bool can_continue = false;
  int line_no = 0;
  const auto error = [&](const std::string& why) {
    return Status::InvalidArgument(std::string(origin) + " line " + std::to_string(line_no) + ": " +
                                   why);
  };

  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);

    const std::string_view trimmed = Trim(raw);
    const bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    if (trimmed.empty()) {
      // Blank lines inside a multi-line value are kept; trailing ones are
      // trimmed when the value is finished.
      if (can_continue && !entries.back().value.empty()) entries.back().value += '\n';
      if (end == text.size()) break;
      continue;
    }
    if (indented) {
      if (!can_continue) {
        return error(
            "indented line does not continue a key (indent only the lines of a "
            "multi-line value)");
      }
      std::string& value = entries.back().value;
      if (!value.empty()) value += '\n';
      value += std::string(raw);
      if (end == text.size()) break;
      continue;
    }
    can_continue = false;
    if (trimmed.front() == '#' || trimmed.front() == ';') {
      if (end == text.size()) break;
      continue;
    }
    if (trimmed.front() == '[') {
      if (trimmed.back() != ']') return error("section header must end with ']'");
      const std::string_view name = Trim(trimmed.substr(1, trimmed.size() - 2));
      if (!IsName(name)) {
        return error("section name must be letters, digits, '_', '.' or '-'");
      }
      section = std::string(name);
      if (end == text.size()) break;
      continue;
    }
    const size_t equals = trimmed.find('=');
    if (equals == std::string_view::npos) {
      return error("expected 'key = value', '[section]' or an indented continuation line");
    }
    const std::string_view key = Trim(trimmed.substr(0, equals));
    if (!IsName(key)) {
      return error("key '" + std::string(key) + "' must be letters, digits, '_', '.' or '-'");
    }
    if (section.empty()) return error("key '" + std::string(key) + "' is outside any [section]");
    if (!seen.insert({section, std::string(key)}).second) {
      return error("key '" + std::string(key) + "' appears twice in [" + section + "]");
    }
    entries.push_back(ProfileEntry{section, std::string(key),
                                   std::string(Trim(trimmed.substr(equals + 1))), line_no});
    can_continue = true;
    if (end == text.size()) break;
  }

  for (ProfileEntry& entry : entries) {
    entry.value = std::string(Trim(entry.value));
  }
  return entries;
}

}  // namespace tillbridge::drivers
