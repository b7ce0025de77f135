// Runs the fixture generators in tests/js/printer/ (node scripts that drive
// the npm receipt encoders) for the printer tests.
#pragma once

#include <string>

namespace tillbridge::testing {

// Runs tests/js/printer/`script` with node, writing into a folder that lasts
// as long as the test process, and returns that folder. Fails the test with
// node's output when node or the encoder packages are missing (run
// scripts/install-deps.sh test).
std::string RunFixtureScript(const std::string& script);

// The whole content of a file, bytes as they are; "" when it cannot be read.
std::string ReadFileBytes(const std::string& path);

}  // namespace tillbridge::testing
