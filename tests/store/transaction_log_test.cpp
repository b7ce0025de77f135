#include "store/transaction_log.h"

#include <doctest/doctest.h>

#include "store/consent_ledger.h"
#include "store/outbox.h"
#include "tests/store/store_test_util.h"

namespace tillbridge::store {

using testing::MakeSale;
using testing::OpenStore;

TEST_CASE("ingest stores records, queues events and advances the cursor together") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  REQUIRE(store->transactions().Ingest("pos", {MakeSale("1001"), MakeSale("1002")}, "c2").ok());
  CHECK(store->transactions().Count().value() == 2);
  CHECK(store->outbox().Depth().value() == 2);
  CHECK(store->transactions().Cursor("pos").value().value_or("") == "c2");
  auto due = store->outbox().Due(10, 1 << 20);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 2);
  CHECK((*due)[0].type == "transaction.completed");
  CHECK((*due)[0].payload_json.find("\"total_minor\":1299") != std::string::npos);
  CHECK((*due)[0].payload_json.find("\"store_id\":\"store-9\"") != std::string::npos);
  CHECK((*due)[0].event_id == MakeEventId("store-9", "pos", "1001", "transaction.completed", 1));
}

TEST_CASE("re-reading the same record after a crash stores nothing twice") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  REQUIRE(store->transactions().Ingest("pos", {MakeSale("1001")}, "c1").ok());
  REQUIRE(store->transactions().Ingest("pos", {MakeSale("1001"), MakeSale("1002")}, "c2").ok());
  CHECK(store->transactions().Count().value() == 2);
  CHECK(store->outbox().Depth().value() == 2);
}

TEST_CASE("a changed record with a new revision is a new event") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  Transaction held = MakeSale("77");
  held.kind = TransactionKind::kAbandoned;
  REQUIRE(store->transactions().Ingest("pos", {held}, "a").ok());
  Transaction completed = MakeSale("77");
  completed.revision = 2;
  REQUIRE(store->transactions().Ingest("pos", {completed}, "b").ok());
  CHECK(store->transactions().LatestRevision("pos", "77").value().value_or(0) == 2);
  auto due = store->outbox().Due(10, 1 << 20).value();
  REQUIRE(due.size() == 2);
  CHECK(due[0].type == "basket.abandoned");
  CHECK(due[1].type == "transaction.completed");
  CHECK(due[0].event_id != due[1].event_id);
}

TEST_CASE("event ids are deterministic and differ by every component") {
  const std::string base = MakeEventId("s", "pos", "1", "transaction.completed", 1);
  CHECK(base.size() == 32);
  CHECK(base == MakeEventId("s", "pos", "1", "transaction.completed", 1));
  CHECK(base != MakeEventId("s2", "pos", "1", "transaction.completed", 1));
  CHECK(base != MakeEventId("s", "printer", "1", "transaction.completed", 1));
  CHECK(base != MakeEventId("s", "pos", "2", "transaction.completed", 1));
  CHECK(base != MakeEventId("s", "pos", "1", "transaction.refunded", 1));
  CHECK(base != MakeEventId("s", "pos", "1", "transaction.completed", 2));
  // Field boundaries matter: ("ab","c") is not ("a","bc").
  CHECK(MakeEventId("s", "ab", "c", "t", 1) != MakeEventId("s", "a", "bc", "t", 1));
}

TEST_CASE("two terminals reading one POS database produce the same event ids") {
  tillbridge::testing::TempDir dir;
  auto first = OpenStore(dir.File("a.db"));
  auto second = OpenStore(dir.File("b.db"));
  REQUIRE(first->transactions().Ingest("pos", {MakeSale("9")}, "1").ok());
  REQUIRE(second->transactions().Ingest("pos", {MakeSale("9")}, "1").ok());
  CHECK(first->outbox().Due(1, 1 << 20).value()[0].event_id ==
        second->outbox().Due(1, 1 << 20).value()[0].event_id);
}

TEST_CASE("a failure injected at any point of an ingest leaves nothing behind") {
  for (const char* point : {"ingest.after_transaction", "ingest.after_lines", "ingest.after_outbox",
                            "ingest.before_commit"}) {
    CAPTURE(point);
    tillbridge::testing::TempDir dir;
    int calls = 100;  // disarmed until the setup ingest is done
    // Per-record points fail on the second record, so the first one's rows
    // exist in the transaction when it is rolled back.
    const int fail_on = std::string_view(point) == "ingest.before_commit" ? 1 : 2;
    auto store = OpenStore(dir.File("t.db"), nullptr, [&](std::string_view at) {
      if (at == point && ++calls == fail_on) return Status::IoError("injected fault");
      return Status::Ok();
    });
    REQUIRE(store->transactions().Ingest("pos", {MakeSale("0")}, "c0").ok());
    calls = 0;
    const Status failed = store->transactions().Ingest(
        "pos", {MakeSale("1", 500, "+14155550134"), MakeSale("2")}, "c2");
    CHECK_FALSE(failed.ok());
    CHECK(failed.message() == "injected fault");
    CHECK(store->transactions().Count().value() == 1);
    CHECK(store->outbox().Depth().value() == 1);
    CHECK(store->transactions().Cursor("pos").value().value_or("") == "c0");
    auto stats = store->Stats().value();
    CHECK(stats.source_cursors.at(0).records == 1);
    // The same batch goes through once the fault is gone.
    calls = 100;
    REQUIRE(store->transactions().Ingest("pos", {MakeSale("1"), MakeSale("2")}, "c2").ok());
    CHECK(store->transactions().Count().value() == 3);
  }
}

TEST_CASE("an ingest with an empty POS id is rejected whole") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  const Status status = store->transactions().Ingest("pos", {MakeSale("1"), MakeSale("")}, "x");
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(store->transactions().Count().value() == 0);
}

TEST_CASE("the event payload records the customer's consent at the time") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  ConsentChange change;
  change.phone = "+14155550134";
  change.purpose = ConsentPurpose::kTransactional;
  change.granted = true;
  change.method = "keypad";
  change.actor = "c-7";
  change.occurred_at = 1;
  REQUIRE(store->consents().Record(change).ok());
  REQUIRE(store->outbox().Acknowledge({store->outbox().Due(1, 1 << 20).value()[0].event_id}).ok());
  REQUIRE(store->transactions().Ingest("pos", {MakeSale("5", 700, "+14155550134")}, "1").ok());
  const std::string payload = store->outbox().Due(1, 1 << 20).value()[0].payload_json;
  CHECK(payload.find(R"("consent":{"transactional":"opted_in","marketing":"none"})") !=
        std::string::npos);
  CHECK(payload.find(R"("phone":"+14155550134")") != std::string::npos);
}

}  // namespace tillbridge::store
