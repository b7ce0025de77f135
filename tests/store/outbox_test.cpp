#include "store/outbox.h"

#include <doctest/doctest.h>

#include <thread>

#include "store/transaction_log.h"
#include "tests/store/store_test_util.h"

namespace tillbridge::store {

using testing::MakeSale;
using testing::OpenStore;

TEST_CASE("due events come oldest first, bounded by count and bytes") {
  tillbridge::testing::TempDir dir;
  ManualClock clock(1'000'000);
  auto store = OpenStore(dir.File("t.db"), &clock);
  std::vector<Transaction> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(MakeSale(std::to_string(i)));
  REQUIRE(store->transactions().Ingest("pos", batch, "10").ok());
  auto three = store->outbox().Due(3, 1 << 20).value();
  REQUIRE(three.size() == 3);
  CHECK(three[0].seq < three[1].seq);
  CHECK(three[1].seq < three[2].seq);
  // A byte budget smaller than one event still returns one.
  CHECK(store->outbox().Due(10, 1).value().size() == 1);
  const size_t one = three[0].payload_json.size();
  CHECK(store->outbox().Due(10, one * 2 + 1).value().size() == 2);
}

TEST_CASE(
    "acknowledged events leave; deferred events wait and hold back the customer's later ones") {
  tillbridge::testing::TempDir dir;
  ManualClock clock(1'000'000);
  auto store = OpenStore(dir.File("t.db"), &clock);
  REQUIRE(store->transactions()
              .Ingest("pos",
                      {MakeSale("1", 100, "+14155550134"), MakeSale("2", 100, "+14155550199"),
                       MakeSale("3", 100, "+14155550134")},
                      "3")
              .ok());
  auto due = store->outbox().Due(10, 1 << 20).value();
  REQUIRE(due.size() == 3);
  // The first event for customer A fails and is deferred for a minute.
  REQUIRE(store->outbox().Defer({due[0].event_id}, clock.NowMillis() + 60'000, "503").ok());
  auto now_due = store->outbox().Due(10, 1 << 20).value();
  // Customer B's event goes; customer A's second event waits behind the first.
  REQUIRE(now_due.size() == 1);
  CHECK(now_due[0].event_id == due[1].event_id);
  REQUIRE(store->outbox().Acknowledge({due[1].event_id}).ok());
  clock.Advance(std::chrono::seconds(61));
  auto later = store->outbox().Due(10, 1 << 20).value();
  REQUIRE(later.size() == 2);
  CHECK(later[0].event_id == due[0].event_id);
  CHECK(later[0].attempts == 1);
  CHECK(later[1].event_id == due[2].event_id);
}

TEST_CASE("a rejected event moves to the dead-letter table with its reason") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  REQUIRE(store->transactions().Ingest("pos", {MakeSale("1")}, "1").ok());
  const std::string id = store->outbox().Due(1, 1 << 20).value()[0].event_id;
  REQUIRE(store->outbox().MoveToDeadLetter(id, "422: total_minor must not be negative").ok());
  CHECK(store->outbox().Depth().value() == 0);
  auto dead = store->outbox().DeadLetters(10).value();
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].event_id == id);
  CHECK(dead[0].reason == "422: total_minor must not be negative");
  CHECK(store->Stats().value().dead_letters == 1);
}

TEST_CASE("WaitForOutbox wakes on a commit that queues events") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  const auto before = store->OutboxGeneration();
  CHECK(store->WaitForOutbox(before, std::chrono::milliseconds(1)) == before);
  std::thread writer([&] { (void)store->transactions().Ingest("pos", {MakeSale("1")}, "1"); });
  const auto after = store->WaitForOutbox(before, std::chrono::seconds(10));
  writer.join();
  CHECK(after != before);
}

}  // namespace tillbridge::store
