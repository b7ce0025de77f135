// Declared configuration keys. Each module publishes one table of the keys it
// reads (name, type, default, description); the agent merges the tables and
// uses them to validate the INI file, print --help and write docs/config.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tillbridge {

enum class ConfigType {
  kString,
  kInt,       // decimal integer within [min, max]
  kBool,      // true/false/yes/no/on/off/1/0
  kDuration,  // integer with unit: 250ms, 5s, 2m, 1h
  kPath,      // file or folder; relative paths resolve against the config file
  kEnum,      // one of `choices`
  kSecret,    // like kString, but never printed
};

struct ConfigKeySpec {
  std::string key;  // "section.name", e.g. "cloud.url"
  ConfigType type = ConfigType::kString;
  std::string default_value;  // "" means no default (optional unless required)
  std::string description;
  std::vector<std::string> choices;  // kEnum only
  std::int64_t min = INT64_MIN;      // kInt / kDuration (ms)
  std::int64_t max = INT64_MAX;
  bool required = false;
};

// Checks one value against its spec; the message says why it is wrong
// ("expected a duration such as 500ms or 5s").
Status ValidateConfigValue(const ConfigKeySpec& spec, std::string_view value);

// Parses "250ms", "5s", "2m", "1h" (a bare number means milliseconds).
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);
// Parses true/false/yes/no/on/off/1/0 (case-insensitive).
Result<bool> ParseBool(std::string_view text);

// Validated configuration values by full key, defaults filled in. Getters
// for a key that is not declared or has the wrong type return the type's
// zero value; validation has already run, so this is a programming error.
class ConfigValues {
 public:
  ConfigValues() = default;
  explicit ConfigValues(std::map<std::string, std::string> values) : values_(std::move(values)) {}

  bool Has(std::string_view key) const;
  std::string GetString(std::string_view key) const;
  std::int64_t GetInt(std::string_view key) const;
  bool GetBool(std::string_view key) const;
  std::chrono::milliseconds GetDuration(std::string_view key) const;
  void Set(std::string key, std::string value) { values_[std::move(key)] = std::move(value); }
  const std::map<std::string, std::string>& all() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace tillbridge
