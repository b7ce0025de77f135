// A small INI reader that remembers where each key was written, so config
// errors can name the file, the line and the key.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace tillbridge::agent {

struct IniEntry {
  std::string key;  // "section.name", lower-case section and name
  std::string value;
  int line = 0;
};

// Parses INI text: `[section]` headers, `name = value` pairs, `;` or `#`
// comment lines, optional double quotes around a value. Keys outside a
// section, duplicate keys and malformed lines are errors naming `file_name`
// and the line number.
Result<std::vector<IniEntry>> ParseIni(const std::string& text, const std::string& file_name);

// Reads and parses the file at `path`.
Result<std::vector<IniEntry>> ReadIniFile(const std::string& path);

}  // namespace tillbridge::agent
