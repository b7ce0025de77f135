// HttpTransport on Poco's HTTP client and NetSSL_OpenSSL: the transport of
// the Windows build (cpprestsdk cannot be built with mingw-w64), selectable on
// Linux with TILLBRIDGE_HTTP_CLIENT=poco. Same contract as the cpprestsdk one
// in http_transport.cpp; Poco stays inside this file.
#include "sync/http_transport.h"

#ifdef _WIN32
// Before any OpenSSL header: wincrypt.h defines names (X509_NAME, ...) that
// OpenSSL's headers undefine again when they come later.
#include <Poco/UnWindows.h>
#include <wincrypt.h>
#endif

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/SocketDefs.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#ifndef _WIN32
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <istream>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <vector>

namespace tillbridge::sync {
namespace {

using Clock = std::chrono::steady_clock;

// A kept-alive connection idle longer than this is not reused: servers drop
// idle connections after 5 s (Apache) to 75 s (nginx), and a request sent on
// a connection the server is closing is lost without an answer.
constexpr auto kIdleLimit = std::chrono::seconds(4);
constexpr std::size_t kMaxIdleConnections = 4;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// ---- Platform ---------------------------------------------------------------

#ifdef _WIN32
poco_socket_t DuplicateSocket(poco_socket_t original) {
  WSAPROTOCOL_INFOW info;
  if (WSADuplicateSocketW(original, GetCurrentProcessId(), &info) != 0) {
    return POCO_INVALID_SOCKET;
  }
  return WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &info, 0,
                    WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
}

void CloseDuplicate(poco_socket_t duplicate) { closesocket(duplicate); }

// Windows' shutdown makes later calls fail but does not wake a recv or send
// already waiting; cancelling the socket's pending I/O does (the duplicate
// shares the original's I/O). Checked under Wine.
void AbortSocket(poco_socket_t duplicate) {
  ::shutdown(duplicate, SD_BOTH);
  CancelIoEx(reinterpret_cast<HANDLE>(duplicate), nullptr);
}

// Poco 1.11's Context trusts only what OpenSSL's own paths hold, and on
// Windows those are a build machine's folders (possibly writable by anyone)
// rather than the machine's trust. The roots Windows trusts are in the ROOT
// system store.
void TrustSystemRoots(SSL_CTX* context) {
  HCERTSTORE store = CertOpenSystemStoreW(0, L"ROOT");
  if (store == nullptr) return;
  X509_STORE* trusted = SSL_CTX_get_cert_store(context);
  for (PCCERT_CONTEXT cert = CertEnumCertificatesInStore(store, nullptr); cert != nullptr;
       cert = CertEnumCertificatesInStore(store, cert)) {
    const unsigned char* der = cert->pbCertEncoded;
    X509* x509 = d2i_X509(nullptr, &der, static_cast<long>(cert->cbCertEncoded));
    if (x509 == nullptr) continue;
    X509_STORE_add_cert(trusted, x509);  // a duplicate is refused, harmlessly
    X509_free(x509);
  }
  CertCloseStore(store, 0);
  // Refused duplicates leave errors that would be reported with a later,
  // unrelated TLS failure on this thread.
  ERR_clear_error();
}

constexpr bool kLoadOpenSslDefaultPaths = false;

void IgnoreBrokenPipes() {}
#else
poco_socket_t DuplicateSocket(poco_socket_t original) {
  return ::fcntl(original, F_DUPFD_CLOEXEC, 0);
}

void CloseDuplicate(poco_socket_t duplicate) { ::close(duplicate); }

// Wakes calls already waiting on the connection, and makes later ones fail.
void AbortSocket(poco_socket_t duplicate) { ::shutdown(duplicate, SHUT_RDWR); }

void TrustSystemRoots(SSL_CTX*) {}

constexpr bool kLoadOpenSslDefaultPaths = true;

// OpenSSL writes with write(2) and Poco with send(2) without MSG_NOSIGNAL,
// so writing to a connection the server reset (or that Cancel shut down)
// raises SIGPIPE, which by default ends the process. A handler someone else
// installed is left alone.
void IgnoreBrokenPipes() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      signal(SIGPIPE, SIG_IGN);
    }
  });
}
#endif

