#include "sync/sync_options.h"

#include <doctest/doctest.h>

#include <fstream>
#include <set>

#include "tests/test_util.h"

using tillbridge::ConfigType;
using tillbridge::ConfigValues;
using tillbridge::sync::SyncConfigKeys;
using tillbridge::sync::SyncOptionsFrom;

namespace {

ConfigValues Cloud(std::map<std::string, std::string> extra) {
  std::map<std::string, std::string> values = {{"cloud.enabled", "true"},
                                               {"cloud.url", "https://sync.example.com/"},
                                               {"cloud.token", "tok-123"}};
  for (auto& [key, value] : extra) values[key] = value;
  return ConfigValues(values);
}

std::string ErrorOf(const ConfigValues& values) {
  auto options = SyncOptionsFrom(values);
  REQUIRE_FALSE(options.ok());
  return options.status().message();
}

}  // namespace

TEST_CASE("the key table declares every cloud and webhook key once") {
  std::set<std::string> keys;
  for (const auto& spec : SyncConfigKeys()) {
    CHECK_MESSAGE(keys.insert(spec.key).second, spec.key);
    CHECK_FALSE(spec.description.empty());
    CHECK((spec.key.rfind("cloud.", 0) == 0 || spec.key.rfind("webhook.", 0) == 0));
  }
  for (const char* key :
       {"cloud.enabled", "cloud.url", "cloud.token", "cloud.token_file", "cloud.ca_file",
        "cloud.verify_tls", "cloud.proxy", "cloud.timeout", "cloud.batch_max_events",
        "cloud.batch_max_bytes", "cloud.backoff_initial", "cloud.backoff_max",
        "cloud.long_poll_timeout", "webhook.enabled", "webhook.url", "webhook.secret"}) {
    CHECK_MESSAGE(keys.count(key) == 1, key);
  }
  for (const auto& spec : SyncConfigKeys()) {
    if (spec.key == "cloud.token" || spec.key == "webhook.secret")
      CHECK(spec.type == ConfigType::kSecret);
    if (spec.key == "cloud.verify_tls") CHECK(spec.default_value == "true");
  }
}

TEST_CASE("defaults: nothing enabled, TLS verification on") {
  auto options = SyncOptionsFrom(ConfigValues());
  REQUIRE(options.ok());
  CHECK_FALSE(options->cloud.enabled);
  CHECK_FALSE(options->webhook.enabled);
  auto cloud = SyncOptionsFrom(Cloud({}));
  REQUIRE(cloud.ok());
  CHECK(cloud->cloud.endpoint.verify_tls);
  CHECK(cloud->cloud.endpoint.url == "https://sync.example.com");
  CHECK(cloud->cloud.endpoint.timeout == std::chrono::seconds(10));
  CHECK(cloud->cloud.batch_max_events == 500);
  CHECK(cloud->cloud.endpoint.backoff_max == std::chrono::minutes(5));
  CHECK(cloud->cloud.long_poll_timeout == std::chrono::seconds(25));
}

TEST_CASE("values are read and typed") {
  auto options = SyncOptionsFrom(Cloud({{"cloud.timeout", "2500ms"},
                                        {"cloud.batch_max_events", "42"},
                                        {"cloud.batch_max_bytes", "65536"},
                                        {"cloud.backoff_initial", "250ms"},
                                        {"cloud.backoff_max", "1m"},
                                        {"cloud.proxy", "http://proxy.local:3128"},
                                        {"cloud.verify_tls", "off"}}));
  REQUIRE(options.ok());
  CHECK(options->cloud.endpoint.timeout == std::chrono::milliseconds(2500));
  CHECK(options->cloud.batch_max_events == 42);
  CHECK(options->cloud.batch_max_bytes == 65536);
  CHECK(options->cloud.endpoint.backoff_initial == std::chrono::milliseconds(250));
  CHECK(options->cloud.endpoint.backoff_max == std::chrono::minutes(1));
  CHECK(options->cloud.endpoint.proxy == "http://proxy.local:3128");
  CHECK_FALSE(options->cloud.endpoint.verify_tls);
}

