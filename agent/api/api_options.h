// Configuration of the local API and cashier page (sections api. and
// consent.), parsed once into ApiOptions.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/report/report_settings.h"
#include "common/clock.h"
#include "common/config_spec.h"
#include "common/status.h"

namespace tillbridge::agent {

// A disclosure installed at first start when none is installed yet.
struct DefaultDisclosure {
  std::string text;
  std::string frequency;
};

struct ApiOptions {
  bool enabled = true;
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 8787;  // 0 picks a free port (tests)
  // The bearer token: used as is when set, else read (or created) from
  // token_file when the server starts.
  std::string token;
  std::string token_file;
  std::size_t max_body_bytes = 64 * 1024;
  int max_threads = 16;  // requests answered at once
  // Open connections in all, and of one client (remote IP address); see
  // HttpServerOptions for what happens at the limits.
  std::size_t max_connections = 512;
  std::size_t max_connections_per_client = 32;
  // Whole-request deadlines, counted from a connection's start (or a later
  // request's first byte): the head within header_timeout, head and body
  // within request_timeout. request_timeout also bounds writing a response.
  std::chrono::milliseconds header_timeout{5'000};
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds keep_alive_timeout{5'000};
  std::chrono::milliseconds session_ttl{12 * 3'600'000};
  std::chrono::milliseconds launch_link_ttl{5 * 60'000};
  std::chrono::milliseconds idempotency_ttl{24 * 3'600'000};
  bool metrics_require_token = false;
  // Consent capture.
  bool double_opt_in = false;
  std::chrono::milliseconds max_clock_skew{5 * 60'000};  // how far in the future occurred_at may be
  DefaultDisclosure transactional_disclosure;
  DefaultDisclosure marketing_disclosure;
  const Clock* clock = nullptr;  // nullptr: the store's clock
  // The manager page's ROI report: cost per message, local day boundaries.
  report::ReportSettings report;
};

// The keys this module reads, with types, defaults and descriptions.
const std::vector<ConfigKeySpec>& ApiConfigKeys();

// Builds options from validated values (defaults filled in). A relative
// api.token_file resolves against `data_dir`. InvalidArgument names the key
// when a value is unusable (e.g. a listen address that is not an IP).
Result<ApiOptions> ApiOptionsFrom(const ConfigValues& values, const std::string& data_dir);

// "http://127.0.0.1:8787" for the options' address and port (a wildcard
// address is shown as 127.0.0.1; IPv6 in brackets).
std::string ApiBaseUrl(const std::string& listen_address, std::uint16_t port);

}  // namespace tillbridge::agent
