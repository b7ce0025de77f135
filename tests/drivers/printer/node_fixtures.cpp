#include "tests/drivers/printer/node_fixtures.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/test_util.h"

namespace tillbridge::testing {

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string RunFixtureScript(const std::string& script) {
  static TempDir dir;  // lives for the whole test process
  const std::string path = std::string(TILLBRIDGE_SOURCE_DIR) + "/tests/js/printer/" + script;
  const std::string out = dir.File(script + ".out");
  const std::string log = dir.File(script + ".log");
  const std::string command = "node '" + path + "' '" + out + "' > '" + log + "' 2>&1";
  REQUIRE_MESSAGE(std::system(command.c_str()) == 0,
                  "node " << script << " failed (run scripts/install-deps.sh test): "
                          << ReadFileBytes(log));
  return out;
}

}  // namespace tillbridge::testing
