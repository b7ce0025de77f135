#include "agent/api/api_options.h"

#include <Poco/Net/IPAddress.h>

#include <filesystem>

namespace tillbridge::agent {
namespace {

constexpr const char* kTransactionalText =
    "By giving us your mobile number you agree to receive transactional text messages from this "
    "store at that number: digital receipts, order and return updates. Message and data rates "
    "may apply. Reply STOP to stop, HELP for help. Consent is not a condition of purchase.";
constexpr const char* kTransactionalFrequency = "About one message per purchase";
constexpr const char* kMarketingText =
    "Yes, send me recurring marketing text messages (offers, coupons and loyalty news) from this "
    "store at the number provided. Messages may be sent by automated means. Message and data "
    "rates may apply. Consent is not a condition of purchase. Reply STOP to opt out at any time, "
    "HELP for help.";
constexpr const char* kMarketingFrequency = "Up to 4 messages per month";

constexpr std::int64_t kHour = 3'600'000;

}  // namespace

const std::vector<ConfigKeySpec>& ApiConfigKeys() {
  static const std::vector<ConfigKeySpec> keys = {
      {.key = "api.enabled",
       .type = ConfigType::kBool,
       .default_value = "true",
       .description = "Serve the local REST API and the cashier page."},
      {.key = "api.listen_address",
       .type = ConfigType::kString,
       .default_value = "127.0.0.1",
       .description = "IP address to listen on. Keep 127.0.0.1 unless the POS runs on another "
                      "machine; the API carries consent data."},
      {.key = "api.port",
       .type = ConfigType::kInt,
       .default_value = "8787",
       .description = "TCP port of the API and cashier page (0 picks a free port).",
       .min = 0,
       .max = 65535},
      {.key = "api.token_file",
       .type = ConfigType::kString,
       .default_value = "api-token",
       .description = "File holding the API bearer token, relative to agent.data_dir; created "
                      "with mode 0600 at first start when missing."},
      {.key = "api.max_body",
       .type = ConfigType::kInt,
       .default_value = "65536",
       .description = "Largest request body in bytes; larger requests get 413.",
       .min = 1024,
       .max = 16 * 1024 * 1024},
      {.key = "api.max_threads",
       .type = ConfigType::kInt,
       .default_value = "16",
       .description = "Requests answered at once (worker threads). Connections that are idle or "
                      "still sending their request hold none.",
       .min = 2,
       .max = 256},
      {.key = "api.max_connections",
       .type = ConfigType::kInt,
       .default_value = "512",
       .description = "Connections open at once, from all clients. At the limit a new connection "
                      "replaces the one that has waited longest for its request. Each is a file "
                      "descriptor: keep it below the process's limit.",
       .min = 8,
       .max = 16384},
      {.key = "api.max_connections_per_client",
       .type = ConfigType::kInt,
       .default_value = "32",
       .description = "Connections one client (remote IP address) may have open at once. At the "
                      "limit a new connection replaces that client's connection that has waited "
                      "longest for its request (503 if it had sent part of one); when all of them "
                      "are being answered, the new one gets 503.",
       .min = 1,
       .max = 16384},
      {.key = "api.header_timeout",
       .type = ConfigType::kDuration,
       .default_value = "5s",
       .description = "Time a client has to send the request line and headers, counted from the "
                      "connection's start (on a kept-alive connection, from the request's first "
                      "byte); then 408. A connection that sent nothing is closed.",
       .min = 100,
       .max = 300'000},
      {.key = "api.request_timeout",
       .type = ConfigType::kDuration,
       .default_value = "10s",
       .description = "Time a client has to send its whole request, headers and body, counted "
                      "from the same start; then 408. Also the time it has to take a response.",
       .min = 100,
       .max = 300'000},
      {.key = "api.keep_alive_timeout",
       .type = ConfigType::kDuration,
       .default_value = "5s",
       .description = "How long an idle keep-alive connection stays open.",
       .min = 100,
       .max = 300'000},
      {.key = "api.session_ttl",
       .type = ConfigType::kDuration,
       .default_value = "12h",
       .description = "Lifetime of a cashier page sign-in (session cookie).",
       .min = 60'000,
       .max = 30 * 24 * kHour},
      {.key = "api.launch_link_ttl",
       .type = ConfigType::kDuration,
       .default_value = "5m",
       .description = "How long a printed one-time launch link for the cashier page stays valid.",
       .min = 10'000,
       .max = 24 * kHour},
      {.key = "api.idempotency_ttl",
       .type = ConfigType::kDuration,
       .default_value = "24h",
       .description = "How long a response is kept for replay under its Idempotency-Key.",
       .min = 60'000,
       .max = 30 * 24 * kHour},
      {.key = "api.metrics_require_token",
       .type = ConfigType::kBool,
       .default_value = "false",
       .description = "Require the bearer token on GET /metrics too."},
      {.key = "consent.double_opt_in",
       .type = ConfigType::kBool,
       .default_value = "false",
       .description = "Opt-ins captured at the counter stay 'pending' until the customer "
                      "confirms by SMS (confirmation arrives from the cloud)."},
      {.key = "consent.max_clock_skew",
       .type = ConfigType::kDuration,
       .default_value = "5m",
       .description = "How far in the future a POS-supplied occurred_at may be.",
       .min = 0,
       .max = 24 * kHour},
      {.key = "consent.transactional_text",
       .type = ConfigType::kString,
       .default_value = kTransactionalText,
       .description = "Transactional disclosure installed as version 1 at first start."},
      {.key = "consent.transactional_frequency",
       .type = ConfigType::kString,
       .default_value = kTransactionalFrequency,
       .description = "Message frequency statement of the first transactional disclosure."},
      {.key = "consent.marketing_text",
       .type = ConfigType::kString,
       .default_value = kMarketingText,
       .description = "Marketing disclosure installed as version 1 at first start."},
      {.key = "consent.marketing_frequency",
       .type = ConfigType::kString,
       .default_value = kMarketingFrequency,
       .description = "Message frequency statement of the first marketing disclosure."},
  };
  return keys;
}

namespace {

// The configured value, or the key's default when the caller's values lack
// it (tests and tools build ConfigValues by hand).
std::string Value(const ConfigValues& values, const std::string& key) {
  if (values.Has(key)) return values.GetString(key);
  for (const auto& spec : ApiConfigKeys()) {
    if (spec.key == key) return spec.default_value;
  }
  return {};
}

Status Check(const std::string& key, const std::string& value) {
  for (const auto& spec : ApiConfigKeys()) {
    if (spec.key != key) continue;
    Status status = ValidateConfigValue(spec, value);
    if (!status.ok()) return Status::InvalidArgument(key + ": " + status.message());
  }
  return Status::Ok();
}

Result<std::chrono::milliseconds> Duration(const ConfigValues& values, const std::string& key) {
  const std::string value = Value(values, key);
  TB_RETURN_IF_ERROR(Check(key, value));
  return ParseDuration(value);
}

}  // namespace

Result<ApiOptions> ApiOptionsFrom(const ConfigValues& values, const std::string& data_dir) {
  for (const auto& spec : ApiConfigKeys())
    TB_RETURN_IF_ERROR(Check(spec.key, Value(values, spec.key)));
  ApiOptions options;
  options.enabled = *ParseBool(Value(values, "api.enabled"));
  options.listen_address = Value(values, "api.listen_address");
  if (options.listen_address == "localhost") options.listen_address = "127.0.0.1";
  Poco::Net::IPAddress address;
  if (!Poco::Net::IPAddress::tryParse(options.listen_address, address)) {
    return Status::InvalidArgument(
        "api.listen_address: expected an IP address such as "
        "127.0.0.1, got '" +
        options.listen_address + "'");
  }
  options.port = static_cast<std::uint16_t>(std::stoi(Value(values, "api.port")));
  std::filesystem::path token_file = Value(values, "api.token_file");
  if (token_file.empty()) return Status::InvalidArgument("api.token_file: must not be empty");
  if (token_file.is_relative()) token_file = std::filesystem::path(data_dir) / token_file;
  options.token_file = token_file.string();
  options.max_body_bytes = static_cast<std::size_t>(std::stoll(Value(values, "api.max_body")));
  options.max_threads = std::stoi(Value(values, "api.max_threads"));
  options.max_connections =
      static_cast<std::size_t>(std::stoll(Value(values, "api.max_connections")));
  options.max_connections_per_client =
      static_cast<std::size_t>(std::stoll(Value(values, "api.max_connections_per_client")));
  struct DurationKey {
    const char* key;
    std::chrono::milliseconds* target;
  };
  for (const DurationKey& entry : {
           DurationKey{"api.header_timeout", &options.header_timeout},
           DurationKey{"api.request_timeout", &options.request_timeout},
           DurationKey{"api.keep_alive_timeout", &options.keep_alive_timeout},
           DurationKey{"api.session_ttl", &options.session_ttl},
           DurationKey{"api.launch_link_ttl", &options.launch_link_ttl},
           DurationKey{"api.idempotency_ttl", &options.idempotency_ttl},
           DurationKey{"consent.max_clock_skew", &options.max_clock_skew},
       }) {
    auto duration = Duration(values, entry.key);
    if (!duration.ok()) return duration.status();
    *entry.target = *duration;
  }
  options.metrics_require_token = *ParseBool(Value(values, "api.metrics_require_token"));
  options.double_opt_in = *ParseBool(Value(values, "consent.double_opt_in"));
  options.transactional_disclosure = {Value(values, "consent.transactional_text"),
                                      Value(values, "consent.transactional_frequency")};
  options.marketing_disclosure = {Value(values, "consent.marketing_text"),
                                  Value(values, "consent.marketing_frequency")};
  for (const auto* disclosure :
       {&options.transactional_disclosure, &options.marketing_disclosure}) {
    if (disclosure->text.empty() || disclosure->frequency.empty()) {
      return Status::InvalidArgument(
          "consent.*_text and consent.*_frequency must not be empty: customers must see them");
    }
  }
  auto report = report::ReportSettingsFrom(values);
  if (!report.ok()) return report.status();
  options.report = *report;
  return options;
}

std::string ApiBaseUrl(const std::string& listen_address, std::uint16_t port) {
  std::string host = listen_address;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port);
}

}  // namespace tillbridge::agent
