// End to end over real HTTP(S) on loopback: a real store, the real
// SyncService and a real tillbridge-refcloud process.
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "common/coupon_scan.h"
#include "common/metrics.h"
#include "store/cloud_changes.h"
#include "store/consent_ledger.h"
#include "store/customers.h"
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

constexpr const char* kPhone = "+14155550134";

std::unique_ptr<store::Store> OpenStore(const std::string& path,
                                        const std::string& terminal = "lane-1") {
  store::StoreOptions options;
  options.path = path;
  options.store_id = "store-1";
  options.terminal_id = terminal;
  auto opened = store::Store::Open(options);
  REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
  return std::move(opened).value();
}

std::unique_ptr<RefCloud> StartCloud(const std::string& dir, RefCloud::Options options = {}) {
  auto cloud = RefCloud::Start(dir, std::move(options));
  REQUIRE_MESSAGE(cloud.ok(), cloud.status().ToString());
  return std::move(cloud).value();
}

std::unique_ptr<sync::SyncService> StartSync(store::Store& store,
                                             const sync::SyncOptions& options) {
  auto service = std::make_unique<sync::SyncService>(store, options);
  Status started = service->Start();
  REQUIRE_MESSAGE(started.ok(), started.ToString());
  return service;
}

std::int64_t Depth(store::Store& store) { return store.outbox().Depth().value(); }

bool Drained(store::Store& store, std::chrono::milliseconds timeout = 30s) {
  return testing::WaitUntilTrue([&] { return Depth(store) == 0; }, timeout);
}

store::ConsentState StateOf(store::Store& store, const std::string& phone,
                            store::ConsentPurpose purpose) {
  auto current = store.consents().Current(phone);
  REQUIRE(current.ok());
  for (const auto& record : *current) {
    if (record.purpose == purpose) return record.state;
  }
  return store::ConsentState::kNone;
}

void OptIn(store::Store& store, const std::string& phone, bool marketing, bool confirm = false) {
  for (auto purpose : {store::ConsentPurpose::kTransactional, store::ConsentPurpose::kMarketing}) {
    if (purpose == store::ConsentPurpose::kMarketing && !marketing) continue;
    store::ConsentChange change;
    change.phone = phone;
    change.purpose = purpose;
    change.granted = true;
    change.method = "customer_display";
    change.actor = "c-1";
    change.occurred_at = store.clock().NowMillis();
    change.requires_confirmation = confirm;
    REQUIRE(store.consents().Record(change).ok());
  }
}

std::string SyncKey(store::Store& store, const std::string& key) {
  auto stats = store.Stats();
  REQUIRE(stats.ok());
  auto it = stats->sync.find(key);
  return it == stats->sync.end() ? "" : it->second;
}

}  // namespace

TEST_CASE("events reach the cloud exactly once; a rejected one is dead-lettered with the reason") {
  testing::TempDir dir;
  auto cloud = StartCloud(dir.path().string());
  auto store = OpenStore(dir.File("a.db"));
  OptIn(*store, testing::CustomerPhone(0), false);  // receipts for customer 0
  auto sales = testing::MakeSales(1, 20, 5, store->clock().NowMillis());
  sales[7].currency = "US";  // the cloud refuses this one
  REQUIRE(store->transactions().Ingest("sim", sales, "20").ok());
  auto service = StartSync(*store, cloud->SyncOptionsFor());
  REQUIRE(Drained(*store));
  auto dead = store->outbox().DeadLetters(10);
  REQUIRE(dead.ok());
  REQUIRE(dead->size() == 1);
  CHECK((*dead)[0].reason.find("payload.currency") != std::string::npos);
  CHECK((*dead)[0].reason.find("cloud rejected") == 0);
  auto stats = cloud->Stats();
  CHECK(stats.Int("events_distinct") == 19 + 1);  // and the opt-in
  CHECK(stats.Int("effects_repeated") == 0);
  CHECK(stats.Int("messages") == 4);  // sales 5, 10, 15, 20 are customer 0's
  CHECK(testing::WaitUntilTrue([&] { return SyncKey(*store, "cloud.state") == "online"; }, 5s));
  CHECK(testing::WaitUntilTrue([&] { return !SyncKey(*store, "cloud.last_push_at").empty(); }, 5s));
  CHECK(testing::WaitUntilTrue(
      [] {
        return MetricsRegistry::Global().RenderPrometheus().find("tillbridge_sync_backlog 0\n") !=
               std::string::npos;
      },
      5s));
  const std::string metrics = MetricsRegistry::Global().RenderPrometheus();
  CHECK(metrics.find("tillbridge_sync_online{destination=\"cloud\"} 1") != std::string::npos);
  CHECK(metrics.find(
            "tillbridge_sync_events_total{destination=\"cloud\",result=\"dead_lettered\"} 1") !=
        std::string::npos);
  service->Stop();

  // A second terminal reading the same POS data makes the same event ids:
  // the cloud answers "duplicate" and acts on nothing twice.
  auto twin = OpenStore(dir.File("b.db"), "lane-2");
  OptIn(*twin, testing::CustomerPhone(0), false);
  sales[7].currency = "USD";
  REQUIRE(twin->transactions().Ingest("sim", sales, "20").ok());
  auto twin_service = StartSync(*twin, cloud->SyncOptionsFor());
  REQUIRE(Drained(*twin));
  stats = cloud->Stats();
  CHECK(stats.Int("events_distinct") == 20 + 1);
  CHECK(stats.Int("events_received") == 41);  // 20 + 21 (the refused one counts once)
  CHECK(stats.Int("effects_repeated") == 0);
  CHECK(stats.Int("messages") == 4);
  CHECK(twin->outbox().DeadLetters(10)->empty());
}

