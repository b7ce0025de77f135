// Loyalty points from the POS: one loyalty.accrued per sale that earned
// points for a known customer, whatever is read again or revised.
#include <doctest/doctest.h>

#include <algorithm>

#include "store/outbox.h"
#include "store/transaction_log.h"
#include "tests/store/store_test_util.h"

namespace tillbridge::store {
namespace {

using testing::MakeSale;
using testing::OpenStore;

std::vector<OutboxEvent> Accruals(Store& store) {
  auto due = store.outbox().Due(100, 1 << 20);
  REQUIRE(due.ok());
  std::vector<OutboxEvent> out;
  std::copy_if(due->begin(), due->end(), std::back_inserter(out),
               [](const OutboxEvent& event) { return event.type == "loyalty.accrued"; });
  return out;
}

void AcknowledgeAll(Store& store) {
  auto due = store.outbox().Due(100, 1 << 20).value();
  std::vector<std::string> ids;
  for (const auto& event : due) ids.push_back(event.event_id);
  REQUIRE(store.outbox().Acknowledge(ids).ok());
}

TEST_CASE("a sale that earned points queues loyalty.accrued after its own event") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  Transaction sale = MakeSale("601", 2500, "+14155550134");
  sale.loyalty_points_earned = 25;
  sale.loyalty_balance = 140;
  sale.loyalty_number = "M-20417";
  REQUIRE(store->transactions().Ingest("pos", {sale}, "c1").ok());

  auto due = store->outbox().Due(10, 1 << 20).value();
  REQUIRE(due.size() == 2);
  CHECK(due[0].type == "transaction.completed");
  const OutboxEvent& accrued = due[1];
  CHECK(accrued.type == "loyalty.accrued");
  CHECK(accrued.event_id == MakeEventId("store-9", "pos", "601", "loyalty.accrued", 1));
  CHECK(accrued.customer_key == "+14155550134");
  CHECK(accrued.payload_json.find(R"("phone":"+14155550134","points":25,"balance":140)") !=
        std::string::npos);
  CHECK(accrued.payload_json.find(R"("loyalty_number":"M-20417")") != std::string::npos);
  CHECK(accrued.payload_json.find("\"transaction_event_id\":\"" + due[0].event_id + "\"") !=
        std::string::npos);
  CHECK(accrued.payload_json.find(R"("consent":{"transactional":"none","marketing":"none"})") !=
        std::string::npos);
}

TEST_CASE("no loyalty.accrued without points, without a phone, or for a refund") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  Transaction zero = MakeSale("611", 2500, "+14155550134");
  zero.loyalty_points_earned = 0;
  zero.loyalty_balance = 100;
  Transaction unknown = MakeSale("612", 2500, "+14155550134");
  Transaction anonymous = MakeSale("613", 2500);
  anonymous.loyalty_points_earned = 25;
  Transaction refund = MakeSale("614", -2500, "+14155550134");
  refund.kind = TransactionKind::kRefund;
  refund.loyalty_points_earned = -25;
  REQUIRE(store->transactions().Ingest("pos", {zero, unknown, anonymous, refund}, "c1").ok());
  CHECK(Accruals(*store).empty());
  CHECK(store->outbox().Depth().value() == 4);
}

TEST_CASE("re-reading or revising the sale queues no second loyalty.accrued") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  Transaction sale = MakeSale("621", 2500, "+14155550134");
  sale.loyalty_points_earned = 25;
  REQUIRE(store->transactions().Ingest("pos", {sale}, "c1").ok());
  REQUIRE(store->transactions().Ingest("pos", {sale}, "c1").ok());
  CHECK(Accruals(*store).size() == 1);
  // Delivered and gone from the outbox; then the POS revises the sale with
  // other points: no correction is sent.
  AcknowledgeAll(*store);
  sale.revision = 2;
  sale.loyalty_points_earned = 30;
  REQUIRE(store->transactions().Ingest("pos", {sale}, "c2").ok());
  CHECK(Accruals(*store).empty());
  CHECK(store->outbox().Depth().value() == 1);  // the revised sale only
}

TEST_CASE("points a later revision first reports are sent once") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  Transaction sale = MakeSale("631", 2500, "+14155550134");
  REQUIRE(store->transactions().Ingest("pos", {sale}, "c1").ok());
  AcknowledgeAll(*store);
  sale.revision = 2;
  sale.loyalty_points_earned = 25;
  REQUIRE(store->transactions().Ingest("pos", {sale}, "c2").ok());
  auto accruals = Accruals(*store);
  REQUIRE(accruals.size() == 1);
  CHECK(accruals[0].event_id == MakeEventId("store-9", "pos", "631", "loyalty.accrued", 1));
}

}  // namespace
}  // namespace tillbridge::store