// A second descriptor for a session's socket, so that Cancel can shut the
// connection down from another thread. Poco closes its own descriptor on
// failures at moments this file does not see; a closed number may be reused
// at once by an unrelated socket, while this duplicate keeps the connection
// (and so its number) alive until the session is done with it.
class SocketDuplicate {
 public:
  SocketDuplicate() = default;
  ~SocketDuplicate() { Reset(POCO_INVALID_SOCKET); }
  SocketDuplicate(const SocketDuplicate&) = delete;
  SocketDuplicate& operator=(const SocketDuplicate&) = delete;

  void Reset(poco_socket_t original) {
    if (fd_ != POCO_INVALID_SOCKET) CloseDuplicate(fd_);
    fd_ = original == POCO_INVALID_SOCKET ? POCO_INVALID_SOCKET : DuplicateSocket(original);
  }
  // Makes blocked and later I/O on the connection fail at once.
  void Shutdown() const {
    if (fd_ != POCO_INVALID_SOCKET) AbortSocket(fd_);
  }

 private:
  poco_socket_t fd_ = POCO_INVALID_SOCKET;
};

// ---- TLS --------------------------------------------------------------------

// Why OpenSSL refused the peer's certificate, for the error message. The
// handshake runs on the thread that called Send.
thread_local std::string tls_verify_error;

// Replaces Poco's verify callback, which hands failures to SSLManager's
// process-wide certificate handlers: depending on what else in the process
// configured them, those prompt on the console or accept anything. Here a
// failure is a failure.
int KeepVerifyResult(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok == 0 && tls_verify_error.empty()) {
    tls_verify_error = X509_verify_cert_error_string(X509_STORE_CTX_get_error(store));
  }
  return preverify_ok;
}

Result<Poco::Net::Context::Ptr> MakeTlsContext(const EndpointOptions& endpoint,
                                               const std::string& host) {
  Poco::Net::Context::Params params;
  params.verificationMode =
      endpoint.verify_tls ? Poco::Net::Context::VERIFY_STRICT : Poco::Net::Context::VERIFY_NONE;
  params.loadDefaultCAs = endpoint.verify_tls && kLoadOpenSslDefaultPaths;
  if (endpoint.verify_tls) params.caLocation = endpoint.ca_file;
  params.cipherList = "DEFAULT";
  Poco::Net::Context::Ptr context;
  try {
    context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  } catch (const Poco::Exception& error) {
    return Status::InvalidArgument("cannot set up TLS with CA file '" + endpoint.ca_file +
                                   "': " + error.displayText());
  }
  context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  SSL_CTX* ssl = context->sslContext();
  if (!endpoint.verify_tls) {
    SSL_CTX_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
    return context;
  }
  TrustSystemRoots(ssl);
  // OpenSSL checks the name during the handshake. Poco checks it afterwards
  // too (VERIFY_STRICT, so also for loopback), but skips that check when
  // the handshake does not finish in its first call.
  X509_VERIFY_PARAM* verify = SSL_CTX_get0_param(ssl);
  Poco::Net::IPAddress ip;
  const int named = Poco::Net::IPAddress::tryParse(host, ip)
                        ? X509_VERIFY_PARAM_set1_ip_asc(verify, host.c_str())
                        : X509_VERIFY_PARAM_set1_host(verify, host.c_str(), host.size());
  if (named != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("cannot verify TLS for host '" + host + "'");
  }
  X509_VERIFY_PARAM_set_hostflags(verify, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  SSL_CTX_set_verify(ssl, SSL_VERIFY_PEER, &KeepVerifyResult);
  return context;
}

// ---- Where requests go --------------------------------------------------------

struct Proxy {
  std::string host;
  Poco::UInt16 port = 0;
  std::string username;
  std::string password;
};

struct Route {
  bool https = false;
  std::string host;
  Poco::UInt16 port = 0;
  std::string base_path;   // encoded, without a trailing '/'
  std::string base_query;  // encoded, without '?'
  std::optional<Proxy> proxy;
  Poco::Net::Context::Ptr tls;  // set when https
  std::chrono::milliseconds timeout{};

  // The request target for `path` ("/v1/x?y=1"), joined the way cpprestsdk
  // joins a request URI to its client's base URI.
  std::string Target(const std::string& path) const {
    const auto query_at = path.find('?');
    std::string own_path = path.substr(0, query_at);
    std::string query = base_query;
    if (query_at != std::string::npos && query_at + 1 < path.size()) {
      if (!query.empty()) query += '&';
      query += path.substr(query_at + 1);
    }
    std::string target = base_path;
    if (!own_path.empty() && own_path.front() != '/') target += '/';
    target += own_path;
    if (target.empty()) target = "/";
    if (!query.empty()) target += "?" + query;
    return target;
  }

  // host:port as CONNECT and Host headers want it.
  std::string Authority() const {
    const std::string name = host.find(':') == std::string::npos ? host : "[" + host + "]";
    return name + ":" + std::to_string(port);
  }
};

Result<Route> ParseServer(const std::string& url) {
  const std::string cannot = "cannot use URL '" + url + "': ";
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception& error) {
    return Status::InvalidArgument(cannot + error.displayText());
  }
  Route route;
  const std::string scheme = Lower(uri.getScheme());
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument(cannot + "the scheme must be http or https");
  }
  if (uri.getHost().empty()) return Status::InvalidArgument(cannot + "no host");
  if (uri.getPort() == 0) return Status::InvalidArgument(cannot + "no port");
  route.https = scheme == "https";
  route.host = uri.getHost();
  route.port = uri.getPort();
  const std::string path_etc = uri.getPathEtc();  // encoded
  route.base_path = path_etc.substr(0, path_etc.find_first_of("?#"));
  while (!route.base_path.empty() && route.base_path.back() == '/') route.base_path.pop_back();
  route.base_query = uri.getRawQuery();
  return route;
}

