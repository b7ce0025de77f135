// The pusher's bookkeeping against a scripted destination (a fake is fine
// here: the class under test is the pusher; the real destinations are
// exercised end to end in sync_e2e_test).
#include "sync/pusher.h"

#include <doctest/doctest.h>

#include "store/outbox.h"
#include "store/store.h"
#include "store/transaction_log.h"
#include "tests/sync/sync_test_util.h"
#include "tests/test_util.h"

using namespace tillbridge;
using namespace tillbridge::sync;

namespace {

constexpr UnixMillis kT0 = 1'800'000'000'000;

class ScriptedSink final : public EventSink {
 public:
  using Script = std::function<Delivery(const std::vector<store::OutboxEvent>&)>;
  explicit ScriptedSink(Script script) : script_(std::move(script)) {}
  std::string_view Name() const override { return "scripted"; }
  Delivery Deliver(const std::vector<store::OutboxEvent>& events) override {
    batches.push_back(events);
    return script_(events);
  }
  void Cancel() override {}
  std::vector<std::vector<store::OutboxEvent>> batches;

 private:
  Script script_;
};

Delivery All(const std::vector<store::OutboxEvent>& events, SendOutcome outcome) {
  Delivery delivery;
  delivery.reached = true;
  delivery.per_event.assign(events.size(), outcome);
  return delivery;
}

struct Fixture {
  Fixture() : clock(kT0) {
    store::StoreOptions options;
    options.path = dir.File("s.db");
    options.clock = &clock;
    auto opened = store::Store::Open(options);
    REQUIRE(opened.ok());
    store = std::move(opened).value();
    status = std::make_unique<SyncStatus>(*store, clock);
  }
  void Ingest(std::int64_t first, std::int64_t count, int customers) {
    REQUIRE(store->transactions()
                .Ingest("sim", testing::MakeSales(first, count, customers, kT0),
                        std::to_string(first + count - 1))
                .ok());
  }
  std::unique_ptr<Pusher> MakePusher(ScriptedSink& sink, std::size_t max_events = 100) {
    PusherLimits limits;
    limits.max_events = max_events;
    limits.backoff_initial = std::chrono::milliseconds(1000);
    limits.backoff_max = std::chrono::milliseconds(8000);
    limits.jitter_seed = 1;
    return std::make_unique<Pusher>(*store, std::vector<EventSink*>{&sink}, limits, *status, stop,
                                    [this](const std::vector<std::string>& ids) {
                                      acknowledged.insert(acknowledged.end(), ids.begin(),
                                                          ids.end());
                                    });
  }
  std::string PosIdOf(const store::OutboxEvent& event) {
    const auto at = event.payload_json.find("\"pos_id\":\"");
    return event.payload_json.substr(at + 10, event.payload_json.find('"', at + 10) - at - 10);
  }

  testing::TempDir dir;
  ManualClock clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<SyncStatus> status;
  StopSignal stop;
  std::vector<std::string> acknowledged;
};

}  // namespace

TEST_CASE("delivered events leave the outbox and are reported") {
  Fixture f;
  f.Ingest(1, 5, 2);
  ScriptedSink sink([](const auto& events) { return All(events, SendOutcome::Ok()); });
  auto pusher = f.MakePusher(sink);
  auto next = pusher->RunOnce();
  REQUIRE(next.has_value());
  CHECK(*next == 0);
  CHECK(f.acknowledged.size() == 5);
  CHECK(*f.store->outbox().Depth() == 0);
  CHECK_FALSE(pusher->RunOnce().has_value());
  CHECK(f.status->Snapshot().delivered == 5);
}

TEST_CASE("a refused event goes to the dead letters with the reason; the others are acknowledged") {
  Fixture f;
  f.Ingest(1, 3, 0);
  ScriptedSink sink([](const std::vector<store::OutboxEvent>& events) {
    Delivery delivery = All(events, SendOutcome::Ok());
    delivery.per_event[1] = SendOutcome::Fatal("cloud rejected: invalid_field: bad currency");
    return delivery;
  });
  auto pusher = f.MakePusher(sink);
  REQUIRE(pusher->RunOnce().has_value());
  CHECK(f.acknowledged.size() == 2);
  auto dead = f.store->outbox().DeadLetters(10);
  REQUIRE(dead.ok());
  REQUIRE(dead->size() == 1);
  CHECK((*dead)[0].event_id == sink.batches[0][1].event_id);
  CHECK((*dead)[0].reason == "cloud rejected: invalid_field: bad currency");
  CHECK(*f.store->outbox().Depth() == 0);
}

