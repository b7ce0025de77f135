#include "tools/refcloud/server.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <istream>
#include <mutex>
#include <thread>

#include "common/phone.h"
#include "tools/refcloud/routes.h"

namespace tillbridge::refcloud {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Which client stream a request belongs to, for the Retry-After check: an
// agent's pushes and its long polls are separate conversations.
std::string StreamOf(const Request& request) {
  const std::string prefix = "/v1/agents/";
  if (request.path.rfind(prefix, 0) == 0) return request.path.substr(prefix.size());
  return request.path;
}

// Closes the connection without an answer, the way a crashed proxy or a
// cut cable would look to the client.
void Drop(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
  response.setKeepAlive(false);
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
  if (impl == nullptr) return;
  try {
    impl->socket().setLinger(true, 0);
    impl->socket().shutdown();
  } catch (const Poco::Exception&) {
    // Already gone: same effect.
  }
}

// Reads at most `limit` + 1 bytes of the body.
std::string ReadBody(Poco::Net::HTTPServerRequest& request, std::size_t limit) {
  std::string body;
  std::istream& in = request.stream();
  char buffer[16384];
  while (in && body.size() <= limit) {
    in.read(buffer, sizeof(buffer));
    body.append(buffer, static_cast<size_t>(in.gcount()));
  }
  return body;
}

}  // namespace

struct RefCloudServer::Impl {
  Impl(const ServerOptions& options_in, CloudDb& db, FaultInjector& faults, CloudRules& rules,
       const Clock& clock, LogSink log)
      : options(options_in), context{options, db, faults, rules, clock, std::move(log)} {}

  void Handle(Poco::Net::HTTPServerRequest& http_request,
              Poco::Net::HTTPServerResponse& http_response);
  void Send(Poco::Net::HTTPServerResponse& http_response, const Reply& reply);

  ServerOptions options;
  RouteContext context;
  Poco::ThreadPool pool{"refcloud", 2, 96};
  std::unique_ptr<Poco::Net::HTTPServer> server;
  int port = 0;
  std::string url;
  bool stopped = false;
  std::thread ticker;
  std::mutex ticker_mutex;
  std::condition_variable ticker_cv;
  bool ticker_stop = false;  // guarded by ticker_mutex
};

namespace {

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(RefCloudServer::Impl& impl) : impl_(impl) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override;

 private:
  RefCloudServer::Impl& impl_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(RefCloudServer::Impl& impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(impl_);
  }

 private:
  RefCloudServer::Impl& impl_;
};

}  // namespace

void RefCloudServer::Impl::Send(Poco::Net::HTTPServerResponse& http_response, const Reply& reply) {
  http_response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
  http_response.setContentType("application/json");
  http_response.set("Tillbridge-Api-Version", "1.0");
  http_response.set("Tillbridge-Server-Time", FormatRfc3339(context.clock.NowMillis()));
  for (const auto& [name, value] : reply.headers) http_response.set(name, value);
  http_response.setContentLength(static_cast<std::streamsize>(reply.body.size()));
  http_response.send() << reply.body;
}

void RefCloudServer::Impl::Handle(Poco::Net::HTTPServerRequest& http_request,
                                  Poco::Net::HTTPServerResponse& http_response) {
  Request request;
  request.method = http_request.getMethod();
  const Poco::URI uri(http_request.getURI());
  request.path = uri.getPath();
  for (const auto& [name, value] : uri.getQueryParameters()) request.query[name] = value;
  for (const auto& [name, value] : http_request) request.headers[Lower(name)] = value;

  const bool api = request.path.rfind("/v1/", 0) == 0;
  const bool hook = request.path.rfind("/hooks/", 0) == 0;
  FaultDecision fault;
  if (api || hook) {
    const std::string stream = StreamOf(request);
    if (const std::int64_t early = context.faults.NoteRequest(stream); early > 0) {
      context.log("early retry: " + request.method + " " + request.path + " came " +
                  std::to_string(early) + " ms before its Retry-After time");
    }
    fault = context.faults.Decide();
    if (fault.kind == FaultKind::kOutage || fault.kind == FaultKind::kDropBefore) {
      if (!options.quiet) {
        context.log(std::string("fault ") + (fault.kind == FaultKind::kOutage ? "outage" : "drop") +
                    ": " + request.method + " " + request.path + " (connection closed)");
      }
      Drop(http_request, http_response);
      return;
    }
    if (fault.latency.count() > 0) std::this_thread::sleep_for(fault.latency);
  }
  // Read the whole body before any answer: bytes left unread on a kept-alive
  // connection would be taken for the start of the next request.
  const std::size_t limit = options.max_batch_bytes + 64 * 1024;
  request.body = ReadBody(http_request, limit);
  if (api || hook) {
    const std::string stream = StreamOf(request);
    if (fault.kind == FaultKind::kError) {
      const int status = context.faults.settings().error_status;
      if (!options.quiet)
        context.log("fault error " + std::to_string(status) + ": " + request.method + " " +
                    request.path);
      Send(http_response, ErrorReply(status, "injected_error", "the cloud is having a bad moment"));
      return;
    }
    if (fault.kind == FaultKind::kThrottle) {
      const FaultSettings settings = context.faults.settings();
      Reply reply = ErrorReply(429, "rate_limited", "slow down");
      UnixMillis until = context.clock.NowMillis() + settings.retry_after_seconds * 1000LL;
      if (settings.retry_after_as_date) {
        // The date form has whole seconds; round up so "until" is honest.
        until = (until + 999) / 1000 * 1000;
        reply.headers.emplace_back("Retry-After", Poco::DateTimeFormatter::format(
                                                      Poco::Timestamp::fromEpochTime(until / 1000),
                                                      Poco::DateTimeFormat::HTTP_FORMAT));
      } else {
        reply.headers.emplace_back("Retry-After", std::to_string(settings.retry_after_seconds));
      }
      context.faults.NoteThrottled(stream, until);
      if (!options.quiet) context.log("fault 429: " + request.method + " " + request.path);
      Send(http_response, reply);
      return;
    }
  }

  Reply reply;
  if (request.body.size() > limit) {
    reply = ErrorReply(413, "payload_too_large",
                       "the body exceeds " + std::to_string(limit) + " bytes");
    http_response.setKeepAlive(false);
  } else if (api) {
    reply = HandleApi(context, request);
  } else if (hook) {
    reply = HandleHook(context, request);
  } else if (request.path.rfind("/admin/", 0) == 0) {
    reply = HandleAdmin(context, request);
  } else {
    reply = ErrorReply(404, "not_found", "try /v1/health");
  }
  if (fault.kind == FaultKind::kDropAfter) {
    if (!options.quiet) {
      context.log("fault drop after processing: " + request.method + " " + request.path +
                  " (answer lost)");
    }
    Drop(http_request, http_response);
    return;
  }
  Send(http_response, reply);
}