Result<Proxy> ParseProxy(const std::string& url) {
  const std::string cannot = "cannot use proxy '" + url + "': ";
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception& error) {
    return Status::InvalidArgument(cannot + error.displayText());
  }
  if (Lower(uri.getScheme()) != "http") {
    return Status::InvalidArgument(cannot + "only http:// proxies are supported");
  }
  if (uri.getHost().empty()) return Status::InvalidArgument(cannot + "no host");
  if (uri.getPort() == 0) return Status::InvalidArgument(cannot + "no port");
  Proxy proxy;
  proxy.host = uri.getHost();
  proxy.port = uri.getPort();
  const std::string& user_info = uri.getUserInfo();
  const auto colon = user_info.find(':');
  Poco::URI::decode(user_info.substr(0, colon), proxy.username);
  if (colon != std::string::npos) Poco::URI::decode(user_info.substr(colon + 1), proxy.password);
  return proxy;
}

// What is left of the time limit, as Poco wants it. Poco reads a zero
// Timespan as "no limit", hence at least a millisecond.
Poco::Timespan Remaining(Clock::time_point deadline, std::chrono::milliseconds limit) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) {
    throw Poco::TimeoutException("no complete answer within " + std::to_string(limit.count()) +
                                 " ms");
  }
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(left.count()) * 1000);
}

void LimitSocket(Poco::Net::StreamSocket& socket, const Poco::Timespan& limit) {
  socket.setSendTimeout(limit);
  socket.setReceiveTimeout(limit);
}

// ---- Connections in flight ------------------------------------------------------

class Connection;

// The transport's connections: those in flight (so Cancel can reach them)
// and those idle between requests.
class ConnectionRegistry {
 public:
  ~ConnectionRegistry();

  bool cancelled() const { return cancelled_.load(); }

  // A request starts on `socket`; false when the transport is cancelled.
  bool Enter(const SocketDuplicate& socket) {
    std::lock_guard lock(mutex_);
    if (cancelled_.load()) return false;
    live_.insert(&socket);
    return true;
  }
  void Leave(const SocketDuplicate& socket) {
    std::lock_guard lock(mutex_);
    live_.erase(&socket);
  }
  // A live connection has a new socket (before it connects, so Cancel also
  // aborts the connect). Throws when the transport is cancelled.
  void Connecting(SocketDuplicate& socket, poco_socket_t fd) {
    std::lock_guard lock(mutex_);
    socket.Reset(fd);
    if (cancelled_.load()) throw Poco::Net::NetException("cancelled");
  }
  void Cancel();

  // A connection kept alive by an earlier request, or null.
  std::unique_ptr<Connection> TakeIdle();
  void ReturnIdle(std::unique_ptr<Connection> connection);

 private:
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  std::set<const SocketDuplicate*> live_;          // guarded by mutex_
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mutex_
};

