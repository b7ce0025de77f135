#include "agent/config.h"

#include <doctest/doctest.h>

#include <fstream>
#include <set>

#include "tests/test_util.h"

namespace tillbridge::agent {
namespace {

std::string Write(const tillbridge::testing::TempDir& dir, const std::string& text) {
  const std::string path = dir.File("tillbridge.ini");
  std::ofstream(path) << text;
  return path;
}

Result<LoadedConfig> Load(const std::string& path, std::map<std::string, std::string> env = {}) {
  return LoadConfig(path, AllConfigKeys(), env);
}

}  // namespace

TEST_CASE("defaults fill every key that the file does not set") {
  tillbridge::testing::TempDir dir;
  auto config = Load(Write(dir, "[agent]\nstore_id = s-1\n"));
  REQUIRE_MESSAGE(config.ok(), config.status().ToString());
  CHECK(config->values.GetString("agent.store_id") == "s-1");
  CHECK(config->values.GetString("agent.terminal_id") == "terminal-1");
  CHECK(config->values.GetString("log.level") == "information");
  CHECK(config->origins["agent.store_id"].find(":2") != std::string::npos);
  CHECK(config->origins["agent.terminal_id"] == "default");
}

TEST_CASE("relative paths resolve against the config file's folder") {
  tillbridge::testing::TempDir dir;
  auto config = Load(Write(dir, "[agent]\ndata_dir = ../data\n"));
  REQUIRE(config.ok());
  CHECK(config->values.GetString("agent.data_dir") == (dir.path().parent_path() / "data").string());
}

TEST_CASE("a misspelled key names the file, line, key and a suggestion") {
  tillbridge::testing::TempDir dir;
  const std::string path = Write(dir, "[agent]\nstore_id = s\n\n[log]\nlevle = debug\n");
  auto config = Load(path);
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() ==
        path + ":5: unknown key 'log.levle' (did you mean 'log.level'?)");
}

TEST_CASE("bad values name the key and the reason") {
  tillbridge::testing::TempDir dir;
  struct Case {
    const char* text;
    const char* fragment;
  };
  for (const Case& c :
       {Case{"[log]\nlevel = loud\n", ":2: key 'log.level': must be one of: debug"},
        Case{"[log]\nconsole = perhaps\n", ":2: key 'log.console': expected true or false"},
        Case{"[log]\nkeep = 0\n", ":2: key 'log.keep': must be between 1 and 100"},
        Case{"[store]\nbusy_timeout = soon\n", ":2: key 'store.busy_timeout': expected a duration"},
        Case{"[agent]\ndefault_region = ZZ\n",
             ":2: key 'agent.default_region': unknown region 'ZZ'"},
        Case{"[agent]\nstore_id =\n", ":2: key 'agent.store_id' must not be empty"}}) {
    auto config = Load(Write(dir, c.text));
    REQUIRE_FALSE(config.ok());
    CHECK_MESSAGE(config.status().message().find(c.fragment) != std::string::npos,
                  config.status().message());
  }
}

TEST_CASE("environment variables override the file; unknown ones are errors") {
  tillbridge::testing::TempDir dir;
  const std::string path = Write(dir, "[agent]\nstore_id = from-file\n");
  auto config = Load(path, {{"TILLBRIDGE_AGENT_STORE_ID", "from-env"}});
  REQUIRE(config.ok());
  CHECK(config->values.GetString("agent.store_id") == "from-env");
  CHECK(config->origins["agent.store_id"] == "env TILLBRIDGE_AGENT_STORE_ID");
  auto bad = Load(path, {{"TILLBRIDGE_LOG_LEVLE", "debug"}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() ==
        "environment variable TILLBRIDGE_LOG_LEVLE does not name a config key (did you mean "
        "'TILLBRIDGE_LOG_LEVEL'?)");
  auto bad_value = Load(path, {{"TILLBRIDGE_LOG_KEEP", "many"}});
  REQUIRE_FALSE(bad_value.ok());
  CHECK(bad_value.status().message().find("env TILLBRIDGE_LOG_KEEP: key 'log.keep'") !=
        std::string::npos);
  // Variables outside the config sections are not keys.
  CHECK(Load(path, {{"TILLBRIDGE_CONFIG", path}, {"TILLBRIDGE_SOURCE_DIR", "/src"}}).ok());
}

TEST_CASE("every declared key has a description and a valid default") {
  std::set<std::string> seen;
  for (const auto& spec : AllConfigKeys()) {
    CAPTURE(spec.key);
    CHECK(seen.insert(spec.key).second);
    CHECK(spec.key.find('.') != std::string::npos);
    CHECK_FALSE(spec.description.empty());
    if (!spec.default_value.empty()) CHECK(ValidateConfigValue(spec, spec.default_value).ok());
  }
}

TEST_CASE("the config reference lists every key") {
  const std::string doc = ConfigReferenceMarkdown(AllConfigKeys());
  for (const auto& spec : AllConfigKeys()) {
    const std::string name = spec.key.substr(spec.key.find('.') + 1);
    CHECK_MESSAGE(doc.find("| `" + name + "` |") != std::string::npos, spec.key);
  }
}

}  // namespace tillbridge::agent
