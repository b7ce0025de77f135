// The local API as a function from HttpRequest to HttpResponse: routing,
// authentication (bearer token, or session cookie plus CSRF token; the
// manager page's own session for /manager/report), the
// Idempotency-Key protocol, and the routes. Knows nothing of sockets; the
// HTTP server (api_server.cpp) feeds it.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "agent/api/api_metrics.h"
#include "agent/api/api_options.h"
#include "agent/api/http_types.h"
#include "agent/api/login_throttle.h"
#include "agent/api/sessions.h"
#include "common/phone.h"
#include "store/store.h"

namespace tillbridge::agent {

struct ApiContext;

// Wrong manager passwords one client may try per window before 429.
inline constexpr std::size_t kManagerLoginFailures = 5;
inline constexpr std::chrono::milliseconds kManagerLoginWindow{60'000};

// Thread-safe: Handle may run on many threads at once. `store` and `phones`
// must outlive the service.
class ApiService {
 public:
  ApiService(ApiOptions options, std::string token, store::Store& store,
             const PhoneNormalizer& phones);
  ~ApiService();
  ApiService(const ApiService&) = delete;
  ApiService& operator=(const ApiService&) = delete;

  // Answers one request. Never throws; every error is a JSON error response.
  // `route` receives the matched route template for metrics ("unmatched"
  // when none matched).
  HttpResponse Handle(const HttpRequest& request, std::string* route);

  ApiMetrics& metrics() { return metrics_; }
  const ApiOptions& options() const { return options_; }
  const std::string& token() const { return token_; }
  // The clock sessions and consent times use (options.clock or the store's).
  const Clock& clock() const;

 private:
  HttpResponse Dispatch(const HttpRequest& request, std::string* route);
  HttpResponse WithIdempotency(const HttpRequest& request, const std::string& key,
                               const std::function<HttpResponse()>& run);

  ApiOptions options_;
  std::string token_;
  store::Store& store_;
  SessionRegistry sessions_;
  LoginThrottle manager_logins_;
  ApiMetrics metrics_;
  std::unique_ptr<ApiContext> context_;
  std::mutex in_flight_mutex_;
  std::set<std::string> in_flight_keys_;  // guarded by in_flight_mutex_
  std::int64_t last_purge_ = 0;           // guarded by in_flight_mutex_
};

// Installs the configured transactional and marketing disclosures as
// version "1" for each purpose that has none installed yet.
Status InstallDefaultDisclosures(store::Store& store, const ApiOptions& options);

}  // namespace tillbridge::agent
