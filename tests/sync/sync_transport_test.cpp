// How sync reaches its destinations: TLS with a test CA (and certificates
// that must be refused), a real HTTP proxy (tinyproxy), the signed webhook
// sink against the reference cloud's catch hook, and the HTTP transport's own
// contract (time limit, Cancel, concurrent sends, bad answers). Built twice:
// sync_transport_test with tillbridge_sync's configured transport and, on
// Linux, sync_transport_poco_test with the Poco one.
#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/SSLManager.h>
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "store/outbox.h"
#include "store/store.h"
#include "store/transaction_log.h"
#include "sync/cloud_check.h"
#include "sync/http_transport.h"
#include "sync/sync_service.h"
#include "tests/sync/sync_test_util.h"
#include "tests/test_util.h"

using namespace std::chrono_literals;
using namespace tillbridge;
using tillbridge::testing::RefCloud;

namespace {

constexpr const char* kHookSecret = "whsec-test-0123456789";

// Which HttpTransport this binary links: "cpprest" or "poco" (set by the build).
constexpr std::string_view kTransport = TILLBRIDGE_HTTP_TRANSPORT;

std::unique_ptr<store::Store> OpenStore(const std::string& path) {
  store::StoreOptions options;
  options.path = path;
  options.store_id = "store-1";
  auto opened = store::Store::Open(options);
  REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
  return std::move(opened).value();
}

std::unique_ptr<RefCloud> StartCloud(const std::string& dir, RefCloud::Options options = {}) {
  auto cloud = RefCloud::Start(dir, std::move(options));
  REQUIRE_MESSAGE(cloud.ok(), cloud.status().ToString());
  return std::move(cloud).value();
}

std::int64_t Depth(store::Store& store) { return store.outbox().Depth().value(); }

std::string SyncKey(store::Store& store, const std::string& key) {
  auto stats = store.Stats();
  REQUIRE(stats.ok());
  auto it = stats->sync.find(key);
  return it == stats->sync.end() ? "" : it->second;
}

void Ingest(store::Store& store, std::int64_t first, std::int64_t count) {
  REQUIRE(store.transactions()
              .Ingest("sim", testing::MakeSales(first, count, 4, store.clock().NowMillis()),
                      std::to_string(first + count - 1))
              .ok());
}

// Runs sync for a while against something that must refuse it; nothing may
// be delivered, nothing dead-lettered, and the state must say why.
void ExpectRefused(store::Store& store, const sync::SyncOptions& options, const std::string& why) {
  const auto before = Depth(store);
  sync::SyncService service(store, options);
  REQUIRE(service.Start().ok());
  REQUIRE(testing::WaitUntilTrue([&] { return SyncKey(store, "cloud.state") == "offline"; }, 10s));
  std::this_thread::sleep_for(500ms);
  CHECK(Depth(store) == before);
  CHECK(store.outbox().DeadLetters(5)->empty());
  CHECK_MESSAGE(SyncKey(store, "cloud.last_error").find(why) != std::string::npos,
                SyncKey(store, "cloud.last_error"));
}

// A TCP listener on 127.0.0.1 for what the reference cloud never does. With
// a reply, each connection gets it once its request headers have arrived and
// is then closed; without one, connections are never accepted, so a client's
// request (or TLS hello) waits unanswered.
class RawServer {
 public:
  explicit RawServer(std::optional<std::string> reply) : reply_(std::move(reply)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
    if (reply_) thread_ = std::thread([this] { Serve(); });
  }
  ~RawServer() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  std::string url(const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_);
  }

 private:
  void Serve() {
    while (!stop_.load()) {
      pollfd waiting{fd_, POLLIN, 0};
      if (::poll(&waiting, 1, 50) <= 0) continue;
      const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t got = ::recv(client, buffer, sizeof buffer, 0);
        if (got <= 0) break;
        request.append(buffer, static_cast<std::size_t>(got));
      }
      [[maybe_unused]] const ssize_t sent =
          ::send(client, reply_->data(), reply_->size(), MSG_NOSIGNAL);
      ::close(client);
    }
  }

  std::optional<std::string> reply_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

