// Command-line parsing for the tillbridge executable.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"

namespace tillbridge::agent {

struct CommandLine {
  std::vector<std::string> words;             // "consents", "export"
  std::map<std::string, std::string> values;  // "config" -> "FILE"
  std::set<std::string> flags;                // "json", "help"
  std::vector<std::string> passthrough;       // options for ServerApplication
};

// Parses argv[1..]. `--name value`, `--name=value` and `-c value` are
// accepted for value options; unknown options are errors naming them.
Result<CommandLine> ParseCommandLine(int argc, const char* const* argv);

// The config file: --config, else $TILLBRIDGE_CONFIG, else the packaged
// default /etc/tillbridge/tillbridge.ini.
std::string ConfigPathFor(const CommandLine& line);

// The text of `tillbridge --help`.
std::string UsageText();

}  // namespace tillbridge::agent
