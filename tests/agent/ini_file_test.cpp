#include "agent/ini_file.h"

#include <doctest/doctest.h>

namespace tillbridge::agent {

TEST_CASE("INI sections, comments, quotes and CRLF are understood") {
  auto entries = ParseIni(
      "; comment\r\n# another\r\n[Agent]\r\nstore_id = demo\r\n\r\n[log]\nfile = \"a b.log\"\n",
      "x.ini");
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 2);
  CHECK((*entries)[0].key == "agent.store_id");
  CHECK((*entries)[0].value == "demo");
  CHECK((*entries)[0].line == 4);
  CHECK((*entries)[1].key == "log.file");
  CHECK((*entries)[1].value == "a b.log");
}

TEST_CASE("malformed INI lines are errors naming the file and line") {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {Case{"[agent\nx=1", "x.ini:1: section header lacks ']'"},
                        Case{"store_id = 1", "x.ini:1: key 'store_id' is outside any [section]"},
                        Case{"[a]\njust words", "x.ini:2: expected 'name = value'"},
                        Case{"[a]\nk = 1\nk = 2", "x.ini:3: key 'a.k' is set twice"},
                        Case{"[a]\nbad key = 1", "x.ini:2: invalid key name 'bad key'"},
                        Case{"[]\n", "x.ini:1: invalid section name ''"}}) {
    auto entries = ParseIni(c.text, "x.ini");
    REQUIRE_FALSE(entries.ok());
    CHECK_MESSAGE(entries.status().message().rfind(c.message, 0) == 0, entries.status().message());
  }
}

TEST_CASE("a missing config file is NotFound") {
  auto entries = ReadIniFile("/nonexistent/tillbridge.ini");
  CHECK(entries.status().code() == StatusCode::kNotFound);
  CHECK(entries.status().message().find("/nonexistent/tillbridge.ini") != std::string::npos);
}

}  // namespace tillbridge::agent
