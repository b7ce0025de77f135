#include "agent/config.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "agent/ini_file.h"
#include "common/phone.h"
#include "common/platform/paths.h"

extern char** environ;

namespace tillbridge::agent {
namespace {

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string Suggestion(const std::string& key, const std::vector<ConfigKeySpec>& keys) {
  const ConfigKeySpec* best = nullptr;
  size_t best_distance = 4;
  for (const auto& spec : keys) {
    const size_t distance = EditDistance(key, spec.key);
    if (distance < best_distance) {
      best_distance = distance;
      best = &spec;
    }
  }
  return best ? " (did you mean '" + best->key + "'?)" : "";
}

std::string TypeName(const ConfigKeySpec& spec) {
  switch (spec.type) {
    case ConfigType::kString:
      return "string";
    case ConfigType::kInt:
      return "integer";
    case ConfigType::kBool:
      return "boolean";
    case ConfigType::kDuration:
      return "duration";
    case ConfigType::kPath:
      return "path";
    case ConfigType::kEnum: {
      std::string out;
      for (const auto& choice : spec.choices) out += (out.empty() ? "" : " \\| ") + choice;
      return out;
    }
    case ConfigType::kSecret:
      return "secret";
  }
  return "string";
}

// The key table renamed to environment variable names, for suggestions.
std::vector<ConfigKeySpec> EnvSpecs(const std::vector<ConfigKeySpec>& keys) {
  std::vector<ConfigKeySpec> out;
  for (const auto& spec : keys) out.push_back({EnvNameFor(spec.key)});
  return out;
}

}  // namespace

const std::vector<ConfigKeySpec>& CoreConfigKeys() {
  static const std::vector<ConfigKeySpec> keys = {
      {"agent.store_id",
       ConfigType::kString,
       "store-1",
       "This store's id, as the cloud knows it. Part of every event id.",
       {},
       0,
       0,
       true},
      {"agent.terminal_id",
       ConfigType::kString,
       "terminal-1",
       "This terminal's id within the store.",
       {},
       0,
       0,
       true},
      {"agent.data_dir", ConfigType::kPath, platform::DefaultDataDir(),
       "Folder for the store (tillbridge.db), the API token and spool files. Created if missing. "
       "Default on Windows: %ProgramData%\\Tillbridge\\data."},
      {"agent.default_region", ConfigType::kString, "US",
       "ISO 3166-1 region for phone numbers written without a country code (US, GB, DE, ...)."},
      {"log.level",
       ConfigType::kEnum,
       "information",
       "Lowest level written to the logs.",
       {"debug", "information", "warning", "error"}},
      {"log.console", ConfigType::kBool, "true",
       "Log to standard error (the journal, under systemd)."},
      {"log.file", ConfigType::kPath, "",
       "Log file; empty for none. Rotated by size; phone numbers are always masked."},
      {"log.rotate_size",
       ConfigType::kInt,
       "10",
       "Rotate the log file when it reaches this many MiB.",
       {},
       1,
       1024},
      {"log.keep", ConfigType::kInt, "5", "Rotated log files to keep.", {}, 1, 100},
      {"store.busy_timeout",
       ConfigType::kDuration,
       "5s",
       "How long a store write waits for another writer before failing.",
       {},
       100,
       600'000},
  };
  return keys;
}

std::string EnvNameFor(const std::string& key) {
  std::string out = "TILLBRIDGE_";
  for (char c : key) {
    out.push_back(c == '.' || c == '-'
                      ? '_'
                      : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

std::map<std::string, std::string> TillbridgeEnvironment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string text(*entry);
    const size_t equals = text.find('=');
    if (equals == std::string::npos) continue;
    const std::string name = text.substr(0, equals);
    if (name.rfind("TILLBRIDGE_", 0) == 0) env[name] = text.substr(equals + 1);
  }
  return env;
}

Result<LoadedConfig> LoadConfig(const std::string& path, const std::vector<ConfigKeySpec>& keys,
                                const std::map<std::string, std::string>& env) {
  auto entries = ReadIniFile(path);
  if (!entries.ok()) return entries.status();
  LoadedConfig config;
  config.path = path;
  std::error_code ignored;
  config.base_dir =
      std::filesystem::absolute(std::filesystem::path(path), ignored).parent_path().string();

  std::map<std::string, const ConfigKeySpec*> by_key;
  std::map<std::string, const ConfigKeySpec*> by_env;
  for (const auto& spec : keys) {
    by_key[spec.key] = &spec;
    by_env[EnvNameFor(spec.key)] = &spec;
  }
  std::map<std::string, std::string> values;
  for (const auto& spec : keys) {
    values[spec.key] = spec.default_value;
    config.origins[spec.key] = "default";
  }
  for (const IniEntry& entry : *entries) {
    const std::string where = path + ":" + std::to_string(entry.line);
    auto it = by_key.find(entry.key);
    if (it == by_key.end()) {
      return Status::InvalidArgument(where + ": unknown key '" + entry.key + "'" +
                                     Suggestion(entry.key, keys));
    }
    values[entry.key] = entry.value;
    config.origins[entry.key] = where;
  }
  std::set<std::string> section_prefixes;
  for (const auto& spec : keys) {
    section_prefixes.insert(EnvNameFor(spec.key.substr(0, spec.key.find('.'))) + "_");
  }
  for (const auto& [name, value] : env) {
    auto it = by_env.find(name);
    if (it == by_env.end()) {
      // Only a variable inside a known section (TILLBRIDGE_LOG_...) is meant
      // as a key; others (TILLBRIDGE_CONFIG, ...) are not ours to judge.
      const bool in_section =
          std::any_of(section_prefixes.begin(), section_prefixes.end(),
                      [&](const std::string& prefix) { return name.rfind(prefix, 0) == 0; });
      if (!in_section) continue;
      return Status::InvalidArgument("environment variable " + name +
                                     " does not name a config key" +
                                     Suggestion(name, EnvSpecs(keys)));
    }
    values[it->second->key] = value;
    config.origins[it->second->key] = "env " + name;
  }
  for (const auto& spec : keys) {
    std::string& value = values[spec.key];
    if (spec.required && value.empty()) {
      return Status::InvalidArgument(config.origins[spec.key] + ": key '" + spec.key +
                                     "' must not be empty");
    }
    // Empty means "not set" unless an enum with a default was emptied.
    if (value.empty() && (spec.type != ConfigType::kEnum || spec.default_value.empty())) continue;
    Status valid = ValidateConfigValue(spec, value);
    if (!valid.ok()) {
      const std::string& origin = config.origins[spec.key];
      return Status::InvalidArgument((origin == "default" ? path : origin) + ": key '" + spec.key +
                                     "': " + valid.message());
    }
    if (spec.type == ConfigType::kPath && config.origins[spec.key] != "default" && !value.empty() &&
        std::filesystem::path(value).is_relative()) {
      value = (std::filesystem::path(config.base_dir) / value).lexically_normal().string();
    }
  }
  // Relative defaults name files of the agent's own (token, spool): they
  // live in the data folder, wherever the config file is.
  for (const auto& spec : keys) {
    std::string& value = values[spec.key];
    if (spec.type == ConfigType::kPath && config.origins[spec.key] == "default" && !value.empty() &&
        std::filesystem::path(value).is_relative()) {
      value = (std::filesystem::path(values["agent.data_dir"]) / value).lexically_normal().string();
    }
  }
  const std::string& region = values["agent.default_region"];
  if (!region.empty() && !PhoneNormalizer::IsKnownRegion(region)) {
    return Status::InvalidArgument(config.origins["agent.default_region"] +
                                   ": key 'agent.default_region': unknown region '" + region +
                                   "' (use an ISO 3166-1 code such as US or GB)");
  }
  config.values = ConfigValues(std::move(values));
  return config;
}

std::string ConfigReferenceMarkdown(const std::vector<ConfigKeySpec>& keys) {
  std::string out =
      "# Configuration reference\n\n"
      "Tillbridge reads one INI file (`tillbridge run --config FILE`). Every key is listed\n"
      "here with its type and default. Any key can be overridden by an environment\n"
      "variable named `TILLBRIDGE_<SECTION>_<KEY>` in upper case (for example\n"
      "`TILLBRIDGE_API_PORT=9000`). Unknown keys, unknown `TILLBRIDGE_*` variables and\n"
      "invalid values stop start-up with exit code 2 and a message naming the file,\n"
      "the line and the key. Relative paths set in the file resolve against the config\n"
      "file's folder; relative defaults (token file, spool folder) against `agent.data_dir`.\n"
      "Durations take a unit: `500ms`, `5s`, `2m`, `1h`.\n\n"
      "This page is generated by `tillbridge config-reference`; edit the key tables in\n"
      "the source, not this file.\n";
  std::string section;
  for (const auto& spec : keys) {
    const std::string this_section = spec.key.substr(0, spec.key.find('.'));
    if (this_section != section) {
      section = this_section;
      out +=
          "\n## [" + section + "]\n\n| key | type | default | description |\n|---|---|---|---|\n";
    }
    std::string default_text = spec.default_value.empty() ? "—" : "`" + spec.default_value + "`";
    if (spec.type == ConfigType::kSecret && !spec.default_value.empty()) default_text = "(secret)";
    std::string range;
    if ((spec.type == ConfigType::kInt) && spec.min != INT64_MIN) {
      range = " Range " + std::to_string(spec.min) + "–" + std::to_string(spec.max) + ".";
    }
    out += "| `" + spec.key.substr(spec.key.find('.') + 1) + "` | " + TypeName(spec) + " | " +
           default_text + " | " + spec.description + range + (spec.required ? " Required." : "") +
           " |\n";
  }
  return out;
}

}  // namespace tillbridge::agent
