// Loading the agent's one INI file against the declared key tables.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/config_spec.h"
#include "common/status.h"

namespace tillbridge::agent {

struct LoadedConfig {
  std::string path;      // the config file as given
  std::string base_dir;  // its folder; relative kPath values resolve against it
  ConfigValues values;   // every declared key: file, then environment, else default
  std::map<std::string, std::string> origins;  // key -> "file:line", "env NAME" or "default"
};

// The keys the agent core reads: agent.*, log.*, store.*.
const std::vector<ConfigKeySpec>& CoreConfigKeys();

// Every key the tillbridge executable accepts: the core's plus each
// module's table.
const std::vector<ConfigKeySpec>& AllConfigKeys();

// "cloud.url" -> "TILLBRIDGE_CLOUD_URL".
std::string EnvNameFor(const std::string& key);

// Reads `path`, applies environment overrides from `env` (TILLBRIDGE_*) and
// defaults, validates every value. Errors (InvalidArgument) name the file,
// the line and the key: "examples/x.ini:12: unknown key 'api.prot' (did you
// mean 'api.port'?)". A TILLBRIDGE_<SECTION>_* variable that names no key of
// a known section is an error too.
Result<LoadedConfig> LoadConfig(const std::string& path, const std::vector<ConfigKeySpec>& keys,
                                const std::map<std::string, std::string>& env);

// The process environment as a map (only TILLBRIDGE_* variables).
std::map<std::string, std::string> TillbridgeEnvironment();

// docs/config.md: one table per section with type, default and description.
std::string ConfigReferenceMarkdown(const std::vector<ConfigKeySpec>& keys);

}  // namespace tillbridge::agent