sync::EndpointOptions Endpoint(const std::string& url, std::chrono::milliseconds timeout) {
  sync::EndpointOptions endpoint;
  endpoint.url = url;
  endpoint.timeout = timeout;
  return endpoint;
}

std::unique_ptr<sync::HttpTransport> MakeTransport(const sync::EndpointOptions& endpoint) {
  auto transport = sync::HttpTransport::Create(endpoint, "tillbridge-test/1");
  REQUIRE_MESSAGE(transport.ok(), transport.status().ToString());
  return std::move(transport).value();
}

sync::HttpRequest HealthRequest(const RefCloud& cloud) {
  sync::HttpRequest request;
  request.path = "/v1/health";
  request.headers = {{"Authorization", "Bearer " + cloud.options().token}};
  return request;
}

std::chrono::milliseconds Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

// Points the usual proxy variables at `proxy` while it lives; restores them.
class ProxyEnvironment {
 public:
  explicit ProxyEnvironment(const std::string& proxy) {
    for (const char* name : {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                             "ALL_PROXY", "no_proxy", "NO_PROXY"}) {
      const char* old = std::getenv(name);
      saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      if (std::string(name).find("no_") == 0 || std::string(name).find("NO_") == 0) {
        ::unsetenv(name);
      } else {
        ::setenv(name, proxy.c_str(), 1);
      }
    }
  }
  ~ProxyEnvironment() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name, value->c_str(), 1);
      } else {
        ::unsetenv(name);
      }
    }
  }
  ProxyEnvironment(const ProxyEnvironment&) = delete;
  ProxyEnvironment& operator=(const ProxyEnvironment&) = delete;

 private:
  std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
};

}  // namespace

TEST_CASE(
    "TLS: a test CA is trusted when configured; untrusted and wrong-host certificates are "
    "refused") {
  testing::TempDir dir;
  auto pki = testing::MakeTestPki(dir.path().string());
  REQUIRE_MESSAGE(pki.ok(), pki.status().ToString());

  RefCloud::Options good;
  good.tls_cert = pki->server_cert;
  good.tls_key = pki->server_key;
  auto cloud = StartCloud(dir.path().string(), good);
  REQUIRE(cloud->url().rfind("https://", 0) == 0);

  auto trusting = cloud->SyncOptionsFor();
  trusting.cloud.endpoint.ca_file = pki->ca_cert;
  CHECK(sync::CheckCloudReachable(trusting).ok());

  auto store = OpenStore(dir.File("a.db"));
  Ingest(*store, 1, 10);

  SUBCASE("the system store alone does not know the test CA") {
    auto untrusting = cloud->SyncOptionsFor();
    auto check = sync::CheckCloudReachable(untrusting);
    CHECK(check.code() == StatusCode::kUnavailable);
    CHECK_MESSAGE(check.message().find("TLS") != std::string::npos, check.message());
    ExpectRefused(*store, untrusting, "TLS");
    CHECK(cloud->Stats().Int("events_distinct") == 0);
  }
  SUBCASE("with the CA file, events go through") {
    sync::SyncService service(*store, trusting);
    REQUIRE(service.Start().ok());
    REQUIRE(testing::WaitUntilTrue([&] { return Depth(*store) == 0; }, 20s));
    CHECK(cloud->Stats().Int("events_distinct") == 10);
  }
  SUBCASE("a certificate from the right CA for another host is refused") {
    RefCloud::Options wrong_host;
    wrong_host.tls_cert = pki->wrong_host_cert;
    wrong_host.tls_key = pki->wrong_host_key;
    auto impostor = StartCloud(dir.path().string(), wrong_host);
    auto options = impostor->SyncOptionsFor();
    options.cloud.endpoint.ca_file = pki->ca_cert;
    CHECK(sync::CheckCloudReachable(options).code() == StatusCode::kUnavailable);
    ExpectRefused(*store, options, "TLS");
    CHECK(impostor->Stats().Int("events_distinct") == 0);
  }
  SUBCASE("a self-signed certificate is refused unless verification is switched off") {
    RefCloud::Options self_signed;
    self_signed.tls_cert = pki->self_signed_cert;
    self_signed.tls_key = pki->self_signed_key;
    auto impostor = StartCloud(dir.path().string(), self_signed);
    auto options = impostor->SyncOptionsFor();
    options.cloud.endpoint.ca_file = pki->ca_cert;
    ExpectRefused(*store, options, "TLS");
    CHECK(impostor->Stats().Int("events_distinct") == 0);
    // The documented diagnostic switch: cloud.verify_tls = false.
    options.cloud.endpoint.verify_tls = false;
    sync::SyncService service(*store, options);
    REQUIRE(service.Start().ok());
    REQUIRE(testing::WaitUntilTrue([&] { return Depth(*store) == 0; }, 20s));
    CHECK(impostor->Stats().Int("events_distinct") == 10);
  }
}

