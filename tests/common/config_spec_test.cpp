#include "common/config_spec.h"

#include <doctest/doctest.h>

namespace tillbridge {

TEST_CASE("durations accept units and reject garbage") {
  CHECK(ParseDuration("250ms")->count() == 250);
  CHECK(ParseDuration("5s")->count() == 5000);
  CHECK(ParseDuration("2m")->count() == 120000);
  CHECK(ParseDuration("1h")->count() == 3600000);
  CHECK(ParseDuration("40")->count() == 40);
  CHECK_FALSE(ParseDuration("fast").ok());
  CHECK_FALSE(ParseDuration("5 parsecs").ok());
  CHECK(ParseDuration("5x").status().message().find("unit") != std::string::npos);
}

TEST_CASE("values are validated against their spec") {
  ConfigKeySpec port{"api.port", ConfigType::kInt, "8787", "port", {}, 1, 65535};
  CHECK(ValidateConfigValue(port, "8787").ok());
  CHECK_FALSE(ValidateConfigValue(port, "0").ok());
  CHECK_FALSE(ValidateConfigValue(port, "80a").ok());
  CHECK(ValidateConfigValue(port, "99999").message().find("between 1 and 65535") !=
        std::string::npos);
  ConfigKeySpec level{"log.level", ConfigType::kEnum, "information", "", {"debug", "information"}};
  CHECK(ValidateConfigValue(level, "debug").ok());
  CHECK(ValidateConfigValue(level, "loud").message().find("one of") != std::string::npos);
  ConfigKeySpec flag{"api.enabled", ConfigType::kBool, "true", ""};
  CHECK(ValidateConfigValue(flag, "Yes").ok());
  CHECK_FALSE(ValidateConfigValue(flag, "maybe").ok());
}

TEST_CASE("typed getters read validated values") {
  ConfigValues values({{"a.n", "42"}, {"a.b", "on"}, {"a.d", "3s"}, {"a.s", "text"}});
  CHECK(values.GetInt("a.n") == 42);
  CHECK(values.GetBool("a.b"));
  CHECK(values.GetDuration("a.d").count() == 3000);
  CHECK(values.GetString("a.s") == "text");
  CHECK_FALSE(values.Has("a.missing"));
}

}  // namespace tillbridge
