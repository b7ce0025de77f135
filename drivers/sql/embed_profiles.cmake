# Generates builtin_profiles.cpp from drivers/sql/profiles/*.profile.
#   cmake -DPROFILE_DIR=... -DOUTPUT=... -P embed_profiles.cmake
# Each file becomes one C++ string built from per-line literals, which keeps
# every literal short (MSVC limits literal length) and needs no delimiter.
file(GLOB profiles "${PROFILE_DIR}/*.profile")
list(SORT profiles)
set(body "")
set(names "")
foreach(path IN LISTS profiles)
  get_filename_component(name "${path}" NAME_WE)
  file(READ "${path}" text)
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REPLACE "\"" "\\\"" text "${text}")
  string(REPLACE "\t" "\\t" text "${text}")
  string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
  string(APPEND body "    {\"${name}\",\n    \"${text}\"},\n")
endforeach()
set(content "// Generated from drivers/sql/profiles/*.profile by embed_profiles.cmake; do not edit.
#include \"drivers/sql/builtin_profiles.h\"

#include <algorithm>
#include <iterator>

namespace tillbridge::drivers {
namespace {

struct BuiltinProfile {
  std::string_view name;
  std::string_view text;
};

constexpr BuiltinProfile kProfiles[] = {
${body}};

}  // namespace

std::optional<std::string_view> BuiltinProfileText(std::string_view name) {
  for (const auto& profile : kProfiles) {
    if (profile.name == name) return profile.text;
  }
  return std::nullopt;
}

std::vector<std::string_view> BuiltinProfileNames() {
  std::vector<std::string_view> names;
  for (const auto& profile : kProfiles) names.push_back(profile.name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace tillbridge::drivers
")
# Only touch the output when it changes, so unrelated builds stay incremental.
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
  if(old STREQUAL content)
    return()
  endif()
endif()
file(WRITE "${OUTPUT}" "${content}")
