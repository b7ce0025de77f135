// The cashier page's files (HTML, CSS, JavaScript), compiled into the binary
// from agent/api/web/ by a CMake step, so the page works offline.
#pragma once

#include <string_view>

namespace tillbridge::agent {

struct WebAsset {
  std::string_view name;  // file name, e.g. "app.js"
  std::string_view content_type;
  std::string_view body;
};

// The compiled-in file called `name`, or nullptr.
const WebAsset* FindWebAsset(std::string_view name);

}  // namespace tillbridge::agent
