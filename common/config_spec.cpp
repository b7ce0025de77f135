#include "common/config_spec.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace tillbridge {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Result<std::int64_t> ParseInt(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return Status::InvalidArgument("expected a whole number, got '" + std::string(text) + "'");
  }
  return value;
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0) {
    return Status::InvalidArgument("expected a duration such as 500ms, 5s, 2m or 1h, got '" +
                                   std::string(text) + "'");
  }
  auto number = ParseInt(text.substr(0, digits));
  if (!number.ok()) return number.status();
  const std::string unit = Lower(text.substr(digits));
  std::int64_t factor = 0;
  if (unit.empty() || unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m" || unit == "min")
    factor = 60'000;
  else if (unit == "h")
    factor = 3'600'000;
  else if (unit == "d")
    factor = 86'400'000;
  if (factor == 0) {
    return Status::InvalidArgument("unknown duration unit '" + unit + "' (use ms, s, m, h or d)");
  }
  if (*number > INT64_MAX / factor) return Status::InvalidArgument("duration is too large");
  return std::chrono::milliseconds(*number * factor);
}

Result<bool> ParseBool(std::string_view text) {
  const std::string value = Lower(text);
  if (value == "true" || value == "yes" || value == "on" || value == "1") return true;
  if (value == "false" || value == "no" || value == "off" || value == "0") return false;
  return Status::InvalidArgument("expected true or false, got '" + std::string(text) + "'");
}

Status ValidateConfigValue(const ConfigKeySpec& spec, std::string_view value) {
  switch (spec.type) {
    case ConfigType::kString:
    case ConfigType::kSecret:
    case ConfigType::kPath:
      if (spec.required && value.empty()) return Status::InvalidArgument("must not be empty");
      return Status::Ok();
    case ConfigType::kBool:
      return ParseBool(value).status().ok() ? Status::Ok() : ParseBool(value).status();
    case ConfigType::kInt: {
      auto number = ParseInt(value);
      if (!number.ok()) return number.status();
      if (*number < spec.min || *number > spec.max) {
        return Status::InvalidArgument("must be between " + std::to_string(spec.min) + " and " +
                                       std::to_string(spec.max) + ", got " + std::string(value));
      }
      return Status::Ok();
    }
    case ConfigType::kDuration: {
      auto duration = ParseDuration(value);
      if (!duration.ok()) return duration.status();
      if (duration->count() < spec.min || duration->count() > spec.max) {
        return Status::InvalidArgument("must be between " + std::to_string(spec.min) + "ms and " +
                                       std::to_string(spec.max) + "ms, got " + std::string(value));
      }
      return Status::Ok();
    }
    case ConfigType::kEnum: {
      if (std::find(spec.choices.begin(), spec.choices.end(), value) != spec.choices.end()) {
        return Status::Ok();
      }
      std::string list;
      for (const auto& choice : spec.choices) list += (list.empty() ? "" : ", ") + choice;
      return Status::InvalidArgument("must be one of: " + list + "; got '" + std::string(value) +
                                     "'");
    }
  }
  return Status::Ok();
}

bool ConfigValues::Has(std::string_view key) const {
  return values_.find(std::string(key)) != values_.end();
}

std::string ConfigValues::GetString(std::string_view key) const {
  auto it = values_.find(std::string(key));
  return it == values_.end() ? std::string() : it->second;
}

std::int64_t ConfigValues::GetInt(std::string_view key) const {
  auto value = ParseInt(GetString(key));
  return value.ok() ? *value : 0;
}

bool ConfigValues::GetBool(std::string_view key) const {
  auto value = ParseBool(GetString(key));
  return value.ok() && *value;
}

std::chrono::milliseconds ConfigValues::GetDuration(std::string_view key) const {
  auto value = ParseDuration(GetString(key));
  return value.ok() ? *value : std::chrono::milliseconds(0);
}

}  // namespace tillbridge
