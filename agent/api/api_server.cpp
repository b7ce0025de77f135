// The adapter between the HTTP server (http_server.h) and ApiService:
// options, metrics, and the token and disclosures the API needs to start.
#include "agent/api/api_server.h"

#include <Poco/Net/IPAddress.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string_view>

#include "agent/api/api_service.h"
#include "agent/api/api_token.h"
#include "agent/api/http_server.h"
#include "common/log.h"

namespace tillbridge::agent {
namespace {

// Answers complete requests with the service and counts every response in
// its metrics, including the ones the server wrote by itself.
class ServiceHandler final : public HttpHandler {
 public:
  explicit ServiceHandler(ApiService& service) : service_(service) {}

  HttpResponse Handle(const HttpRequest& request) override {
    const auto started = std::chrono::steady_clock::now();
    std::string route = "unmatched";
    HttpResponse response = service_.Handle(request, &route);
    service_.metrics().Record(request.method, route, response.status,
                              std::chrono::steady_clock::now() - started);
    return response;
  }

  void Answered(std::string_view method, int status) override {
    service_.metrics().Record(method, "unmatched", status, std::chrono::nanoseconds(0));
  }

 private:
  ApiService& service_;
};

HttpServerOptions ServerOptions(const ApiOptions& options) {
  HttpServerOptions server;
  server.listen_address = options.listen_address;
  server.port = options.port;
  server.worker_threads = options.max_threads;
  server.max_connections = options.max_connections;
  server.max_connections_per_client = options.max_connections_per_client;
  server.header_timeout = options.header_timeout;
  server.request_timeout = options.request_timeout;
  server.keep_alive_timeout = options.keep_alive_timeout;
  server.limits.max_body_bytes = options.max_body_bytes;
  // Room for many requests at the default body limit, and for a few at the
  // largest one.
  server.max_buffered_bytes = std::max<std::size_t>(64 * 1024 * 1024, 8 * options.max_body_bytes);
  return server;
}

}  // namespace

struct ApiServer::Impl {
  ApiOptions options;
  std::unique_ptr<ApiService> service;
  std::unique_ptr<ServiceHandler> handler;
  std::unique_ptr<HttpServer> http;
  std::uint16_t port = 0;
  std::mutex stop_mutex;
  bool stopped = false;  // guarded by stop_mutex
};

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ApiServer::~ApiServer() { Stop(); }

Result<std::unique_ptr<ApiServer>> ApiServer::Start(const ApiOptions& options, store::Store& store,
                                                    const PhoneNormalizer& phones) {
  if (!options.enabled) return Status::FailedPrecondition("the API is disabled (api.enabled)");
  std::string token = options.token;
  if (token.empty()) {
    auto loaded = LoadOrCreateApiToken(options.token_file);
    if (!loaded.ok()) return loaded.status();
    token = std::move(loaded).value();
  }
  TB_RETURN_IF_ERROR(InstallDefaultDisclosures(store, options));

  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->service = std::make_unique<ApiService>(options, token, store, phones);
  impl->handler = std::make_unique<ServiceHandler>(*impl->service);
  auto http = HttpServer::Start(ServerOptions(options), *impl->handler);
  if (!http.ok()) return Status::Unavailable("cannot serve the API on " + http.status().message());
  impl->http = std::move(http).value();
  impl->port = impl->http->Port();

  const std::string where = options.listen_address + ":" + std::to_string(impl->port);
  Poco::Net::IPAddress address;
  if (Poco::Net::IPAddress::tryParse(options.listen_address, address) && !address.isLoopback()) {
    LogWarning("api", "the API listens on " + where +
                          ", which is reachable from the network; keep the token secret");
  }
  // Say where it really listens; the local URL is only how to reach it
  // from this machine when that differs (0.0.0.0 is every address).
  const std::string local = ApiBaseUrl(options.listen_address, impl->port);
  const bool all = options.listen_address == "0.0.0.0" || options.listen_address == "::";
  LogInfo("api", "serving the API and cashier page on " +
                     (all ? "every address, port " + std::to_string(impl->port) +
                                " (on this machine: " + local + ")"
                          : local));
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

void ApiServer::Stop() {
  std::lock_guard lock(impl_->stop_mutex);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->http->Stop();
  LogInfo("api", "API stopped");
}

std::string ApiServer::BaseUrl() const {
  return ApiBaseUrl(impl_->options.listen_address, impl_->port);
}

std::uint16_t ApiServer::Port() const { return impl_->port; }

std::string ApiServer::LaunchUrl() const {
  const ApiService& service = *impl_->service;
  return BaseUrl() + MakeLaunchPath(service.token(), service.clock().NowMillis() +
                                                         service.options().launch_link_ttl.count());
}

}  // namespace tillbridge::agent