void Handler::handleRequest(Poco::Net::HTTPServerRequest& request,
                            Poco::Net::HTTPServerResponse& response) {
  try {
    impl_.Handle(request, response);
  } catch (const Poco::Exception& error) {
    impl_.context.log(
        MaskPhonesInText("error handling " + request.getURI() + ": " + error.displayText()));
    if (!response.sent()) impl_.Send(response, ErrorReply(500, "internal", error.displayText()));
  } catch (const std::exception& error) {
    impl_.context.log(MaskPhonesInText("error handling " + request.getURI() + ": " + error.what()));
    if (!response.sent()) impl_.Send(response, ErrorReply(500, "internal", error.what()));
  }
}

RefCloudServer::RefCloudServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RefCloudServer::~RefCloudServer() { Stop(); }

Result<std::unique_ptr<RefCloudServer>> RefCloudServer::Start(const ServerOptions& options,
                                                              CloudDb& db, FaultInjector& faults,
                                                              CloudRules& rules, const Clock& clock,
                                                              LogSink log) {
  auto impl = std::make_unique<Impl>(options, db, faults, rules, clock, std::move(log));
  const bool tls = !options.tls_cert.empty() || !options.tls_key.empty();
  if (tls && (options.tls_cert.empty() || options.tls_key.empty())) {
    return Status::InvalidArgument("--tls-cert and --tls-key go together");
  }
  impl->context.tls = tls;
  try {
    const Poco::Net::SocketAddress address(options.host, static_cast<Poco::UInt16>(options.port));
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (tls) {
      Poco::Net::Context::Ptr context = new Poco::Net::Context(
          Poco::Net::Context::TLS_SERVER_USE, options.tls_key, options.tls_cert, "",
          Poco::Net::Context::VERIFY_NONE, 9, false, "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH");
      socket = std::make_unique<Poco::Net::SecureServerSocket>(address, 128, context);
    } else {
      socket = std::make_unique<Poco::Net::ServerSocket>(address, 128);
    }
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(90);
    params->setMaxQueued(512);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(30, 0));
    params->setTimeout(Poco::Timespan(120, 0));
    impl->port = socket->address().port();
    impl->url =
        std::string(tls ? "https://" : "http://") + options.host + ":" + std::to_string(impl->port);
    impl->server =
        std::make_unique<Poco::Net::HTTPServer>(new Factory(*impl), impl->pool, *socket, params);
    impl->server->start();
    if (options.tick_seconds > 0) {
      Impl* raw = impl.get();
      raw->ticker = std::thread([raw] {
        const auto period = std::chrono::seconds(raw->options.tick_seconds);
        std::unique_lock lock(raw->ticker_mutex);
        while (!raw->ticker_cv.wait_for(lock, period, [raw] { return raw->ticker_stop; })) {
          lock.unlock();
          // Failures are logged by RunDueAt; the next tick tries again.
          (void)RunDueAt(raw->context, raw->context.clock.NowMillis());
          lock.lock();
        }
      });
    }
  } catch (const Poco::Exception& error) {
    return Status::Unavailable("cannot serve on " + options.host + ":" +
                               std::to_string(options.port) + ": " + error.displayText());
  }
  return std::unique_ptr<RefCloudServer>(new RefCloudServer(std::move(impl)));
}

int RefCloudServer::port() const { return impl_->port; }
std::string RefCloudServer::url() const { return impl_->url; }

void RefCloudServer::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  {
    std::lock_guard lock(impl_->ticker_mutex);
    impl_->ticker_stop = true;
  }
  impl_->ticker_cv.notify_all();
  if (impl_->ticker.joinable()) impl_->ticker.join();
  impl_->context.db.Shutdown();
  impl_->server->stopAll(true);
  impl_->pool.joinAll();
}

}  // namespace tillbridge::refcloud
