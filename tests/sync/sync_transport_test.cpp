// How sync reaches its destinations: TLS with a test CA (and certificates
// that must be refused), a real HTTP proxy (tinyproxy), and the signed
// webhook sink against the reference cloud's catch hook.
#include <doctest/doctest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "store/outbox.h"
#include "store/store.h"
#include "store/transaction_log.h"
#include "sync/cloud_check.h"
#include "sync/sync_service.h"
#include "tests/sync/sync_test_util.h"
#include "tests/test_util.h"

using namespace std::chrono_literals;
using namespace tillbridge;
using tillbridge::testing::RefCloud;

namespace {

constexpr const char* kHookSecret = "whsec-test-0123456789";

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