// A Poco session whose connect this file does itself: on a socket that
// Cancel can reach from the first moment, within the request's time limit,
// through the configured proxy (CONNECT for https) and with this
// transport's TLS context. Never touches Poco's process-wide proxy setting
// or SSLManager.
class TrackedSession final : public Poco::Net::HTTPClientSession {
 public:
  TrackedSession(const Route& route, ConnectionRegistry& registry, SocketDuplicate& socket)
      : Poco::Net::HTTPClientSession(route.host, route.port, ProxyConfigFor(route)),
        route_(route),
        registry_(registry),
        socket_(socket) {
    setKeepAlive(true);
    // The pool decides about reuse (kIdleLimit); Poco's own limit counts from
    // the start of the last request, so a long poll would make it reconnect.
    setKeepAliveTimeout(Poco::Timespan(24 * 3600, 0));
  }

  void set_deadline(Clock::time_point deadline) { deadline_ = deadline; }

 protected:
  // `address` is the proxy's when there is one.
  void connect(const Poco::Net::SocketAddress& address) override {
    Poco::Net::StreamSocket plain(address.family());
    registry_.Connecting(socket_, plain.impl()->sockfd());
    plain.connect(address, Remaining(deadline_, route_.timeout));
    if (registry_.cancelled()) throw Poco::Net::NetException("cancelled");
    plain.setNoDelay(true);
    LimitSocket(plain, Remaining(deadline_, route_.timeout));
    if (!route_.https) {
      attachSocket(plain);
      return;
    }
    if (route_.proxy) OpenTunnel(plain);
    LimitSocket(plain, Remaining(deadline_, route_.timeout));
    attachSocket(Poco::Net::SecureStreamSocket::attach(plain, route_.host, route_.tls));
    // A handshake that ran out of time comes back from Poco without an error
    // and would go on waiting in the first write.
    Remaining(deadline_, route_.timeout);
  }

  // Through a CONNECT tunnel requests keep their origin form and carry no
  // proxy credentials.
  std::string proxyRequestPrefix() const override {
    return route_.https ? std::string() : HTTPClientSession::proxyRequestPrefix();
  }
  void proxyAuthenticate(Poco::Net::HTTPRequest& request) override {
    if (!route_.https) HTTPClientSession::proxyAuthenticate(request);
  }
  bool secure() const override { return route_.https; }

 private:
  static ProxyConfig ProxyConfigFor(const Route& route) {
    ProxyConfig config;  // empty: direct, whatever the process-wide default says
    if (route.proxy) {
      config.host = route.proxy->host;
      config.port = route.proxy->port;
      config.username = route.proxy->username;
      config.password = route.proxy->password;
      // Poco's default (Basic) would send empty credentials to every proxy.
      config.authMethod = config.username.empty() ? PROXY_AUTH_NONE : PROXY_AUTH_HTTP_BASIC;
    }
    return config;
  }

  void OpenTunnel(Poco::Net::StreamSocket& plain) {
    Poco::Net::HTTPClientSession tunnel(plain);
    tunnel.setProxyConfig(ProxyConfig());
    tunnel.setKeepAlive(true);
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_CONNECT, route_.Authority(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Host", route_.Authority());
    if (!route_.proxy->username.empty()) {
      Poco::Net::HTTPBasicCredentials(route_.proxy->username, route_.proxy->password)
          .proxyAuthenticate(request);
    }
    tunnel.sendRequest(request);
    Poco::Net::HTTPResponse answer;
    tunnel.receiveResponse(answer);
    if (answer.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
      throw Poco::Net::HTTPException("the proxy refused CONNECT " + route_.Authority() + ": " +
                                     std::to_string(answer.getStatus()) + " " + answer.getReason());
    }
    // Otherwise the tunnel session would close the socket when it goes.
    plain = tunnel.detachSocket();
  }

  const Route& route_;
  ConnectionRegistry& registry_;
  SocketDuplicate& socket_;
  Clock::time_point deadline_ = Clock::now();
};

// One session and the duplicate of its socket; lives in a Send or in the
// idle pool.
class Connection {
 public:
  Connection(const Route& route, ConnectionRegistry& registry)
      : session_(route, registry, socket_) {}

