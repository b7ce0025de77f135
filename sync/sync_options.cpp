#include "sync/sync_options.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace tillbridge::sync {
namespace {

constexpr std::int64_t kMiB = 1024 * 1024;

ConfigKeySpec Key(std::string key, ConfigType type, std::string default_value,
                  std::string description, std::int64_t min = INT64_MIN,
                  std::int64_t max = INT64_MAX) {
  ConfigKeySpec spec;
  spec.key = std::move(key);
  spec.type = type;
  spec.default_value = std::move(default_value);
  spec.description = std::move(description);
  spec.min = min;
  spec.max = max;
  return spec;
}

std::vector<ConfigKeySpec> BuildKeys() {
  using T = ConfigType;
  return {
      Key("cloud.enabled", T::kBool, "false", "Sync with the cloud SMS platform's Sync API."),
      Key("cloud.url", T::kString, "",
          "Base URL of the Sync API, e.g. https://sync.example.com (the agent adds /v1/...). "
          "Plain http:// is accepted only for 127.0.0.1/localhost unless "
          "cloud.allow_plain_http is set."),
      Key("cloud.token", T::kSecret, "", "Bearer token the cloud issued for this store."),
      Key("cloud.token_file", T::kPath, "",
          "File holding the bearer token (instead of cloud.token); surrounding whitespace is "
          "ignored."),
      Key("cloud.ca_file", T::kPath, "",
          "PEM file with extra CA certificates to trust (in addition to the system store)."),
      Key("cloud.verify_tls", T::kBool, "true",
          "Verify the cloud's TLS certificate and host name. Turn off only for diagnosis."),
      Key("cloud.allow_plain_http", T::kBool, "false",
          "Allow an http:// cloud.url to a host other than 127.0.0.1/localhost (sends the token "
          "unencrypted)."),
      Key("cloud.proxy", T::kString, "",
          "HTTP proxy as http://host:port; empty connects directly."),
      Key("cloud.timeout", T::kDuration, "10s",
          "Time limit for one request (connect, send and answer).", 100, 600'000),
      Key("cloud.batch_max_events", T::kInt, "500", "Most events in one push request.", 1, 10'000),
      Key("cloud.batch_max_bytes", T::kInt, std::to_string(kMiB),
          "About the most event bytes in one push request (one larger event still goes alone).",
          1024, 64 * kMiB),
      Key("cloud.backoff_initial", T::kDuration, "1s",
          "First retry delay ceiling after a failure; doubles per failure (full jitter).", 1,
          3'600'000),
      Key("cloud.backoff_max", T::kDuration, "5m", "Cap on the retry delay ceiling.", 1,
          86'400'000),
      Key("cloud.pull", T::kBool, "true",
          "Pull changes (STOP replies, coupons, engagement, loyalty) from the cloud."),
      Key("cloud.long_poll_timeout", T::kDuration, "25s",
          "How long the cloud may hold a pull request open waiting for changes.", 0, 120'000),
      Key("cloud.pull_page_size", T::kInt, "500", "Most changes per pulled page.", 1, 5000),
      Key("webhook.enabled", T::kBool, "false",
          "POST each event, HMAC-signed, to a catch-hook URL (Zapier-style)."),
      Key("webhook.url", T::kString, "", "Full catch-hook URL."),
      Key("webhook.secret", T::kSecret, "",
          "Shared secret for the Tillbridge-Signature header (at least 16 characters)."),
      Key("webhook.secret_file", T::kPath, "", "File holding webhook.secret instead."),
      Key("webhook.event_types", T::kString, "",
          "Comma-separated event types to send (e.g. transaction.completed,consent.changed); "
          "empty sends all."),
      Key("webhook.ca_file", T::kPath, "", "PEM file with extra CA certificates to trust."),
      Key("webhook.verify_tls", T::kBool, "true", "Verify the hook's TLS certificate."),
      Key("webhook.allow_plain_http", T::kBool, "false",
          "Allow an http:// webhook.url to a host other than 127.0.0.1/localhost."),
      Key("webhook.proxy", T::kString, "", "HTTP proxy as http://host:port."),
      Key("webhook.timeout", T::kDuration, "10s", "Time limit for one POST.", 100, 600'000),
      Key("webhook.backoff_initial", T::kDuration, "1s", "First retry delay ceiling.", 1,
          3'600'000),
      Key("webhook.backoff_max", T::kDuration, "5m", "Cap on the retry delay ceiling.", 1,
          86'400'000),
  };
}

const ConfigKeySpec& Spec(std::string_view key) {
  for (const auto& spec : SyncConfigKeys()) {
    if (spec.key == key) return spec;
  }
  static const ConfigKeySpec kUnknown;
  return kUnknown;
}

// Reads a value (or the default) and checks it against its spec, so that
// SyncOptionsFrom also catches values that skipped the agent's validation.
class Reader {
 public:
  explicit Reader(const ConfigValues& values) : values_(values) {}

  Result<std::string> Text(std::string_view key) const {
    const ConfigKeySpec& spec = Spec(key);
    std::string value = values_.Has(key) ? values_.GetString(key) : spec.default_value;
    if (!value.empty() || spec.type != ConfigType::kString) {
      Status valid = ValidateConfigValue(spec, value);
      if (!valid.ok()) return Status::InvalidArgument(std::string(key) + ": " + valid.message());
    }
    return value;
  }
  Result<bool> Bool(std::string_view key) const {
    auto text = Text(key);
    if (!text.ok()) return text.status();
    return ParseBool(*text);
  }
  Result<std::int64_t> Int(std::string_view key) const {
    auto text = Text(key);
    if (!text.ok()) return text.status();
    return static_cast<std::int64_t>(std::stoll(*text));
  }
  Result<std::chrono::milliseconds> Duration(std::string_view key) const {
    auto text = Text(key);
    if (!text.ok()) return text.status();
    return ParseDuration(*text);
  }

 private:
  const ConfigValues& values_;
};

std::string Trim(std::string text) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  text.erase(text.begin(), std::find_if(text.begin(), text.end(), not_space));
  text.erase(std::find_if(text.rbegin(), text.rend(), not_space).base(), text.end());
  return text;
}

Result<std::string> ReadSecretFile(std::string_view key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(std::string(key) + ": cannot read '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  std::string value = Trim(text.str());
  if (value.empty()) return Status::InvalidArgument(std::string(key) + ": '" + path + "' is empty");
  return value;
}

struct ParsedUrl {
  std::string scheme;
  std::string host;
};

Result<ParsedUrl> ParseHttpUrl(std::string_view key, const std::string& url) {
  const auto sep = url.find("://");
  if (sep == std::string::npos) {
    return Status::InvalidArgument(std::string(key) + ": expected http:// or https:// URL, got '" +
                                   url + "'");
  }
  ParsedUrl parsed;
  parsed.scheme = url.substr(0, sep);
  std::transform(parsed.scheme.begin(), parsed.scheme.end(), parsed.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (parsed.scheme != "http" && parsed.scheme != "https") {
    return Status::InvalidArgument(std::string(key) + ": scheme must be http or https, got '" +
                                   parsed.scheme + "'");
  }
  std::string rest = url.substr(sep + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest[0] == '[') {
    parsed.host = rest.substr(1, rest.find(']') - 1);
  } else {
    parsed.host = rest.substr(0, rest.find(':'));
  }
  if (parsed.host.empty()) {
    return Status::InvalidArgument(std::string(key) + ": no host in '" + url + "'");
  }
  return parsed;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// Reads the keys shared by the cloud and the webhook endpoint.
Result<EndpointOptions> ReadEndpoint(const Reader& reader, const std::string& section) {
  EndpointOptions endpoint;
  auto url = reader.Text(section + ".url");
  if (!url.ok()) return url.status();
  endpoint.url = Trim(*url);
  while (!endpoint.url.empty() && endpoint.url.back() == '/') endpoint.url.pop_back();
  if (endpoint.url.empty()) {
    return Status::InvalidArgument(section + ".url: required when " + section + ".enabled is true");
  }
  auto parsed = ParseHttpUrl(section + ".url", endpoint.url);
  if (!parsed.ok()) return parsed.status();
  auto allow_plain = reader.Bool(section + ".allow_plain_http");
  if (!allow_plain.ok()) return allow_plain.status();
  if (parsed->scheme == "http" && !IsLoopback(parsed->host) && !*allow_plain) {
    return Status::InvalidArgument(section + ".url: plain http:// to '" + parsed->host +
                                   "' would send credentials unencrypted; use https:// or set " +
                                   section + ".allow_plain_http = true");
  }
  auto ca_file = reader.Text(section + ".ca_file");
  if (!ca_file.ok()) return ca_file.status();
  endpoint.ca_file = *ca_file;
  if (!endpoint.ca_file.empty()) {
    std::ifstream in(endpoint.ca_file);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in || text.str().find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return Status::InvalidArgument(section + ".ca_file: '" + endpoint.ca_file +
                                     "' is not a readable PEM certificate file");
    }
  }
  auto verify = reader.Bool(section + ".verify_tls");
  if (!verify.ok()) return verify.status();
  endpoint.verify_tls = *verify;
  auto proxy = reader.Text(section + ".proxy");
  if (!proxy.ok()) return proxy.status();
  endpoint.proxy = Trim(*proxy);
  if (!endpoint.proxy.empty()) {
    auto proxy_url = ParseHttpUrl(section + ".proxy", endpoint.proxy);
    if (!proxy_url.ok()) return proxy_url.status();
    if (proxy_url->scheme != "http") {
      return Status::InvalidArgument(section + ".proxy: only http:// proxies are supported");
    }
  }
  auto timeout = reader.Duration(section + ".timeout");
  if (!timeout.ok()) return timeout.status();
  endpoint.timeout = *timeout;
  auto initial = reader.Duration(section + ".backoff_initial");
  if (!initial.ok()) return initial.status();
  auto max = reader.Duration(section + ".backoff_max");
  if (!max.ok()) return max.status();
  if (*max < *initial) {
    return Status::InvalidArgument(section + ".backoff_max: must not be shorter than " + section +
                                   ".backoff_initial");
  }
  endpoint.backoff_initial = *initial;
  endpoint.backoff_max = *max;
  return endpoint;
}

// Reads `key` or, when empty, the file named by `file_key`; not both.
Result<std::string> ReadSecret(const Reader& reader, const std::string& key,
                               const std::string& file_key) {
  auto inline_value = reader.Text(key);
  if (!inline_value.ok()) return inline_value.status();
  auto file = reader.Text(file_key);
  if (!file.ok()) return file.status();
  if (!inline_value->empty() && !file->empty()) {
    return Status::InvalidArgument("set " + key + " or " + file_key + ", not both");
  }
  if (!file->empty()) return ReadSecretFile(file_key, *file);
  return Trim(*inline_value);
}

Result<CloudOptions> ReadCloud(const Reader& reader) {
  CloudOptions cloud;
  auto enabled = reader.Bool("cloud.enabled");
  if (!enabled.ok()) return enabled.status();
  cloud.enabled = *enabled;
  if (!cloud.enabled) return cloud;
  auto endpoint = ReadEndpoint(reader, "cloud");
  if (!endpoint.ok()) return endpoint.status();
  cloud.endpoint = *endpoint;
  auto token = ReadSecret(reader, "cloud.token", "cloud.token_file");
  if (!token.ok()) return token.status();
  if (token->empty()) {
    return Status::InvalidArgument(
        "cloud.token: required (or cloud.token_file) when "
        "cloud.enabled is true");
  }
  if (token->find_first_of(" \t\r\n") != std::string::npos) {
    return Status::InvalidArgument("cloud.token: must not contain whitespace");
  }
  cloud.token = *token;
  auto events = reader.Int("cloud.batch_max_events");
  if (!events.ok()) return events.status();
  cloud.batch_max_events = static_cast<std::size_t>(*events);
  auto bytes = reader.Int("cloud.batch_max_bytes");
  if (!bytes.ok()) return bytes.status();
  cloud.batch_max_bytes = static_cast<std::size_t>(*bytes);
  auto pull = reader.Bool("cloud.pull");
  if (!pull.ok()) return pull.status();
  cloud.pull = *pull;
  auto wait = reader.Duration("cloud.long_poll_timeout");
  if (!wait.ok()) return wait.status();
  cloud.long_poll_timeout = *wait;
  auto page = reader.Int("cloud.pull_page_size");
  if (!page.ok()) return page.status();
  cloud.pull_page_size = static_cast<std::size_t>(*page);
  return cloud;
}

Result<WebhookOptions> ReadWebhook(const Reader& reader) {
  WebhookOptions webhook;
  auto enabled = reader.Bool("webhook.enabled");
  if (!enabled.ok()) return enabled.status();
  webhook.enabled = *enabled;
  if (!webhook.enabled) return webhook;
  auto endpoint = ReadEndpoint(reader, "webhook");
  if (!endpoint.ok()) return endpoint.status();
  webhook.endpoint = *endpoint;
  auto secret = ReadSecret(reader, "webhook.secret", "webhook.secret_file");
  if (!secret.ok()) return secret.status();
  if (secret->size() < 16) {
    return Status::InvalidArgument("webhook.secret: must be at least 16 characters (got " +
                                   std::to_string(secret->size()) + ")");
  }
  webhook.secret = *secret;
  auto types = reader.Text("webhook.event_types");
  if (!types.ok()) return types.status();
  std::istringstream list(*types);
  for (std::string item; std::getline(list, item, ',');) {
    item = Trim(item);
    if (item.empty()) continue;
    if (item.find('.') == std::string::npos) {
      return Status::InvalidArgument("webhook.event_types: '" + item +
                                     "' is not an event type such as transaction.completed");
    }
    webhook.event_types.push_back(item);
  }
  return webhook;
}

}  // namespace

const std::vector<ConfigKeySpec>& SyncConfigKeys() {
  static const std::vector<ConfigKeySpec> keys = BuildKeys();
  return keys;
}

Result<SyncOptions> SyncOptionsFrom(const ConfigValues& values) {
  const Reader reader(values);
  SyncOptions options;
  auto cloud = ReadCloud(reader);
  if (!cloud.ok()) return cloud.status();
  options.cloud = std::move(cloud).value();
  auto webhook = ReadWebhook(reader);
  if (!webhook.ok()) return webhook.status();
  options.webhook = std::move(webhook).value();
  return options;
}

}  // namespace tillbridge::sync
