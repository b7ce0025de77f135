#include "agent/ini_file.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace tillbridge::agent {
namespace {

std::string Trim(const std::string& text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return text.substr(begin, end - begin);
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

Status LineError(const std::string& file, int line, const std::string& why) {
  return Status::InvalidArgument(file + ":" + std::to_string(line) + ": " + why);
}

}  // namespace

Result<std::vector<IniEntry>> ParseIni(const std::string& text, const std::string& file_name) {
  std::vector<IniEntry> entries;
  std::set<std::string> seen;
  std::string section;
  std::istringstream input(text);
  std::string raw;
  int line_no = 0;
  while (std::getline(input, raw)) {
    ++line_no;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    if (line_no == 1 && raw.rfind("\xEF\xBB\xBF", 0) == 0) raw.erase(0, 3);  // UTF-8 BOM
    const std::string line = Trim(raw);
    if (line.empty() || line[0] == ';' || line[0] == '#') continue;
    if (line[0] == '[') {
      if (line.back() != ']') return LineError(file_name, line_no, "section header lacks ']'");
      section = Lower(Trim(line.substr(1, line.size() - 2)));
      if (section.empty() || !std::all_of(section.begin(), section.end(), IsNameChar)) {
        return LineError(file_name, line_no, "invalid section name '" + section + "'");
      }
      continue;
    }
    const size_t equals = line.find('=');
    if (equals == std::string::npos) {
      return LineError(file_name, line_no, "expected 'name = value', got '" + line + "'");
    }
    const std::string name = Lower(Trim(line.substr(0, equals)));
    std::string value = Trim(line.substr(equals + 1));
    if (name.empty() || !std::all_of(name.begin(), name.end(), IsNameChar)) {
      return LineError(file_name, line_no, "invalid key name '" + name + "'");
    }
    if (section.empty()) {
      return LineError(file_name, line_no, "key '" + name + "' is outside any [section]");
    }
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    const std::string key = section + "." + name;
    if (!seen.insert(key).second) {
      return LineError(file_name, line_no, "key '" + key + "' is set twice");
    }
    entries.push_back({key, value, line_no});
  }
  return entries;
}

Result<std::vector<IniEntry>> ReadIniFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::NotFound("cannot read config file " + path);
  std::ostringstream text;
  text << file.rdbuf();
  if (text.str().size() > 1024 * 1024) {
    return Status::InvalidArgument(path + ": config file is larger than 1 MiB");
  }
  return ParseIni(text.str(), path);
}

}  // namespace tillbridge::agent