TEST_CASE("a STOP texted to the cloud makes the local lookup say opted_out within 2 s") {
  testing::TempDir dir;
  auto cloud = StartCloud(dir.path().string());
  auto store = OpenStore(dir.File("a.db"));
  OptIn(*store, kPhone, true);
  auto service = StartSync(*store, cloud->SyncOptionsFor());
  REQUIRE(Drained(*store));  // the opt-ins reached the cloud
  REQUIRE(testing::WaitUntilTrue([&] { return cloud->Stats().Int("agents") == 1; }, 10s));
  std::this_thread::sleep_for(300ms);  // the puller is now parked in a long poll

  const auto sent = std::chrono::steady_clock::now();
  auto answer =
      cloud->Admin("POST", "/admin/inbound-sms", R"({"phone":"+14155550134","text":"Stop"})");
  REQUIRE(answer.status == 200);
  CHECK(answer.json.Text("keyword") == "STOP");
  const bool opted_out = testing::WaitUntilTrue(
      [&] {
        return StateOf(*store, kPhone, store::ConsentPurpose::kTransactional) ==
                   store::ConsentState::kOptedOut &&
               StateOf(*store, kPhone, store::ConsentPurpose::kMarketing) ==
                   store::ConsentState::kOptedOut;
      },
      5s);
  const auto elapsed = std::chrono::steady_clock::now() - sent;
  REQUIRE(opted_out);
  MESSAGE("STOP reached the local ledger in "
          << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms");
  CHECK_MESSAGE(
      elapsed < 2s,
      "STOP took " << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                   << " ms");
  // The change came from the cloud, so nothing about it goes back.
  CHECK(Depth(*store) == 0);
  CHECK(cloud->Stats().Int("events_distinct") == 2);
  auto history = store->consents().History(kPhone);
  REQUIRE(history.ok());
  CHECK(history->back().method == "sms_keyword");

  // START brings the customer back (an explicit, newer opt-in).
  REQUIRE(cloud->Admin("POST", "/admin/inbound-sms", R"({"phone":"+14155550134","text":"unstop"})")
              .status == 200);
  CHECK(testing::WaitUntilTrue(
      [&] {
        return StateOf(*store, kPhone, store::ConsentPurpose::kMarketing) ==
               store::ConsentState::kOptedIn;
      },
      5s));
}

TEST_CASE("double opt-in: the cloud asks for YES and the confirmation comes back") {
  testing::TempDir dir;
  auto cloud = StartCloud(dir.path().string());
  auto store = OpenStore(dir.File("a.db"));
  OptIn(*store, kPhone, true, /*confirm=*/true);
  CHECK(StateOf(*store, kPhone, store::ConsentPurpose::kMarketing) ==
        store::ConsentState::kPending);
  auto service = StartSync(*store, cloud->SyncOptionsFor());
  REQUIRE(Drained(*store));
  auto messages =
      cloud->Admin("GET", "/admin/messages?phone=%2B14155550134").json.Array("messages");
  REQUIRE(messages.size() == 2);  // one request per purpose
  CHECK(messages[0].Text("kind") == "double_opt_in_request");
  REQUIRE(cloud->Admin("POST", "/admin/inbound-sms", R"({"phone":"+14155550134","text":"YES"})")
              .json.Text("keyword") == "YES");
  CHECK(testing::WaitUntilTrue(
      [&] {
        return StateOf(*store, kPhone, store::ConsentPurpose::kMarketing) ==
                   store::ConsentState::kOptedIn &&
               StateOf(*store, kPhone, store::ConsentPurpose::kTransactional) ==
                   store::ConsentState::kOptedIn;
      },
      5s));
  auto history = store->consents().History(kPhone);
  CHECK(history->back().method == "double_opt_in_confirmation");
}

TEST_CASE(
    "what the cloud learns comes back: coupons, loyalty, engagement; bad changes are skipped") {
  testing::TempDir dir;
  auto cloud = StartCloud(dir.path().string());
  auto store = OpenStore(dir.File("a.db"));
  OptIn(*store, kPhone, true);
  auto sales = testing::MakeSales(1, 1, 1, store->clock().NowMillis());
  sales[0].customer_phone = kPhone;
  sales[0].total_minor = 60'000;  // enough for the VIP segment
  REQUIRE(store->transactions().Ingest("sim", sales, "1").ok());
  auto service = StartSync(*store, cloud->SyncOptionsFor());
  REQUIRE(Drained(*store));
  REQUIRE(
      cloud
          ->Admin("POST", "/admin/clicks",
                  R"({"phone":"+14155550134","url":"https://shop.example/x","campaign":"spring"})")
          .status == 200);
  // A change this agent cannot use must not stall the feed.
  REQUIRE(cloud
              ->Admin("POST", "/admin/changes",
                      R"({"type":"wallet.topped_up","phone":"+14155550134","data":{"amount":5}})")
              .status == 200);
  REQUIRE(
      cloud
          ->Admin("POST", "/admin/changes",
                  R"({"type":"loyalty.updated","phone":"+14155550134","data":{"points":"lots"}})")
          .status == 200);
  REQUIRE(
      cloud
          ->Admin(
              "POST", "/admin/changes",
              R"({"type":"segments.updated","phone":"+14155550134","data":{"segments":["vip","downtown"]}})")
          .status == 200);

  const std::string code = "TB" + [&] {
    std::string id =
        store::MakeEventId("store-1", "sim", "1", "transaction.completed", 1).substr(0, 8);
    for (auto& c : id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return id;
  }();
  REQUIRE(testing::WaitUntilTrue(
      [&] {
        auto profile = store->customers().Find(kPhone);
        return profile.ok() && profile->has_value() &&
               (*profile)->segments_json.find("downtown") != std::string::npos;
      },
      10s));
  auto coupon = store->cloud_changes().Coupon(code);
  REQUIRE(coupon.ok());
  REQUIRE(coupon->has_value());
  CHECK((*coupon)->discount_percent == std::optional<std::int64_t>(10));
  auto profile = *store->customers().Find(kPhone);
  CHECK(profile->loyalty_points == std::optional<std::int64_t>(600));
  CHECK(profile->loyalty_tier == std::optional<std::string>("gold"));
  CHECK(profile->cloud_fields_json.find("\"lifetime_value_minor\":60000") != std::string::npos);
  CHECK(profile->engagement_counts.at("click") == 1);
  CHECK(profile->engagement_counts.at("message_sent") == 2);  // receipt + coupon
  // The counters are updated just after the page commits.
  CHECK(testing::WaitUntilTrue([&] { return service->Snapshot().changes_skipped >= 2; }, 5s));
  CHECK(MetricsRegistry::Global().RenderPrometheus().find(
            "tillbridge_sync_changes_total{result=\"skipped\"}") != std::string::npos);
  CHECK(!SyncKey(*store, "cloud.last_pull_at").empty());
  CHECK(SyncKey(*store, std::string(store::kPullCursorKey)).rfind("c1.", 0) == 0);
}

TEST_CASE("Retry-After is obeyed: no request comes back early") {
  for (const char* form : {"false", "true"}) {
    CAPTURE(form);
    testing::TempDir dir;
    auto cloud = StartCloud(dir.path().string());
    REQUIRE(cloud->SetFaults(
        std::string(R"({"throttle_rate":1,"retry_after_seconds":1,"retry_after_as_date":)") + form +
        "}"));
    auto store = OpenStore(dir.File("a.db"));
    REQUIRE(store->transactions()
                .Ingest("sim", testing::MakeSales(1, 30, 3, store->clock().NowMillis()), "30")
                .ok());
    auto options = cloud->SyncOptionsFor();
    options.cloud.pull = false;
    auto service = StartSync(*store, options);
    REQUIRE(
        testing::WaitUntilTrue([&] { return cloud->Stats().Int("faults.throttle") >= 2; }, 10s));
    REQUIRE(cloud->SetFaults(R"({"throttle_rate":0})"));
    REQUIRE(Drained(*store));
    auto stats = cloud->Stats();
    CHECK(stats.Int("faults.early_retries") == 0);
    CHECK(stats.Int("events_distinct") == 30);
  }
}

TEST_CASE("a Retry-After outlives a restart: the restarted agent does not come back early") {
  testing::TempDir dir;
  auto cloud = StartCloud(dir.path().string());
  REQUIRE(cloud->SetFaults(R"({"throttle_rate":1,"retry_after_seconds":2})"));
  auto store = OpenStore(dir.File("a.db"));
  REQUIRE(store->transactions()
              .Ingest("sim", testing::MakeSales(1, 5, 1, store->clock().NowMillis()), "5")
              .ok());
  {
    auto service = StartSync(*store, cloud->SyncOptionsFor());
    REQUIRE(
        testing::WaitUntilTrue([&] { return cloud->Stats().Int("faults.throttle") >= 1; }, 10s));
    service->Stop();
  }
  REQUIRE(cloud->SetFaults(R"({"throttle_rate":0})"));
  auto held = ParseRfc3339(SyncKey(*store, "cloud.retry_after_until"));
  REQUIRE(held.ok());
  CHECK(*held > store->clock().NowMillis());

  // Both the pusher and the puller of the new service wait out the hold.
  auto service = StartSync(*store, cloud->SyncOptionsFor());
  REQUIRE(Drained(*store, 15s));
  REQUIRE(testing::WaitUntilTrue([&] { return cloud->Stats().Int("agents") == 1; }, 5s));
  CHECK(store->clock().NowMillis() >= *held - 100);
  CHECK(cloud->Stats().Int("faults.early_retries") == 0);
  CHECK(cloud->Stats().Int("events_distinct") == 5);
}

TEST_CASE("a wrong token leaves events queued, never dead-lettered; doctor says why") {
  testing::TempDir dir;
  auto cloud = StartCloud(dir.path().string());
  auto store = OpenStore(dir.File("a.db"));
  REQUIRE(store->transactions()
              .Ingest("sim", testing::MakeSales(1, 5, 0, store->clock().NowMillis()), "5")
              .ok());
  auto options = cloud->SyncOptionsFor();
  options.cloud.token = "not-the-token";
  auto service = StartSync(*store, options);
  REQUIRE(testing::WaitUntilTrue([&] { return SyncKey(*store, "cloud.state") == "unauthorized"; },
                                 10s));
  std::this_thread::sleep_for(500ms);
  CHECK(Depth(*store) == 5);
  CHECK(store->outbox().DeadLetters(10)->empty());
  CHECK(SyncKey(*store, "cloud.last_error").find("401") != std::string::npos);
  CHECK(sync::CheckCloudReachable(options).code() == StatusCode::kPermissionDenied);
  CHECK(sync::CheckCloudReachable(cloud->SyncOptionsFor()).ok());
  service->Stop();
  // With the right token the same events go through.
  auto fixed = StartSync(*store, cloud->SyncOptionsFor());
  REQUIRE(Drained(*store));
  CHECK(cloud->Stats().Int("events_distinct") == 5);
}

TEST_CASE("doctor's check reports a cloud that is not there") {
  sync::SyncOptions options;
  CHECK(sync::CheckCloudReachable(options).code() == StatusCode::kFailedPrecondition);
  options.cloud.enabled = true;
  options.cloud.endpoint.url = "http://127.0.0.1:" + std::to_string(testing::FreePort());
  options.cloud.token = "t";
  options.cloud.endpoint.timeout = 2s;
  auto status = sync::CheckCloudReachable(options);
  CHECK(status.code() == StatusCode::kUnavailable);
  CHECK(status.message().find("127.0.0.1") != std::string::npos);
}

TEST_CASE(
    "the agent registers again when the cloud forgets it, and restarts a cursor it does not know") {
  testing::TempDir dir;
  const int port = testing::FreePort();
  RefCloud::Options first;
  first.db = dir.File("cloud1.db");
  first.extra_args = {"--port", std::to_string(port)};
  auto cloud = StartCloud(dir.path().string(), first);
  auto store = OpenStore(dir.File("a.db"));
  OptIn(*store, kPhone, true);
  REQUIRE(store->transactions()
              .Ingest("sim", testing::MakeSales(1, 3, 1, store->clock().NowMillis()), "3")
              .ok());
  auto service = StartSync(*store, cloud->SyncOptionsFor());
  REQUIRE(Drained(*store));
  REQUIRE(testing::WaitUntilTrue(
      [&] { return SyncKey(*store, std::string(store::kPullCursorKey)) != ""; }, 10s));
  cloud.reset();

  RefCloud::Options second = first;
  second.db = dir.File("cloud2.db");  // a cloud that never saw this agent
  auto fresh = StartCloud(dir.path().string(), second);
  REQUIRE(fresh->port() == port);
  REQUIRE(store->transactions()
              .Ingest("sim", testing::MakeSales(4, 2, 1, store->clock().NowMillis()), "5")
              .ok());
  REQUIRE(Drained(*store, 30s));
  CHECK(fresh->Stats().Int("agents") == 1);
  CHECK(fresh->Stats().Int("events_distinct") == 2);
  // The new cloud refuses the old cursor; the puller starts over and still
  // hears a STOP.
  REQUIRE(fresh->Admin("POST", "/admin/inbound-sms", R"({"phone":"+14155550134","text":"STOP"})")
              .status == 200);
  CHECK(testing::WaitUntilTrue(
      [&] {
        return StateOf(*store, kPhone, store::ConsentPurpose::kMarketing) ==
               store::ConsentState::kOptedOut;
      },
      15s));
}

TEST_CASE("Stop returns promptly even while a long poll is open") {
  testing::TempDir dir;
  auto cloud = StartCloud(dir.path().string());
  auto store = OpenStore(dir.File("a.db"));
  auto options = cloud->SyncOptionsFor();
  options.cloud.long_poll_timeout = 60s;
  auto service = StartSync(*store, options);
  REQUIRE(testing::WaitUntilTrue([&] { return cloud->Stats().Int("agents") == 1; }, 10s));
  std::this_thread::sleep_for(300ms);
  const auto started = std::chrono::steady_clock::now();
  service->Stop();
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  CHECK_FALSE(service->running());
  // Start again on the same store: work resumes.
  REQUIRE(store->transactions()
              .Ingest("sim", testing::MakeSales(1, 2, 0, store->clock().NowMillis()), "2")
              .ok());
  REQUIRE(service->Start().ok());
  CHECK(Drained(*store));
}

TEST_CASE("an idle pusher wakes on the commit that queues an event, not on a timer") {
  testing::TempDir dir;
  auto cloud = StartCloud(dir.path().string());
  auto store = OpenStore(dir.File("a.db"));
  auto options = cloud->SyncOptionsFor();
  options.cloud.pull = false;
  auto service = StartSync(*store, options);
  REQUIRE(testing::WaitUntilTrue(
      [&] {
        return SyncKey(*store, "cloud.state") == "connecting" ||
               SyncKey(*store, "cloud.state") == "online";
      },
      5s));
  // Idle now: with nothing queued the pusher sleeps on the outbox signal
  // (its only timer is 30 s long).
  std::this_thread::sleep_for(1500ms);
  UnixMillis last_commit = 0;
  for (std::int64_t sale = 1; sale <= 3; ++sale) {
    const auto committed = std::chrono::steady_clock::now();
    last_commit = store->clock().NowMillis();
    REQUIRE(store->transactions()
                .Ingest("sim", testing::MakeSales(sale, 1, 0, store->clock().NowMillis()),
                        std::to_string(sale))
                .ok());
    REQUIRE(Drained(*store, 10s));
    const auto waited = std::chrono::steady_clock::now() - committed;
    MESSAGE("sale " << sale << " acknowledged "
                    << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()
                    << " ms after commit");
    CHECK(waited < 1500ms);
    std::this_thread::sleep_for(700ms);
  }
  CHECK(cloud->Stats().Int("events_distinct") == 3);
  // Status shows the last push, even one made within a second of another.
  CHECK(testing::WaitUntilTrue(
      [&] {
        auto at = ParseRfc3339(SyncKey(*store, "cloud.last_push_at"));
        return at.ok() && *at >= last_commit;
      },
      3s));
}

TEST_CASE("with sync disabled nothing runs and status says so") {
  testing::TempDir dir;
  auto store = OpenStore(dir.File("a.db"));
  sync::SyncService service(*store, sync::SyncOptions{});
  REQUIRE(service.Start().ok());
  CHECK(SyncKey(*store, "cloud.state") == "disabled");
  CHECK(SyncKey(*store, "webhook.state") == "disabled");
}

TEST_CASE(
    "a STOP and a counter opt-in that cross in transit end the same at the cloud and the "
    "register") {
  testing::TempDir dir;
  auto cloud = StartCloud(dir.path().string());
  auto store = OpenStore(dir.File("a.db"));
  constexpr const char* kOther = "+14155550199";
  const auto cloud_state = [&](const std::string& phone, const std::string& purpose) {
    std::string escaped = phone;
    escaped.replace(0, 1, "%2B");
    return cloud->Admin("GET", "/admin/contacts/" + escaped).json.Text(purpose);
  };

  // While the register is offline: kPhone texts STOP, then opts in again at
  // the counter; kOther withdraws at the counter, then texts START.
  REQUIRE(cloud->Admin("POST", "/admin/inbound-sms", R"({"phone":"+14155550134","text":"STOP"})")
              .status == 200);
  store::ConsentChange withdrawal;
  withdrawal.phone = kOther;
  withdrawal.purpose = store::ConsentPurpose::kTransactional;
  withdrawal.granted = false;
  withdrawal.method = "cashier_entry";
  withdrawal.actor = "c-1";
  withdrawal.occurred_at = store->clock().NowMillis();
  REQUIRE(store->consents().Record(withdrawal).ok());
  std::this_thread::sleep_for(20ms);  // the later acts are later by the clocks too
  OptIn(*store, kPhone, true);
  REQUIRE(cloud->Admin("POST", "/admin/inbound-sms", R"({"phone":"+14155550199","text":"START"})")
              .status == 200);
  CHECK(cloud_state(kPhone, "marketing") == "opted_out");
  CHECK(cloud_state(kOther, "transactional") == "opted_in");

  // Back online: each side receives the other's older act after its own
  // newer one, and both settle on the newer act.
  std::atomic<std::int64_t> changes_read{0};
  sync::SyncService service(*store, cloud->SyncOptionsFor());
  service.SetChangesListener(
      [&](const store::ApplyReport& report) { changes_read += report.applied + report.unchanged; });
  REQUIRE(service.Start().ok());
  REQUIRE(Drained(*store));
  // The STOP and the START, whether they changed anything or not.
  REQUIRE(testing::WaitUntilTrue([&] { return changes_read.load() >= 2; }, 10s));
  for (auto purpose : {store::ConsentPurpose::kTransactional, store::ConsentPurpose::kMarketing}) {
    CAPTURE(store::ConsentPurposeName(purpose));
    CHECK(StateOf(*store, kPhone, purpose) == store::ConsentState::kOptedIn);
    CHECK(cloud_state(kPhone, std::string(store::ConsentPurposeName(purpose))) == "opted_in");
  }
  CHECK(StateOf(*store, kOther, store::ConsentPurpose::kTransactional) ==
        store::ConsentState::kOptedIn);
  CHECK(cloud_state(kOther, "transactional") == "opted_in");
  // The older acts are still in the ledger's story only where they took
  // effect: the register's withdrawal did, before START lifted it.
  auto history = store->consents().History(kOther);
  REQUIRE(history.ok());
  REQUIRE(history->size() == 2);
  CHECK(history->front().state == "opted_out");
  CHECK(history->back().method == "sms_keyword");
}

TEST_CASE(
    "closed loop: a coupon the cloud texts is checked and taken at the counter, and the "
    "redemption comes back as engagement") {
  testing::TempDir dir;
  auto cloud = StartCloud(dir.path().string());
  auto store = OpenStore(dir.File("a.db"));
  OptIn(*store, kPhone, true);
  auto first = testing::MakeSales(1, 1, 1, store->clock().NowMillis());
  first[0].customer_phone = kPhone;
  REQUIRE(store->transactions().Ingest("sim", first, "1").ok());
  auto service = StartSync(*store, cloud->SyncOptionsFor());

  // The cloud texts a coupon after the sale; it reaches the register.
  std::string code;
  REQUIRE(testing::WaitUntilTrue(
      [&] {
        auto messages =
            cloud->Admin("GET", "/admin/messages?phone=%2B14155550134").json.Array("messages");
        for (const auto& message : messages) {
          if (message.Text("kind") != "coupon") continue;
          const std::string body = message.Text("body");
          const auto at = body.find("code TB");
          if (at != std::string::npos) code = body.substr(at + 5, 10);
        }
        return !code.empty();
      },
      10s));
  REQUIRE(testing::WaitUntilTrue(
      [&] {
        auto coupon = store->cloud_changes().Coupon(code);
        return coupon.ok() && coupon->has_value();
      },
      10s));
  auto coupon = store->cloud_changes().Coupon(code).value();
  CHECK(store::JudgeCoupon(*coupon, store->clock().NowMillis()) == store::CouponVerdict::kValid);

  // The customer shows the text at the counter; the cashier types the code.
  auto second = testing::MakeSales(2, 1, 1, store->clock().NowMillis());
  second[0].customer_phone = kPhone;
  std::string typed = code;
  for (auto& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  second[0].coupon_codes = {typed};
  REQUIRE(store->transactions().Ingest("sim", second, "2").ok());
  REQUIRE(Drained(*store));
  CHECK(store::JudgeCoupon(*store->cloud_changes().Coupon(code).value(),
                           store->clock().NowMillis()) == store::CouponVerdict::kUsedUp);

  const std::string redemption_id =
      store::MakeEventId("store-1", "sim", "2/" + code, "coupon.redeemed", 1);
  auto held = cloud->Admin("GET", "/admin/events/" + redemption_id);
  REQUIRE_MESSAGE(held.status == 200, held.body);
  CHECK(held.json.Text("type") == "coupon.redeemed");
  CHECK(cloud->Stats().Int("effects_repeated") == 0);
  // The cloud attributes the redemption to the customer and says so.
  CHECK(testing::WaitUntilTrue(
      [&] {
        auto profile = store->customers().Find(kPhone);
        if (!profile.ok() || !profile->has_value()) return false;
        auto it = (*profile)->engagement_counts.find("redemption");
        return it != (*profile)->engagement_counts.end() && it->second == 1;
      },
      10s));
}

TEST_CASE("a coupon's UPC comes down with it, validates offline and redeems by scan") {
  testing::TempDir dir;
  RefCloud::Options options;
  options.extra_args = {"--coupon-upc-prefix", "5"};
  auto cloud = StartCloud(dir.path().string(), options);
  auto store = OpenStore(dir.File("a.db"));
  OptIn(*store, kPhone, true);
  auto first = testing::MakeSales(1, 1, 1, store->clock().NowMillis());
  first[0].customer_phone = kPhone;
  REQUIRE(store->transactions().Ingest("sim", first, "1").ok());
  auto service = StartSync(*store, cloud->SyncOptionsFor());

  // The SMS names the code and the UPC-A printed as a barcode.
  std::string code;
  std::string upc;
  REQUIRE(testing::WaitUntilTrue(
      [&] {
        auto messages =
            cloud->Admin("GET", "/admin/messages?phone=%2B14155550134").json.Array("messages");
        for (const auto& message : messages) {
          if (message.Text("kind") != "coupon") continue;
          const std::string body = message.Text("body");
          const auto at = body.find("code TB");
          const auto upc_at = body.find("(UPC ");
          if (at == std::string::npos || upc_at == std::string::npos) continue;
          code = body.substr(at + 5, 10);
          upc = body.substr(upc_at + 5, 12);
        }
        return !code.empty();
      },
      10s));
  REQUIRE(upc.size() == 12);
  CHECK(upc[0] == '5');
  CHECK(NormalizeCouponUpc(upc) == "0" + upc);

  REQUIRE(testing::WaitUntilTrue(
      [&] {
        auto coupon = store->cloud_changes().Coupon(code);
        return coupon.ok() && coupon->has_value();
      },
      10s));
  // Offline from here: the store alone answers for the scanned barcode.
  service.reset();
  for (const std::string& scanned : {upc, "0" + upc}) {
    auto by_upc = store->cloud_changes().CouponByUpc(scanned);
    REQUIRE(by_upc.ok());
    REQUIRE_MESSAGE(by_upc->has_value(), scanned);
    CHECK((*by_upc)->code == code);
    CHECK((*by_upc)->upc == "0" + upc);
    CHECK(store::JudgeCoupon(**by_upc, store->clock().NowMillis()) == store::CouponVerdict::kValid);
  }

  // The POS records the scanned UPC as the sale's coupon; the redemption
  // goes to the cloud under the coupon's code.
  auto second = testing::MakeSales(2, 1, 1, store->clock().NowMillis());
  second[0].customer_phone = kPhone;
  second[0].coupon_codes = {upc};
  REQUIRE(store->transactions().Ingest("sim", second, "2").ok());
  CHECK(store::JudgeCoupon(*store->cloud_changes().Coupon(code).value(),
                           store->clock().NowMillis()) == store::CouponVerdict::kUsedUp);
  service = StartSync(*store, cloud->SyncOptionsFor());
  REQUIRE(Drained(*store));
  const std::string redemption_id =
      store::MakeEventId("store-1", "sim", "2/" + code, "coupon.redeemed", 1);
  auto held = cloud->Admin("GET", "/admin/events/" + redemption_id);
  REQUIRE_MESSAGE(held.status == 200, held.body);
  CHECK(held.json.Text("type") == "coupon.redeemed");
  CHECK(held.body.find("\"code\":\"" + code + "\"") != std::string::npos);
}

TEST_CASE("points a POS gives for a sale reach the cloud once and come back as the balance") {
  testing::TempDir dir;
  auto cloud = StartCloud(dir.path().string());
  auto store = OpenStore(dir.File("a.db"));
  OptIn(*store, kPhone, true);
  auto sale = testing::MakeSales(1, 1, 1, store->clock().NowMillis());
  sale[0].customer_phone = kPhone;
  sale[0].loyalty_points_earned = 16;
  sale[0].loyalty_balance = 616;
  REQUIRE(sale[0].total_minor >= 100);  // the cloud's own rule would add points for it
  REQUIRE(store->transactions().Ingest("sim", sale, "1").ok());
  // The POS reads the same sale again (a restart, a look-back window).
  REQUIRE(store->transactions().Ingest("sim", sale, "1").ok());
  auto service = StartSync(*store, cloud->SyncOptionsFor());
  REQUIRE(Drained(*store));

  // The balance the POS reported is the customer's balance at the counter,
  // not the POS's plus the cloud's own points for the same sale.
  REQUIRE(testing::WaitUntilTrue(
      [&] {
        auto profile = store->customers().Find(kPhone);
        return profile.ok() && profile->has_value() &&
               (*profile)->loyalty_points == std::optional<std::int64_t>(616);
      },
      10s));
  CHECK(store->customers().Find(kPhone).value()->loyalty_tier ==
        std::optional<std::string>("gold"));

  const std::string accrued_id =
      store::MakeEventId("store-1", "sim", sale[0].pos_id, "loyalty.accrued", 1);
  auto held = cloud->Admin("GET", "/admin/events/" + accrued_id);
  REQUIRE_MESSAGE(held.status == 200, held.body);
  CHECK(held.json.Text("type") == "loyalty.accrued");
  CHECK(held.json.Int("seen_count") == 1);
  CHECK(cloud->Stats().Int("effects_repeated") == 0);
  // The customer, opted in to marketing, is told about the new tier once.
  int tier_texts = 0;
  for (const auto& message :
       cloud->Admin("GET", "/admin/messages?phone=%2B14155550134").json.Array("messages")) {
    if (message.Text("kind") == "tier_upgrade") ++tier_texts;
  }
  CHECK(tier_texts == 1);
}
