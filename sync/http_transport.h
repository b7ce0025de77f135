// HTTP(S) requests to one base URL, with TLS verification, an optional CA
// file, an optional proxy and a time limit. The only place that knows the
// HTTP library, so it can be replaced without touching the sync logic.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "sync/sync_options.h"

namespace tillbridge::sync {

// One request; `path` (with query) is relative to the transport's base URL.
struct HttpRequest {
  std::string method = "GET";
  std::string path;  // appended to the base URL: "/v1/health?x=1"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
};

// A complete answer, whatever its status.
struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  // The header's value, or "" when absent. `name` in any case.
  std::string Header(std::string_view name) const;
};

// Thread-safe for concurrent Send calls; Cancel may come from any thread.
class HttpTransport {
 public:
  // `endpoint.url` is the base URL; `timeout` overrides endpoint.timeout
  // when non-zero (long polls need longer). InvalidArgument for a malformed
  // URL or proxy.
  static Result<std::unique_ptr<HttpTransport>> Create(const EndpointOptions& endpoint,
                                                       std::string user_agent,
                                                       std::chrono::milliseconds timeout = {});
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Sends and reads the whole answer. Any HTTP status is a response;
  // Unavailable means no answer (refused, dropped, timed out, TLS failure,
  // cancelled) and the message says which.
  Result<HttpResponse> Send(const HttpRequest& request);

  // Aborts requests in flight and makes later Sends fail at once.
  void Cancel();

 private:
  struct Impl;
  explicit HttpTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tillbridge::sync