  TrackedSession& session() { return session_; }
  const SocketDuplicate& socket() const { return socket_; }
  Clock::time_point idle_since() const { return idle_since_; }
  void set_idle_since(Clock::time_point when) { idle_since_ = when; }

  // False when the server has closed (or written on) the idle connection.
  bool Usable() {
    try {
      return session_.connected() && Clock::now() - idle_since_ < kIdleLimit &&
             !session_.socket().poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ |
                                                            Poco::Net::Socket::SELECT_ERROR);
    } catch (const Poco::Exception&) {
      return false;
    }
  }

 private:
  SocketDuplicate socket_;  // declared first: the session refers to it
  TrackedSession session_;
  Clock::time_point idle_since_ = Clock::now();
};

ConnectionRegistry::~ConnectionRegistry() = default;

void ConnectionRegistry::Cancel() {
  std::vector<std::unique_ptr<Connection>> dropped;
  {
    std::lock_guard lock(mutex_);
    cancelled_.store(true);
    for (const SocketDuplicate* socket : live_) socket->Shutdown();
    dropped.swap(idle_);
  }
}

std::unique_ptr<Connection> ConnectionRegistry::TakeIdle() {
  for (;;) {
    std::unique_ptr<Connection> connection;
    {
      std::lock_guard lock(mutex_);
      if (idle_.empty()) return nullptr;
      connection = std::move(idle_.back());
      idle_.pop_back();
    }
    if (connection->Usable()) return connection;
  }
}

void ConnectionRegistry::ReturnIdle(std::unique_ptr<Connection> connection) {
  connection->set_idle_since(Clock::now());
  std::lock_guard lock(mutex_);
  if (cancelled_.load() || idle_.size() >= kMaxIdleConnections) return;
  idle_.push_back(std::move(connection));
}

// Registers a request's connection with the registry for as long as it runs.
class InFlight {
 public:
  InFlight(ConnectionRegistry& registry, const Connection& connection)
      : registry_(registry), socket_(connection.socket()), entered_(registry.Enter(socket_)) {}
  ~InFlight() {
    if (entered_) registry_.Leave(socket_);
  }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  bool entered() const { return entered_; }

 private:
  ConnectionRegistry& registry_;
  const SocketDuplicate& socket_;
  const bool entered_;
};

// ---- One exchange ------------------------------------------------------------

// Sends `request` on `connection` and reads the whole answer; throws on any
// failure. `reusable` says whether the connection may carry another request.
HttpResponse Exchange(const Route& route, const std::string& user_agent, Connection& connection,
                      const HttpRequest& request, Clock::time_point deadline, bool& reusable) {
  TrackedSession& session = connection.session();
  session.set_deadline(deadline);
  Poco::Net::HTTPRequest message(request.method, route.Target(request.path),
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  message.set("User-Agent", user_agent);
  for (const auto& [name, value] : request.headers) message.add(name, value);
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    if (!request.content_type.empty()) message.setContentType(request.content_type);
    message.setContentLength64(static_cast<Poco::Int64>(request.body.size()));
  }
  if (session.connected()) LimitSocket(session.socket(), Remaining(deadline, route.timeout));
  std::ostream& out = session.sendRequest(message);
  out.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
  LimitSocket(session.socket(), Remaining(deadline, route.timeout));
  Poco::Net::HTTPResponse answer;
  std::istream& in = session.receiveResponse(answer);

  HttpResponse response;
  response.status = static_cast<int>(answer.getStatus());
  for (const auto& [name, value] : answer) {
    std::string& slot = response.headers[Lower(name)];
    slot =
        slot.empty() ? value : slot + ", " + value;  // repeated headers, as cpprestsdk joins them
  }
  char buffer[16 * 1024];
  for (;;) {
    // The limit covers the whole answer, not each read.
    LimitSocket(session.socket(), Remaining(deadline, route.timeout));
    in.read(buffer, sizeof buffer);
    response.body.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (in.bad()) {
      if (const Poco::Exception* failure = session.networkException()) failure->rethrow();
      throw Poco::Net::MessageException("the answer was cut short");
    }
    if (in.eof()) break;
  }
  const bool bodiless = request.method == "HEAD" || response.status == 204 ||
                        response.status == 304 || response.status / 100 == 1;
  if (!bodiless && answer.hasContentLength() &&
      response.body.size() != static_cast<std::size_t>(answer.getContentLength64())) {
    // Poco ends a fixed-length body quietly when the connection closes early.
    throw Poco::Net::MessageException("the connection closed after " +
                                      std::to_string(response.body.size()) + " of " +
                                      std::to_string(answer.getContentLength64()) + " body bytes");
  }
  reusable =
      answer.getKeepAlive() && (answer.hasContentLength() || answer.getChunkedTransferEncoding());
  return response;
}

