// The adapter between Poco's HTTP server and ApiService. Poco types and
// exceptions stay in this file.
#include "agent/api/api_server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>

#include <algorithm>
#include <chrono>
#include <mutex>

#include "agent/api/api_service.h"
#include "agent/api/api_token.h"
#include "common/log.h"

namespace tillbridge::agent {
namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

// After refusing an oversized body, read and drop what the client is still
// sending for a short while, so that it sees our 413 instead of a reset
// connection. Bounded in bytes and time; nothing is kept.
constexpr std::size_t kLingerMaxBytes = 4 * 1024 * 1024;
constexpr std::chrono::milliseconds kLingerMaxTime{1000};
constexpr std::chrono::milliseconds kLingerIdle{100};

void Send(HTTPServerResponse& out, const HttpResponse& response) {
  out.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(response.status));
  out.setContentType(response.content_type);
  for (const auto& [name, value] : response.headers) out.add(name, value);
  if (response.content_type.rfind("application/json", 0) == 0) {
    out.set("Cache-Control", out.get("Cache-Control", "no-store"));
    out.set("X-Content-Type-Options", "nosniff");
  }
  out.setContentLength64(static_cast<Poco::Int64>(response.body.size()));
  out.sendBuffer(response.body.data(), response.body.size());
}

void Linger(HTTPServerRequest& request) {
  try {
    auto& socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(request).socket();
    socket.setReceiveTimeout(Poco::Timespan(kLingerIdle.count() * 1000));
    std::istream& in = request.stream();
    const auto deadline = std::chrono::steady_clock::now() + kLingerMaxTime;
    char buffer[16 * 1024];
    std::size_t dropped = 0;
    while (dropped < kLingerMaxBytes && std::chrono::steady_clock::now() < deadline) {
      in.read(buffer, sizeof(buffer));
      if (in.gcount() <= 0) break;
      dropped += static_cast<std::size_t>(in.gcount());
    }
  } catch (...) {
    // The connection closes next anyway.
  }
}

enum class BodyRead { kOk, kTooLarge, kIncomplete };

BodyRead ReadBody(HTTPServerRequest& request, std::size_t max_bytes, std::string* body) {
  // A request with neither Content-Length nor chunked encoding has no body
  // (RFC 9112, 6.3); Poco would otherwise read until the client closes.
  if (!request.hasContentLength() && !request.getChunkedTransferEncoding()) return BodyRead::kOk;
  if (request.hasContentLength()) {
    const Poco::Int64 length = request.getContentLength64();
    if (length < 0 || static_cast<std::uint64_t>(length) > max_bytes) return BodyRead::kTooLarge;
    body->reserve(static_cast<std::size_t>(length));
  }
  std::istream& in = request.stream();
  char buffer[8192];
  for (;;) {
    in.read(buffer, sizeof(buffer));
    const auto got = in.gcount();
    if (got > 0) body->append(buffer, static_cast<std::size_t>(got));
    if (body->size() > max_bytes) return BodyRead::kTooLarge;
    if (!in) break;
  }
  if (in.bad()) return BodyRead::kIncomplete;
  if (request.hasContentLength() &&
      body->size() != static_cast<std::size_t>(request.getContentLength64())) {
    return BodyRead::kIncomplete;
  }
  return BodyRead::kOk;
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(ApiService& service) : service_(service) {}

  void handleRequest(HTTPServerRequest& in, HTTPServerResponse& out) override {
    const auto started = std::chrono::steady_clock::now();
    std::string route = "unmatched";
    int status = 500;
    try {
      status = Serve(in, out, &route);
    } catch (const Poco::Exception& error) {
      // A client that vanished or stalled mid-request; nobody to answer.
      LogDebug("api", "request aborted: " + error.displayText());
      status = 499;
    } catch (const std::exception& error) {
      LogError("api", std::string("request failed: ") + error.what());
    }
    if (status == 500 && !out.sent()) {
      try {
        Send(out, ErrorResponse(500, std::nullopt, "internal error; see the agent log"));
      } catch (...) {
      }
    }
    service_.metrics().Record(in.getMethod(), route, status,
                              std::chrono::steady_clock::now() - started);
  }

 private:
  int Serve(HTTPServerRequest& in, HTTPServerResponse& out, std::string* route) {
    HttpRequest request;
    request.method = in.getMethod();
    const std::string& uri = in.getURI();
    const auto question = uri.find('?');
    request.path = uri.substr(0, question);
    if (question != std::string::npos) request.query = uri.substr(question + 1);
    for (const auto& [name, value] : in) request.headers.emplace_back(Lower(name), value);

    const std::size_t max_body = service_.options().max_body_bytes;
    switch (ReadBody(in, max_body, &request.body)) {
      case BodyRead::kOk:
        break;
      case BodyRead::kTooLarge: {
        out.setKeepAlive(false);
        Send(out,
             ErrorResponse(413, std::nullopt,
                           "request body is larger than " + std::to_string(max_body) + " bytes"));
        Linger(in);
        return 413;
      }
      case BodyRead::kIncomplete: {
        out.setKeepAlive(false);
        Send(out, ErrorResponse(400, std::nullopt,
                                "the request body ended before its Content-Length (or timed out)"));
        return 400;
      }
    }
    const HttpResponse response = service_.Handle(request, route);
    Send(out, response);
    return response.status;
  }

  ApiService& service_;
};

class HandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit HandlerFactory(ApiService& service) : service_(service) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(service_);  // Poco owns and deletes it
  }

 private:
  ApiService& service_;
};

}  // namespace

struct ApiServer::Impl {
  ApiOptions options;
  std::unique_ptr<ApiService> service;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
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
  const std::string where = options.listen_address + ":" + std::to_string(options.port);
  try {
    Poco::Net::ServerSocket socket;
    // SO_REUSEADDR for quick restarts, but not SO_REUSEPORT: a second agent
    // on the same port must fail loudly instead of sharing it.
    socket.bind(Poco::Net::SocketAddress(options.listen_address, options.port),
                /*reuseAddress=*/true, /*reusePort=*/false);
    socket.listen(64);
    impl->port = socket.address().port();

    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(options.max_threads);
    params->setMaxQueued(128);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(options.keep_alive_timeout.count() * 1000));
    params->setTimeout(Poco::Timespan(options.request_timeout.count() * 1000));
    params->setThreadIdleTime(Poco::Timespan(30, 0));
    params->setServerName("tillbridge");
    impl->pool = std::make_unique<Poco::ThreadPool>(2, options.max_threads + 2, 30);
    impl->server = std::make_unique<Poco::Net::HTTPServer>(
        Poco::Net::HTTPRequestHandlerFactory::Ptr(new HandlerFactory(*impl->service)), *impl->pool,
        socket, params);
    impl->server->start();
  } catch (const Poco::Exception& error) {
    return Status::Unavailable("cannot serve the API on " + where + ": " + error.displayText());
  }
  Poco::Net::IPAddress address;
  if (Poco::Net::IPAddress::tryParse(options.listen_address, address) && !address.isLoopback()) {
    LogWarning("api", "the API listens on " + where +
                          ", which is reachable from the network; keep the token secret");
  }
  LogInfo("api",
          "serving the API and cashier page on " + ApiBaseUrl(options.listen_address, impl->port));
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

void ApiServer::Stop() {
  std::lock_guard lock(impl_->stop_mutex);
  if (impl_->stopped) return;
  impl_->stopped = true;
  try {
    // Waits for each request in progress, then shuts idle keep-alive
    // connections down so their threads return at once.
    impl_->server->stopAll(false);
    impl_->pool->joinAll();
    // Closes the listening socket; until then the kernel would keep
    // accepting connections that nobody serves.
    impl_->server.reset();
  } catch (const Poco::Exception& error) {
    LogWarning("api", "stopping the API: " + error.displayText());
  }
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
