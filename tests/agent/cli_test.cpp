#include "agent/cli.h"

#include <doctest/doctest.h>

namespace tillbridge::agent {
namespace {

Result<CommandLine> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "tillbridge");
  return ParseCommandLine(static_cast<int>(args.size()), args.data());
}

}  // namespace

TEST_CASE("commands, value options and flags are parsed") {
  auto line = Parse({"consents", "export", "--config", "a.ini", "--format=csv", "--json"});
  REQUIRE(line.ok());
  CHECK(line->words == std::vector<std::string>{"consents", "export"});
  CHECK(line->values.at("config") == "a.ini");
  CHECK(line->values.at("format") == "csv");
  CHECK(line->flags.count("json") == 1);
  CHECK(ConfigPathFor(*line) == "a.ini");
  auto short_forms = Parse({"status", "-c", "b.ini", "-h"});
  REQUIRE(short_forms.ok());
  CHECK(short_forms->values.at("config") == "b.ini");
  CHECK(short_forms->flags.count("help") == 1);
}

TEST_CASE("daemon options pass through to the service layer") {
  auto line = Parse({"run", "--daemon", "--pidfile", "/run/t.pid"});
  REQUIRE(line.ok());
  CHECK(line->passthrough == std::vector<std::string>{"--daemon", "--pidfile=/run/t.pid"});
}

TEST_CASE("bad command lines are rejected with the reason") {
  CHECK(Parse({"status", "--confgi", "x"}).status().message().find("unknown option '--confgi'") !=
        std::string::npos);
  CHECK(Parse({"status", "--config"}).status().message() == "option --config needs a value");
  CHECK(Parse({"status", "-x"}).status().message().find("unknown option '-x'") !=
        std::string::npos);
  CHECK(Parse({"status", "--json=yes"}).status().message() == "option --json takes no value");
  CHECK(Parse({"-c", "a", "-c", "b"}).status().message() == "option --config given twice");
}

}  // namespace tillbridge::agent
