// Typed options for cloud sync and the webhook sink, parsed once from the
// validated configuration (sections `cloud.` and `webhook.`).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/config_spec.h"
#include "common/status.h"

namespace tillbridge::sync {

// How to reach one HTTP endpoint.
struct EndpointOptions {
  std::string url;      // base URL: https://sync.example.com (the API adds /v1/...)
  std::string ca_file;  // extra trusted CA certificates (PEM); empty: system store only
  bool verify_tls = true;
  std::string proxy;  // http://host:port; empty: connect directly
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds backoff_initial{1'000};
  std::chrono::milliseconds backoff_max{300'000};
};

// The Sync API client (docs/sync-api.md).
struct CloudOptions {
  bool enabled = false;
  EndpointOptions endpoint;
  std::string token;  // bearer token, from cloud.token or the file cloud.token_file
  std::size_t batch_max_events = 500;
  std::size_t batch_max_bytes = 1 << 20;
  bool pull = true;  // run the change puller
  std::chrono::milliseconds long_poll_timeout{25'000};
  std::size_t pull_page_size = 500;
};

// A Zapier-style catch hook that gets each event as one signed POST.
struct WebhookOptions {
  bool enabled = false;
  EndpointOptions endpoint;              // url is the full hook URL
  std::string secret;                    // HMAC-SHA256 key
  std::vector<std::string> event_types;  // empty: every type
};

// Everything sync needs, as SyncOptionsFrom builds it.
struct SyncOptions {
  CloudOptions cloud;
  WebhookOptions webhook;
  // Seed for backoff jitter; 0 seeds from the operating system.
  std::uint64_t jitter_seed = 0;
  std::string agent_version = "0.1.0";
};

// The `cloud.*` and `webhook.*` keys with types, defaults and descriptions.
const std::vector<ConfigKeySpec>& SyncConfigKeys();

// Builds options from validated values (missing keys take their defaults).
// InvalidArgument names the key and the reason: a missing URL or token, an
// unreadable token or CA file, a plain http:// URL to a non-loopback host,
// both cloud.token and cloud.token_file set, a short webhook secret, ...
Result<SyncOptions> SyncOptionsFrom(const ConfigValues& values);

}  // namespace tillbridge::sync
