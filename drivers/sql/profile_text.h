// The text format of POS profile files: INI-like sections and keys, where a
// value may continue on following indented lines (so SQL stays readable).
//
//   # comment (only at the start of a line)
//   [sales]
//   query =
//       SELECT ...
//         FROM ...
//   id = sale_id
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tillbridge::drivers {

struct ProfileEntry {
  std::string section;
  std::string key;
  std::string value;  // continuation lines joined with '\n', trimmed at both ends
  int line = 0;       // line of the key, 1-based
};

// Parses `text`; `origin` names the file in messages ("ospos.profile line 7:
// ..."). Rejects keys outside a section, malformed lines and duplicate keys
// within a section.
Result<std::vector<ProfileEntry>> ParseProfileText(std::string_view text, std::string_view origin);

}  // namespace tillbridge::drivers