std::string TlsFailure(const std::string& what) {
  std::string message = "TLS failure (certificate not trusted or wrong host name?): " + what;
  if (!tls_verify_error.empty()) message += " (" + tls_verify_error + ")";
  return message;
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  auto it = headers.find(Lower(std::string(name)));
  return it == headers.end() ? std::string() : it->second;
}

struct HttpTransport::Impl {
  Route route;
  std::string user_agent;
  ConnectionRegistry registry;  // after route: idle sessions refer to it

  Status Failed(std::string why) const {
    if (registry.cancelled()) return Status::Unavailable("cancelled");
    return Status::Unavailable(std::move(why));
  }
};

HttpTransport::HttpTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpTransport::~HttpTransport() { Cancel(); }

Result<std::unique_ptr<HttpTransport>> HttpTransport::Create(const EndpointOptions& endpoint,
                                                             std::string user_agent,
                                                             std::chrono::milliseconds timeout) {
  try {
    auto route = ParseServer(endpoint.url);
    if (!route.ok()) return route.status();
    if (!endpoint.proxy.empty()) {
      auto proxy = ParseProxy(endpoint.proxy);
      if (!proxy.ok()) return proxy.status();
      route->proxy = std::move(proxy).value();
    }
    route->timeout = timeout.count() > 0 ? timeout : endpoint.timeout;
    if (route->timeout.count() <= 0) {
      return Status::InvalidArgument("the time limit must be positive");
    }
    if (route->https) {
      auto tls = MakeTlsContext(endpoint, route->host);
      if (!tls.ok()) return tls.status();
      route->tls = std::move(tls).value();
    }
    IgnoreBrokenPipes();
    auto impl = std::make_unique<Impl>();
    impl->route = std::move(route).value();
    impl->user_agent = std::move(user_agent);
    return std::unique_ptr<HttpTransport>(new HttpTransport(std::move(impl)));
  } catch (const Poco::Exception& error) {
    return Status::InvalidArgument("cannot use URL '" + endpoint.url + "': " + error.displayText());
  } catch (const std::exception& error) {
    return Status::InvalidArgument("cannot use URL '" + endpoint.url + "': " + error.what());
  }
}

Result<HttpResponse> HttpTransport::Send(const HttpRequest& request) {
  Impl& impl = *impl_;
  if (impl.registry.cancelled()) return Status::Unavailable("cancelled");
  const Clock::time_point deadline = Clock::now() + impl.route.timeout;
  tls_verify_error.clear();
  ERR_clear_error();  // Poco reports the first queued OpenSSL error
  try {
    std::unique_ptr<Connection> connection = impl.registry.TakeIdle();
    if (!connection) connection = std::make_unique<Connection>(impl.route, impl.registry);
    bool reusable = false;
    HttpResponse response;
    {
      InFlight in_flight(impl.registry, *connection);
      if (!in_flight.entered()) return Status::Unavailable("cancelled");
      response = Exchange(impl.route, impl.user_agent, *connection, request, deadline, reusable);
    }
    // An answer that Cancel may have cut short is not trusted.
    if (impl.registry.cancelled()) return Status::Unavailable("cancelled");
    if (reusable) impl.registry.ReturnIdle(std::move(connection));
    return response;
  } catch (const Poco::TimeoutException& error) {
    return impl.Failed("timed out: " + error.displayText());
  } catch (const Poco::Net::SSLException& error) {
    return impl.Failed(TlsFailure(error.displayText()));
  } catch (const Poco::Exception& error) {
    if (!tls_verify_error.empty()) return impl.Failed(TlsFailure(error.displayText()));
    return impl.Failed("no answer: " + error.displayText());
  } catch (const std::exception& error) {
    return impl.Failed("no answer: " + std::string(error.what()));
  } catch (...) {
    return impl.Failed("no answer: unknown error");
  }
}

void HttpTransport::Cancel() { impl_->registry.Cancel(); }

}  // namespace tillbridge::sync
