#include "agent/api/json.h"

#include <doctest/doctest.h>

#include <string>

namespace tillbridge::agent {

TEST_CASE("valid documents parse with types, order and escapes intact") {
  auto parsed = ParseJson(
      R"( {"a": 1, "b": [true, false, null], "c": "x\"\u00e9\ud83d\ude00", "d": -0.5e3} )");
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().ToString());
  const JsonValue& root = *parsed;
  REQUIRE(root.type() == JsonValue::Type::kObject);
  REQUIRE(root.members().size() == 4);
  CHECK(root.members()[0].first == "a");
  CHECK(root.Find("a")->AsInt64() == 1);
  CHECK(root.Find("b")->items().size() == 3);
  CHECK(root.Find("b")->items()[2].is_null());
  CHECK(root.Find("c")->text() == "x\"\xC3\xA9\xF0\x9F\x98\x80");
  CHECK(root.Find("d")->text() == "-0.5e3");
  CHECK_FALSE(root.Find("d")->AsInt64().has_value());
  CHECK(root.Find("missing") == nullptr);
}

TEST_CASE("integers beyond 64 bits are not silently truncated") {
  auto big = ParseJson("92233720368547758070");
  REQUIRE(big.ok());
  CHECK_FALSE(big->AsInt64().has_value());
  auto max = ParseJson("9223372036854775807");
  REQUIRE(max.ok());
  CHECK(max->AsInt64() == INT64_MAX);
}

TEST_CASE("malformed documents are rejected with position and reason") {
  struct Case {
    const char* text;
    const char* reason_part;
  };
  for (const Case& c : {
           Case{"", "empty"},
           Case{"{", "quoted member name"},
           Case{"{\"a\":1,}", "quoted member name"},
           Case{"[1,2,]", "expected a value"},
           Case{"{\"a\" 1}", "':'"},
           Case{"{\"a\":1 \"b\":2}", "',' or '}'"},
           Case{"{\"a\":1,\"a\":2}", "duplicate member name \"a\""},
           Case{"01", "leading zeros"},
           Case{"1.", "after the decimal point"},
           Case{"-", "expected a digit"},
           Case{"tru", "unknown word"},
           Case{"\"abc", "not closed"},
           Case{"\"a\tb\"", "control characters"},
           Case{"\"\\x\"", "unknown escape"},
           Case{"\"\\ud800\"", "surrogate"},
           Case{"\"\\udc00\"", "lone low surrogate"},
           Case{"\"\\u12g4\"", "four hex digits"},
           Case{"\"\xC3\x28\"", "UTF-8"},
           Case{"\"\xED\xA0\x80\"", "UTF-8"},
           Case{"\"\xC0\xAF\"", "UTF-8"},
           Case{"{} {}", "after the JSON value"},
           Case{"// comment\n{}", "expected a value"},
       }) {
    auto parsed = ParseJson(c.text);
    CHECK_MESSAGE(!parsed.ok(), "accepted: ", c.text);
    if (!parsed.ok()) {
      CHECK(parsed.status().code() == StatusCode::kInvalidArgument);
      CHECK_MESSAGE(parsed.status().message().find(c.reason_part) != std::string::npos, c.text,
                    " -> ", parsed.status().message());
      CHECK(parsed.status().message().find("line ") != std::string::npos);
    }
  }
}

TEST_CASE("error positions count lines and columns") {
  auto parsed = ParseJson("{\n  \"a\": 1,\n  \"b\": ?\n}");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().message().find("line 3, column 8") != std::string::npos);
}

TEST_CASE("nesting deeper than the limit is refused, not a stack overflow") {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto parsed = ParseJson(deep);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().message().find("nested too deeply") != std::string::npos);
  const std::string ok_depth = std::string(32, '[') + std::string(32, ']');
  CHECK(ParseJson(ok_depth).ok());
  CHECK_FALSE(ParseJson(std::string(33, '[') + std::string(33, ']')).ok());
}

TEST_CASE("too many members are refused") {
  std::string many = "[";
  for (int i = 0; i < 1001; ++i) many += (i ? ",1" : "1");
  many += "]";
  auto parsed = ParseJson(many);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().message().find("too many") != std::string::npos);
}

TEST_CASE("the writer escapes and round-trips through the parser") {
  JsonWriter json;
  json.BeginObject();
  json.Key("text").String("quote\" back\\ nl\n tab\t <b>&</b> \x01 \xE2\x80\xA8");
  json.Key("bad_utf8")
      .String(
          "a\xFF"
          "b");
  json.Key("n").Int(-42).Key("t").Bool(true).Key("z").Null();
  json.Key("list").BeginArray().Int(1).String("two").BeginObject().EndObject().EndArray();
  json.Key("raw").Raw("{\"x\":[1]}");
  json.EndObject();
  const std::string text = json.str();
  CHECK(text.find('<') == std::string::npos);
  CHECK(text.find("\\u2028") != std::string::npos);
  auto parsed = ParseJson(text);
  REQUIRE_MESSAGE(parsed.ok(), text, " ", parsed.status().ToString());
  CHECK(parsed->Find("text")->text() == "quote\" back\\ nl\n tab\t <b>&</b> \x01 \xE2\x80\xA8");
  CHECK(parsed->Find("bad_utf8")->text() ==
        "a\xEF\xBF\xBD"
        "b");
  CHECK(parsed->Find("n")->AsInt64() == -42);
  CHECK(parsed->Find("list")->items().size() == 3);
  CHECK(parsed->Find("raw")->Find("x")->items().size() == 1);
}

TEST_CASE("UTF-8 validation") {
  CHECK(IsValidUtf8("plain"));
  CHECK(IsValidUtf8("caf\xC3\xA9 \xF0\x9F\x98\x80"));
  CHECK_FALSE(IsValidUtf8("\xC3"));
  CHECK_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
}

}  // namespace tillbridge::agent