TEST_CASE("Retry-After decides the next attempt; without it, capped jittered backoff does") {
  Fixture f;
  f.Ingest(1, 4, 0);
  bool throttle = true;
  ScriptedSink sink([&](const auto& events) {
    return throttle ? All(events, SendOutcome::Retry("429", std::chrono::milliseconds(7000)))
                    : All(events, SendOutcome::Retry("503"));
  });
  auto pusher = f.MakePusher(sink);
  auto next = pusher->RunOnce();
  REQUIRE(next.has_value());
  CHECK(*next == kT0 + 7000);
  // Deferred: nothing is due until the Retry-After time.
  CHECK_FALSE(pusher->RunOnce().has_value());
  f.clock.Advance(std::chrono::milliseconds(6999));
  CHECK_FALSE(pusher->RunOnce().has_value());
  f.clock.Advance(std::chrono::milliseconds(1));
  throttle = false;
  for (int round = 0; round < 6; ++round) {
    const UnixMillis now = f.clock.NowMillis();
    next = pusher->RunOnce();
    REQUIRE(next.has_value());
    CHECK(*next >= now);
    CHECK(*next <= now + 8000);  // never beyond the cap
    f.clock.Set(*next);
  }
  CHECK(*f.store->outbox().Depth() == 4);
  CHECK(f.status->Snapshot().retried == 4 * 7);
}

TEST_CASE("a customer's later events wait behind a deferred one; other customers go on") {
  Fixture f;
  // Customers alternate 0,1,0,1: events 1,3 are customer 0's; 2,4 customer 1's.
  f.Ingest(1, 4, 2);
  int calls = 0;
  ScriptedSink sink([&](const std::vector<store::OutboxEvent>& events) {
    ++calls;
    Delivery delivery = All(events, SendOutcome::Ok());
    if (calls == 1) {
      // Like a webhook: the first event goes, the second fails, so it and
      // everything after it must be retried.
      for (size_t i = 1; i < events.size(); ++i)
        delivery.per_event[i] = SendOutcome::Retry("timeout", std::chrono::milliseconds(5000));
    }
    return delivery;
  });
  auto pusher = f.MakePusher(sink);
  REQUIRE(pusher->RunOnce().has_value());
  CHECK(f.acknowledged.size() == 1);
  f.Ingest(5, 2, 3);  // sale 5 -> customer 2 (new), sale 6 -> customer 0
  REQUIRE(pusher->RunOnce().has_value());
  // Only the customer with nothing deferred may go now.
  REQUIRE(sink.batches.size() == 2);
  REQUIRE(sink.batches[1].size() == 1);
  CHECK(f.PosIdOf(sink.batches[1][0]) == "5");
  f.clock.Advance(std::chrono::milliseconds(5000));
  REQUIRE(pusher->RunOnce().has_value());
  std::vector<std::string> order;
  for (const auto& event : sink.batches[2]) order.push_back(f.PosIdOf(event));
  CHECK(order == std::vector<std::string>{"2", "3", "4", "6"});
  CHECK(*f.store->outbox().Depth() == 0);
}

TEST_CASE("a batch the destination refuses as a whole is retried in halves, down to one") {
  Fixture f;
  f.Ingest(1, 8, 0);
  ScriptedSink sink([](const std::vector<store::OutboxEvent>& events) {
    if (events.size() > 1) {
      Delivery delivery = All(events, SendOutcome::Retry("413 too large"));
      delivery.split = true;
      return delivery;
    }
    return All(events, SendOutcome::Fatal("cloud answered 422"));
  });
  auto pusher = f.MakePusher(sink, 8);
  for (int i = 0; i < 40 && f.store->outbox().Depth().value() > 0; ++i) {
    auto next = pusher->RunOnce();
    REQUIRE(next.has_value());
    CHECK(*next == 0);  // a split is not a failure: no waiting
  }
  std::vector<size_t> sizes;
  for (const auto& batch : sink.batches) sizes.push_back(batch.size());
  CHECK(std::vector<size_t>(sizes.begin(), sizes.begin() + 4) == std::vector<size_t>{8, 4, 2, 1});
  CHECK(f.store->outbox().DeadLetters(20)->size() == 8);
  // Nothing was deferred or counted as an attempt while splitting.
  CHECK(f.status->Snapshot().retried == 0);
}
