// The profiles shipped in drivers/sql/profiles/, compiled into the binary so
// that they are found wherever the agent is installed.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace tillbridge::drivers {

// The text of built-in profile `name` (file name without ".profile").
std::optional<std::string_view> BuiltinProfileText(std::string_view name);

// Names of all built-in profiles, sorted.
std::vector<std::string_view> BuiltinProfileNames();

}  // namespace tillbridge::drivers