TEST_CASE("bad cloud settings are refused with the key and the reason") {
  CHECK(ErrorOf(Cloud({{"cloud.url", ""}})).find("cloud.url: required") == 0);
  CHECK(
      ErrorOf(Cloud({{"cloud.url", "ftp://x"}})).find("cloud.url: scheme must be http or https") ==
      0);
  CHECK(ErrorOf(Cloud({{"cloud.url", "sync.example.com"}})).find("cloud.url") == 0);
  CHECK(ErrorOf(Cloud({{"cloud.url", "http://sync.example.com"}})).find("unencrypted") !=
        std::string::npos);
  CHECK(ErrorOf(Cloud({{"cloud.token", ""}})).find("cloud.token: required") == 0);
  CHECK(ErrorOf(Cloud({{"cloud.token", "a b"}})).find("whitespace") != std::string::npos);
  CHECK(ErrorOf(Cloud({{"cloud.timeout", "soon"}})).find("cloud.timeout:") == 0);
  CHECK(ErrorOf(Cloud({{"cloud.batch_max_events", "0"}}))
            .find("cloud.batch_max_events: must be between") == 0);
  CHECK(ErrorOf(Cloud({{"cloud.verify_tls", "maybe"}})).find("cloud.verify_tls:") == 0);
  CHECK(ErrorOf(Cloud({{"cloud.backoff_initial", "10s"}, {"cloud.backoff_max", "1s"}}))
            .find("cloud.backoff_max") == 0);
  CHECK(ErrorOf(Cloud({{"cloud.proxy", "https://proxy:3128"}})).find("cloud.proxy: only http://") ==
        0);
  CHECK(ErrorOf(Cloud({{"cloud.proxy", "proxy:3128"}})).find("cloud.proxy") == 0);
  CHECK(ErrorOf(Cloud({{"cloud.ca_file", "/nonexistent/ca.pem"}})).find("cloud.ca_file") == 0);
}

TEST_CASE("plain http is allowed to loopback, or when asked for") {
  CHECK(SyncOptionsFrom(Cloud({{"cloud.url", "http://127.0.0.1:8080"}})).ok());
  CHECK(SyncOptionsFrom(Cloud({{"cloud.url", "http://localhost:8080/base"}})).ok());
  CHECK(
      SyncOptionsFrom(Cloud({{"cloud.url", "http://sync.lan"}, {"cloud.allow_plain_http", "true"}}))
          .ok());
}

TEST_CASE("the token can come from a file, but not from both places") {
  tillbridge::testing::TempDir dir;
  const std::string file = dir.File("token");
  std::ofstream(file) << "  tok-from-file\n";
  auto options = SyncOptionsFrom(Cloud({{"cloud.token", ""}, {"cloud.token_file", file}}));
  REQUIRE(options.ok());
  CHECK(options->cloud.token == "tok-from-file");
  CHECK(ErrorOf(Cloud({{"cloud.token_file", file}})).find("not both") != std::string::npos);
  CHECK(ErrorOf(Cloud({{"cloud.token", ""}, {"cloud.token_file", dir.File("missing")}}))
            .find("cloud.token_file: cannot read") == 0);
  const std::string empty = dir.File("empty");
  std::ofstream(empty) << "\n";
  CHECK(ErrorOf(Cloud({{"cloud.token", ""}, {"cloud.token_file", empty}})).find("is empty") !=
        std::string::npos);
  const std::string not_pem = dir.File("ca.pem");
  std::ofstream(not_pem) << "hello";
  CHECK(ErrorOf(Cloud({{"cloud.ca_file", not_pem}})).find("not a readable PEM") !=
        std::string::npos);
}

TEST_CASE("webhook settings") {
  ConfigValues values({{"webhook.enabled", "yes"},
                       {"webhook.url", "https://hooks.example.com/catch/1/abc"},
                       {"webhook.secret", "0123456789abcdef"},
                       {"webhook.event_types", "transaction.completed, consent.changed"}});
  auto options = SyncOptionsFrom(values);
  REQUIRE(options.ok());
  CHECK(options->webhook.enabled);
  CHECK(options->webhook.event_types ==
        std::vector<std::string>{"transaction.completed", "consent.changed"});
  values.Set("webhook.secret", "short");
  CHECK(ErrorOf(values).find("webhook.secret: must be at least 16") == 0);
  values.Set("webhook.secret", "0123456789abcdef");
  values.Set("webhook.event_types", "transactions");
  CHECK(ErrorOf(values).find("webhook.event_types") == 0);
  values.Set("webhook.event_types", "");
  values.Set("webhook.url", "");
  CHECK(ErrorOf(values).find("webhook.url: required") == 0);
}
