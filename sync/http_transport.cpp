#include "sync/http_transport.h"

#include <cpprest/http_client.h>
#include <pplx/threadpool.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>

namespace tillbridge::sync {
namespace {

namespace http = web::http;
namespace client = web::http::client;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// cpprestsdk starts 40 worker threads by default; a register-side agent needs
// a handful. Must happen before its first use, hence once, here.
void SizeThreadPool() {
  static std::once_flag once;
  std::call_once(once, [] {
    try {
      crossplat::threadpool::initialize_with_threads(4);
    } catch (const std::exception&) {
      // Already started by another user in this process: keep its size.
    }
  });
}

// `timed_out` is cpprestsdk's error code; its text alone ("Failed to read
// HTTP status line") does not say that the time limit ended the request.
std::string DescribeFailure(const std::string& what, bool timed_out = false) {
  if (timed_out) return "timed out: " + what;
  const std::string lower = Lower(what);
  if (lower.find("certificate") != std::string::npos || lower.find("ssl") != std::string::npos ||
      lower.find("handshake") != std::string::npos) {
    return "TLS failure (certificate not trusted or wrong host name?): " + what;
  }
  if (lower.find("timed out") != std::string::npos || lower.find("timeout") != std::string::npos) {
    return "timed out: " + what;
  }
  return "no answer: " + what;
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  auto it = headers.find(Lower(std::string(name)));
  return it == headers.end() ? std::string() : it->second;
}

struct HttpTransport::Impl {
  std::unique_ptr<client::http_client> http_client;
  std::string user_agent;
  std::atomic<bool> cancelled{false};
  std::mutex mutex;
  pplx::cancellation_token_source cancel_source;  // guarded by mutex
};

HttpTransport::HttpTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpTransport::~HttpTransport() { Cancel(); }

Result<std::unique_ptr<HttpTransport>> HttpTransport::Create(const EndpointOptions& endpoint,
                                                             std::string user_agent,
                                                             std::chrono::milliseconds timeout) {
  SizeThreadPool();
  auto impl = std::make_unique<Impl>();
  impl->user_agent = std::move(user_agent);
  try {
    client::http_client_config config;
    config.set_timeout(timeout.count() > 0 ? timeout : endpoint.timeout);
    config.set_validate_certificates(endpoint.verify_tls);
    if (endpoint.proxy.empty()) {
      // Without this the library would pick up http_proxy from the
      // environment; only the configured proxy is used.
      config.set_proxy(web::web_proxy(web::web_proxy::disabled));
    } else {
      const web::uri proxy(endpoint.proxy);
      // cpprestsdk would take a proxy without a host and fail on every send.
      if (proxy.host().empty()) {
        return Status::InvalidArgument("cannot use proxy '" + endpoint.proxy +
                                       "': it names no host");
      }
      config.set_proxy(web::web_proxy(proxy));
    }
    if (!endpoint.ca_file.empty()) {
      const std::string ca_file = endpoint.ca_file;
      config.set_ssl_context_callback([ca_file](boost::asio::ssl::context& context) {
        boost::system::error_code ignored;  // the file was checked when options were read
        context.load_verify_file(ca_file, ignored);
      });
    }
    impl->http_client = std::make_unique<client::http_client>(web::uri(endpoint.url), config);
  } catch (const std::exception& error) {
    return Status::InvalidArgument("cannot use URL '" + endpoint.url + "': " + error.what());
  }
  return std::unique_ptr<HttpTransport>(new HttpTransport(std::move(impl)));
}

Result<HttpResponse> HttpTransport::Send(const HttpRequest& request) {
  if (impl_->cancelled.load()) return Status::Unavailable("cancelled");
  pplx::cancellation_token token = pplx::cancellation_token::none();
  {
    std::lock_guard lock(impl_->mutex);
    token = impl_->cancel_source.get_token();
  }
  try {
    http::http_request message(http::method(request.method));
    message.set_request_uri(web::uri(request.path));
    message.headers().add("User-Agent", impl_->user_agent);
    for (const auto& [name, value] : request.headers) message.headers().add(name, value);
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
      message.set_body(request.body, request.content_type);
    }
    http::http_response answer = impl_->http_client->request(message, token).get();
    HttpResponse response;
    response.status = answer.status_code();
    for (const auto& [name, value] : answer.headers()) response.headers[Lower(name)] = value;
    response.body = answer.extract_utf8string(true).get();
    return response;
  } catch (const pplx::task_canceled&) {
    return Status::Unavailable("cancelled");
  } catch (const http::http_exception& error) {
    if (impl_->cancelled.load()) return Status::Unavailable("cancelled");
    return Status::Unavailable(
        DescribeFailure(error.what(), error.error_code() == std::errc::timed_out));
  } catch (const std::exception& error) {
    return Status::Unavailable(DescribeFailure(error.what()));
  }
}

void HttpTransport::Cancel() {
  impl_->cancelled.store(true);
  std::lock_guard lock(impl_->mutex);
  impl_->cancel_source.cancel();
}

}  // namespace tillbridge::sync

#if defined(__SANITIZE_ADDRESS__)
// LeakSanitizer: OpenSSL keeps per-thread state (error queue, random
// generators) for cpprestsdk's worker threads, which live until the process
// ends and so are still running when leaks are checked at exit. Defined here
// so every binary that talks HTTP through this file gets it.
extern "C" const char* __lsan_default_suppressions() { return "leak:CRYPTO_zalloc\n"; }
#endif