TEST_CASE("through a real HTTP proxy, for http and for https (CONNECT)") {
  testing::TempDir dir;
  auto pki = testing::MakeTestPki(dir.path().string());
  REQUIRE(pki.ok());
  const int proxy_port = testing::FreePort();
  {
    std::ofstream config(dir.File("tinyproxy.conf"));
    config << "Port " << proxy_port << "\nListen 127.0.0.1\nTimeout 60\nLogFile \""
           << dir.File("tinyproxy.log") << "\"\nLogLevel Connect\nMaxClients 50\n"
           << "Allow 127.0.0.1\nDisableViaHeader Yes\n";
  }
  auto proxy = testing::ChildProcess::Spawn(
      {"/usr/bin/tinyproxy", "-d", "-c", dir.File("tinyproxy.conf")}, dir.File("tinyproxy.out"));
  REQUIRE_MESSAGE(proxy.ok(), "tinyproxy is needed (scripts/install-deps.sh test): "
                                  << proxy.status().ToString());
  REQUIRE(testing::WaitUntilTrue([&] { return testing::PortOpen(proxy_port); }, 5s));
  const auto proxy_log = [&] {
    std::ifstream log(dir.File("tinyproxy.log"));
    return std::string((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  };

  SUBCASE("plain http") {
    auto cloud = StartCloud(dir.path().string());
    auto store = OpenStore(dir.File("a.db"));
    Ingest(*store, 1, 5);
    auto options = cloud->SyncOptionsFor();
    options.cloud.endpoint.proxy = "http://127.0.0.1:" + std::to_string(proxy_port);
    sync::SyncService service(*store, options);
    REQUIRE(service.Start().ok());
    REQUIRE(testing::WaitUntilTrue([&] { return Depth(*store) == 0; }, 20s));
    CHECK(cloud->Stats().Int("events_distinct") == 5);
    CHECK(proxy_log().find("/v1/agents/") != std::string::npos);
  }
  SUBCASE("https through CONNECT, certificate still verified") {
    RefCloud::Options tls;
    tls.tls_cert = pki->server_cert;
    tls.tls_key = pki->server_key;
    auto cloud = StartCloud(dir.path().string(), tls);
    auto store = OpenStore(dir.File("b.db"));
    Ingest(*store, 1, 5);
    auto options = cloud->SyncOptionsFor();
    options.cloud.endpoint.proxy = "http://127.0.0.1:" + std::to_string(proxy_port);
    options.cloud.endpoint.ca_file = pki->ca_cert;
    CHECK(sync::CheckCloudReachable(options).ok());
    sync::SyncService service(*store, options);
    REQUIRE(service.Start().ok());
    REQUIRE(testing::WaitUntilTrue([&] { return Depth(*store) == 0; }, 20s));
    CHECK(cloud->Stats().Int("events_distinct") == 5);
    CHECK(proxy_log().find("CONNECT 127.0.0.1:" + std::to_string(cloud->port())) !=
          std::string::npos);
  }
  SUBCASE("a proxy that is down means offline: the proxy setting is really used") {
    auto cloud = StartCloud(dir.path().string());
    auto store = OpenStore(dir.File("c.db"));
    Ingest(*store, 1, 3);
    auto options = cloud->SyncOptionsFor();
    options.cloud.endpoint.proxy = "http://127.0.0.1:" + std::to_string(testing::FreePort());
    ExpectRefused(*store, options, "");
    CHECK(cloud->Stats().Int("events_distinct") == 0);
  }
}

TEST_CASE("webhook sink: signed POSTs through faults, a refused event dead-lettered, none lost") {
  testing::TempDir dir;
  RefCloud::Options options;
  options.webhook_secret = kHookSecret;
  auto cloud = StartCloud(dir.path().string(), options);
  REQUIRE(cloud->SetFaults(R"({"error_rate":0.2,"drop_rate":0.2})"));
  auto store = OpenStore(dir.File("a.db"));
  auto sales = testing::MakeSales(1, 40, 4, store->clock().NowMillis());
  sales[11].currency = "usd";  // the hook answers 422 for this one
  REQUIRE(store->transactions().Ingest("sim", sales, "40").ok());

  sync::SyncOptions sync_options;
  sync_options.webhook.enabled = true;
  sync_options.webhook.endpoint.url = cloud->url() + "/hooks/zap-1";
  sync_options.webhook.endpoint.backoff_initial = 10ms;
  sync_options.webhook.endpoint.backoff_max = 200ms;
  sync_options.webhook.secret = kHookSecret;
  sync_options.jitter_seed = 3;
  sync::SyncService service(*store, sync_options);
  REQUIRE(service.Start().ok());
  REQUIRE(testing::WaitUntilTrue([&] { return Depth(*store) == 0; }, 60s));
  auto stats = cloud->Stats();
  CHECK(stats.Int("hook_distinct") == 39);
  CHECK(stats.Int("faults.drop_after") + stats.Int("faults.drop_before") +
            stats.Int("faults.error") >
        0);
  auto dead = store->outbox().DeadLetters(5);
  REQUIRE(dead->size() == 1);
  CHECK((*dead)[0].reason.find("webhook answered 422") == 0);
  CHECK((*dead)[0].reason.find("payload.currency") != std::string::npos);
  CHECK(SyncKey(*store, "webhook.state") == "online");
}

TEST_CASE("webhook sink: a wrong secret is a configuration problem, not the events' fault") {
  testing::TempDir dir;
  RefCloud::Options options;
  options.webhook_secret = kHookSecret;
  auto cloud = StartCloud(dir.path().string(), options);
  auto store = OpenStore(dir.File("a.db"));
  Ingest(*store, 1, 4);
  sync::SyncOptions sync_options;
  sync_options.webhook.enabled = true;
  sync_options.webhook.endpoint.url = cloud->url() + "/hooks/zap-1";
  sync_options.webhook.endpoint.backoff_initial = 10ms;
  sync_options.webhook.endpoint.backoff_max = 100ms;
  sync_options.webhook.secret = "not-the-right-secret";
  sync::SyncService service(*store, sync_options);
  REQUIRE(service.Start().ok());
  REQUIRE(testing::WaitUntilTrue([&] { return SyncKey(*store, "webhook.state") == "unauthorized"; },
                                 10s));
  std::this_thread::sleep_for(300ms);
  CHECK(Depth(*store) == 4);
  CHECK(store->outbox().DeadLetters(5)->empty());
  CHECK(cloud->Stats().Int("hook_distinct") == 0);
}

TEST_CASE("cloud and webhook together: each event reaches both before it leaves the outbox") {
  testing::TempDir dir;
  RefCloud::Options options;
  options.webhook_secret = kHookSecret;
  auto cloud = StartCloud(dir.path().string(), options);
  auto store = OpenStore(dir.File("a.db"));
  Ingest(*store, 1, 25);
  auto sync_options = cloud->SyncOptionsFor();
  sync_options.webhook.enabled = true;
  sync_options.webhook.endpoint.url = cloud->url() + "/hooks/both";
  sync_options.webhook.endpoint.backoff_initial = 10ms;
  sync_options.webhook.endpoint.backoff_max = 100ms;
  sync_options.webhook.secret = kHookSecret;
  sync_options.webhook.event_types = {"transaction.completed"};
  REQUIRE(cloud->SetFaults(R"({"drop_rate":0.2})"));
  sync::SyncService service(*store, sync_options);
  REQUIRE(service.Start().ok());
  REQUIRE(testing::WaitUntilTrue([&] { return Depth(*store) == 0; }, 60s));
  auto stats = cloud->Stats();
  CHECK(stats.Int("events_distinct") == 25);
  CHECK(stats.Int("hook_distinct") == 25);
  CHECK(stats.Int("effects_repeated") == 0);
}

TEST_CASE("transport: a malformed URL or proxy is refused when the transport is made") {
  for (const std::string url : {"", "not a url", "ftp://example.com/", "http://"}) {
    auto transport = sync::HttpTransport::Create(Endpoint(url, 1s), "test");
    CHECK_MESSAGE(transport.status().code() == StatusCode::kInvalidArgument, url);
  }
  for (const std::string proxy : {"not a proxy", "http://"}) {
    auto endpoint = Endpoint("http://127.0.0.1:1", 1s);
    endpoint.proxy = proxy;
    auto transport = sync::HttpTransport::Create(endpoint, "test");
    CHECK_MESSAGE(transport.status().code() == StatusCode::kInvalidArgument, proxy);
  }
}

TEST_CASE("transport: any HTTP status is an answer, with its headers in any case") {
  testing::TempDir dir;
  auto cloud = StartCloud(dir.path().string());
  auto transport = MakeTransport(Endpoint(cloud->url(), 10s));

  auto health = transport->Send(HealthRequest(*cloud));
  REQUIRE_MESSAGE(health.ok(), health.status().ToString());
  CHECK(health->status == 200);
  CHECK(health->body.find("\"status\"") != std::string::npos);
  CHECK(health->Header("Content-Type").find("application/json") == 0);
  CHECK(health->Header("content-type") == health->Header("CONTENT-TYPE"));
  CHECK(health->Header("X-Not-There").empty());

  sync::HttpRequest anonymous;
  anonymous.path = "/v1/health";
  auto refused = transport->Send(anonymous);
  REQUIRE(refused.ok());
  CHECK(refused->status == 401);

  sync::HttpRequest nowhere = HealthRequest(*cloud);
  nowhere.path = "/nowhere?x=1";
  auto missing = transport->Send(nowhere);
  REQUIRE(missing.ok());
  CHECK(missing->status == 404);
}

TEST_CASE("transport: the time limit covers the whole exchange") {
  RawServer silent(std::nullopt);
  for (const std::string scheme : {"http", "https"}) {
    CAPTURE(scheme);
    auto transport = MakeTransport(Endpoint(silent.url(scheme), 300ms));
    const auto start = std::chrono::steady_clock::now();
    auto answer = transport->Send(sync::HttpRequest{});
    const auto took = Since(start);
    CHECK(answer.status().code() == StatusCode::kUnavailable);
    CHECK_MESSAGE(answer.status().message().find("timed out") == 0, answer.status().message());
    CHECK(took >= 250ms);
    CHECK(took < 3s);
  }
}

TEST_CASE("transport: an answer cut short is no answer") {
  RawServer cut(
      std::string("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                  "Content-Length: 100\r\n\r\nonly part of it"));
  auto transport = MakeTransport(Endpoint(cut.url(), 5s));
  auto answer = transport->Send(sync::HttpRequest{});
  CHECK(answer.status().code() == StatusCode::kUnavailable);
  CHECK_MESSAGE(answer.status().message().find("no answer") == 0, answer.status().message());
}

TEST_CASE("transport: Cancel aborts requests in flight and refuses later ones") {
  RawServer silent(std::nullopt);
  for (const std::string scheme : {"http", "https"}) {
    CAPTURE(scheme);
    auto transport = MakeTransport(Endpoint(silent.url(scheme), 60s));
    constexpr int kSenders = 3;
    std::vector<Status> outcomes(kSenders);
    std::vector<std::thread> senders;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kSenders; ++i) {
      senders.emplace_back([&, i] { outcomes[i] = transport->Send(sync::HttpRequest{}).status(); });
    }
    std::this_thread::sleep_for(300ms);
    transport->Cancel();
    for (auto& sender : senders) sender.join();
    CHECK(Since(start) < 5s);
    for (const Status& outcome : outcomes) {
      CHECK(outcome.code() == StatusCode::kUnavailable);
      CHECK_MESSAGE(outcome.message() == "cancelled", outcome.message());
    }
    const auto later = std::chrono::steady_clock::now();
    auto refused = transport->Send(sync::HttpRequest{});
    CHECK(refused.status().message() == "cancelled");
    CHECK(Since(later) < 100ms);
  }
}

TEST_CASE("transport: concurrent Sends on one transport, over http and https") {
  testing::TempDir dir;
  auto pki = testing::MakeTestPki(dir.path().string());
  REQUIRE_MESSAGE(pki.ok(), pki.status().ToString());
  RefCloud::Options tls;
  tls.tls_cert = pki->server_cert;
  tls.tls_key = pki->server_key;
  auto plain_cloud = StartCloud(dir.path().string());
  auto tls_cloud = StartCloud(dir.path().string(), tls);
  for (const RefCloud* cloud : {plain_cloud.get(), tls_cloud.get()}) {
    CAPTURE(cloud->url());
    auto endpoint = Endpoint(cloud->url(), 20s);
    endpoint.ca_file = pki->ca_cert;
    auto transport = MakeTransport(endpoint);
    constexpr int kSenders = 6;
    constexpr int kEach = 15;
    std::atomic<int> answered{0};
    std::vector<std::string> failures(kSenders);
    std::vector<std::thread> senders;
    for (int i = 0; i < kSenders; ++i) {
      senders.emplace_back([&, i] {
        for (int n = 0; n < kEach; ++n) {
          auto answer = transport->Send(HealthRequest(*cloud));
          if (answer.ok() && answer->status == 200) {
            answered.fetch_add(1);
          } else if (failures[i].empty()) {
            failures[i] = answer.ok() ? std::to_string(answer->status) : answer.status().message();
          }
        }
      });
    }
    for (auto& sender : senders) sender.join();
    CHECK(answered.load() == kSenders * kEach);
    for (const std::string& failure : failures) CHECK_MESSAGE(failure.empty(), failure);
  }
}

TEST_CASE("transport: the environment's proxy variables are not used") {
  testing::TempDir dir;
  auto cloud = StartCloud(dir.path().string());
  // Nothing listens there: a transport that followed the variables would
  // get no answer.
  ProxyEnvironment environment("http://127.0.0.1:" + std::to_string(testing::FreePort()));
  auto transport = MakeTransport(Endpoint(cloud->url(), 10s));
  auto answer = transport->Send(HealthRequest(*cloud));
  REQUIRE_MESSAGE(answer.ok(), answer.status().ToString());
  CHECK(answer->status == 200);
}

TEST_CASE("TLS: Poco's process-wide certificate handlers cannot let a refused certificate in") {
  // Poco's SSLManager holds one certificate handler for the whole process,
  // and anything else in the agent may set it (to accept everything, or to
  // ask on the console). The transport must refuse regardless. Vacuous for
  // the cpprestsdk transport, which does not use Poco.
  Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "");
  Poco::Net::SSLManager::instance().initializeClient(
      nullptr,
      Poco::Net::SSLManager::InvalidCertificateHandlerPtr(
          new Poco::Net::AcceptCertificateHandler(false)),
      context);

  testing::TempDir dir;
  auto pki = testing::MakeTestPki(dir.path().string());
  REQUIRE_MESSAGE(pki.ok(), pki.status().ToString());
  RefCloud::Options self_signed;
  self_signed.tls_cert = pki->self_signed_cert;
  self_signed.tls_key = pki->self_signed_key;
  RefCloud::Options wrong_host;
  wrong_host.tls_cert = pki->wrong_host_cert;
  wrong_host.tls_key = pki->wrong_host_key;
  for (const auto& options : {self_signed, wrong_host}) {
    auto cloud = StartCloud(dir.path().string(), options);
    auto endpoint = Endpoint(cloud->url(), 10s);
    endpoint.ca_file = pki->ca_cert;
    auto transport = MakeTransport(endpoint);
    auto answer = transport->Send(HealthRequest(*cloud));
    CHECK(answer.status().code() == StatusCode::kUnavailable);
    CHECK_MESSAGE(answer.status().message().find("TLS failure") == 0, answer.status().message());
  }
}
