// Coupons from the cloud at the counter: validity, and redemption by the
// sales that carry their codes (once per sale and code, whatever happens).
#include <doctest/doctest.h>

#include <algorithm>

#include "store/cloud_changes.h"
#include "store/outbox.h"
#include "store/transaction_log.h"
#include "tests/store/store_test_util.h"

namespace tillbridge::store {
namespace {

using testing::MakeSale;
using testing::OpenStore;

constexpr UnixMillis kIssuedAt = 1'800'000'000'000;
constexpr UnixMillis kDay = 86'400'000;

void IssueCoupon(Store& store, const std::string& code, std::int64_t max_redemptions = 1,
                 const std::string& upc = "") {
  CloudCoupon coupon;
  coupon.code = code;
  coupon.upc = upc;
  coupon.description = "10% off";
  coupon.discount_percent = 10;
  coupon.valid_from = kIssuedAt;
  coupon.valid_until = kIssuedAt + 30 * kDay;
  coupon.max_redemptions = max_redemptions;
  CloudChange change;
  change.change_id = "chg_" + code;
  change.occurred_at = kIssuedAt;
  change.phone = "+14155550134";
  change.data = coupon;
  auto applied = store.cloud_changes().ApplyPage({change}, "c-" + code);
  REQUIRE_MESSAGE(applied.ok(), applied.status().ToString());
  REQUIRE(applied->applied == 1);
}

std::vector<OutboxEvent> Redemptions(Store& store) {
  auto due = store.outbox().Due(100, 1 << 20);
  REQUIRE(due.ok());
  std::vector<OutboxEvent> out;
  std::copy_if(due->begin(), due->end(), std::back_inserter(out),
               [](const OutboxEvent& event) { return event.type == "coupon.redeemed"; });
  return out;
}

std::int64_t RedeemedCount(Store& store, const std::string& code) {
  auto coupon = store.cloud_changes().Coupon(code);
  REQUIRE(coupon.ok());
  REQUIRE(coupon->has_value());
  return (*coupon)->redeemed_count;
}

TEST_CASE("a coupon is valid inside its window while redemptions are left") {
  CloudCoupon coupon;
  coupon.valid_from = 1000;
  coupon.valid_until = 2000;
  coupon.max_redemptions = 2;
  CHECK(JudgeCoupon(coupon, 999) == CouponVerdict::kNotYetValid);
  CHECK(JudgeCoupon(coupon, 1000) == CouponVerdict::kValid);
  CHECK(JudgeCoupon(coupon, 1999) == CouponVerdict::kValid);
  CHECK(JudgeCoupon(coupon, 2000) == CouponVerdict::kExpired);
  coupon.redeemed_count = 2;
  CHECK(JudgeCoupon(coupon, 1500) == CouponVerdict::kUsedUp);
  coupon.valid_from.reset();
  coupon.valid_until.reset();
  coupon.redeemed_count = 1;
  CHECK(JudgeCoupon(coupon, 0) == CouponVerdict::kValid);
  CHECK(CouponVerdictName(CouponVerdict::kUsedUp) == "used_up");
}

TEST_CASE("a coupon is found in any letter case and comes back as issued") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  IssueCoupon(*store, "TB1A2B3C");
  auto found = store->cloud_changes().Coupon("tb1a2b3c");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->code == "TB1A2B3C");
  CHECK_FALSE(store->cloud_changes().Coupon("TB1A2B3").value().has_value());
}

TEST_CASE("a sale with a coupon code redeems it once, with its own event") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  IssueCoupon(*store, "TB1A2B3C");
  Transaction sale = MakeSale("501", 2500, "+14155550134");
  sale.coupon_codes = {" tb1a2b3c ", "TB1A2B3C", "SPRING10", ""};
  REQUIRE(store->transactions().Ingest("pos", {sale}, "c1").ok());

  auto redemptions = Redemptions(*store);
  REQUIRE(redemptions.size() == 2);  // the issued code once, and the store's own code
  const OutboxEvent& issued = redemptions[0];
  CHECK(issued.event_id == MakeEventId("store-9", "pos", "501/TB1A2B3C", "coupon.redeemed", 1));
  CHECK(issued.payload_json.find(R"("code":"TB1A2B3C")") != std::string::npos);
  CHECK(issued.payload_json.find(R"("phone":"+14155550134")") != std::string::npos);
  CHECK(issued.payload_json.find(R"("issued_by_cloud":true)") != std::string::npos);
  CHECK(issued.payload_json.find("\"transaction_event_id\":\"" +
                                 MakeEventId("store-9", "pos", "501", "transaction.completed", 1) +
                                 "\"") != std::string::npos);
  CHECK(redemptions[1].payload_json.find(R"("code":"SPRING10")") != std::string::npos);
  CHECK(redemptions[1].payload_json.find(R"("issued_by_cloud":false)") != std::string::npos);
  CHECK(RedeemedCount(*store, "TB1A2B3C") == 1);
  // The sale's own event comes first, so the cloud sees the sale before the
  // redemption that points at it.
  auto due = store->outbox().Due(10, 1 << 20).value();
  CHECK(due[0].type == "transaction.completed");
}

TEST_CASE("re-reading, or a corrected revision of, the sale redeems nothing again") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  IssueCoupon(*store, "TB1A2B3C", 3);
  Transaction sale = MakeSale("501", 2500, "+14155550134");
  sale.coupon_codes = {"TB1A2B3C"};
  REQUIRE(store->transactions().Ingest("pos", {sale}, "c1").ok());
  REQUIRE(store->transactions().Ingest("pos", {sale}, "c1").ok());
  // Delivered and gone from the outbox, then the POS corrects the sale.
  auto due = store->outbox().Due(10, 1 << 20).value();
  std::vector<std::string> ids;
  for (const auto& event : due) ids.push_back(event.event_id);
  REQUIRE(store->outbox().Acknowledge(ids).ok());
  sale.revision = 2;
  sale.total_minor = 2400;
  REQUIRE(store->transactions().Ingest("pos", {sale}, "c2").ok());
  CHECK(Redemptions(*store).empty());
  CHECK(store->outbox().Depth().value() == 1);  // the corrected sale only
  CHECK(RedeemedCount(*store, "TB1A2B3C") == 1);
  // Another sale may take the coupon again while redemptions are left.
  Transaction second = MakeSale("502", 900, "+14155550134");
  second.coupon_codes = {"TB1A2B3C"};
  REQUIRE(store->transactions().Ingest("pos", {second}, "c3").ok());
  CHECK(Redemptions(*store).size() == 1);
  CHECK(RedeemedCount(*store, "TB1A2B3C") == 2);
}

TEST_CASE("refunds, voids and abandoned baskets redeem nothing") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  IssueCoupon(*store, "TB1A2B3C");
  std::vector<Transaction> records;
  for (auto kind :
       {TransactionKind::kRefund, TransactionKind::kVoid, TransactionKind::kAbandoned}) {
    Transaction record = MakeSale(std::to_string(600 + static_cast<int>(kind)));
    record.kind = kind;
    record.coupon_codes = {"TB1A2B3C"};
    records.push_back(record);
  }
  REQUIRE(store->transactions().Ingest("pos", records, "c1").ok());
  CHECK(Redemptions(*store).empty());
  CHECK(RedeemedCount(*store, "TB1A2B3C") == 0);
}

TEST_CASE("the cloud's later copy of a coupon does not undo local redemptions") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  IssueCoupon(*store, "TB1A2B3C", 2);
  Transaction sale = MakeSale("501", 2500, "+14155550134");
  sale.coupon_codes = {"TB1A2B3C"};
  REQUIRE(store->transactions().Ingest("pos", {sale}, "c1").ok());
  IssueCoupon(*store, "TB1A2B3C", 2);  // re-sent before the redemption reached the cloud
  CHECK(RedeemedCount(*store, "TB1A2B3C") == 1);
}

TEST_CASE("a coupon's UPC is stored as EAN-13 and finds it in either form") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  IssueCoupon(*store, "TB1A2B3C", 1, "036000291452");
  for (const std::string scanned : {"036000291452", "0036000291452"}) {
    auto found = store->cloud_changes().CouponByUpc(scanned);
    REQUIRE(found.ok());
    REQUIRE_MESSAGE(found->has_value(), scanned);
    CHECK((*found)->code == "TB1A2B3C");
    CHECK((*found)->upc == "0036000291452");
  }
  CHECK((*store->cloud_changes().Coupon("tb1a2b3c"))->upc == "0036000291452");
  CHECK_FALSE(store->cloud_changes().CouponByUpc("036000291453")->has_value());   // check digit
  CHECK_FALSE(store->cloud_changes().CouponByUpc("4006381333931")->has_value());  // unknown
  CHECK_FALSE(store->cloud_changes().CouponByUpc("TB1A2B3C")->has_value());
}

TEST_CASE("a UPC with a wrong check digit is left out and the coupon kept") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  IssueCoupon(*store, "TB1A2B3C", 1, "036000291453");
  auto found = store->cloud_changes().Coupon("TB1A2B3C");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->upc.empty());
  CHECK_FALSE(store->cloud_changes().CouponByUpc("036000291453")->has_value());
}

TEST_CASE("a later copy of a coupon without a UPC keeps the one it had") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  IssueCoupon(*store, "TB1A2B3C", 1, "036000291452");
  CloudCoupon again;
  again.code = "TB1A2B3C";
  again.discount_percent = 10;
  CloudChange change;
  change.change_id = "chg_again";
  change.occurred_at = kIssuedAt + kDay;
  change.phone = "+14155550134";
  change.data = again;
  REQUIRE(store->cloud_changes().ApplyPage({change}, "c-again").ok());
  CHECK((*store->cloud_changes().CouponByUpc("036000291452"))->code == "TB1A2B3C");
}

TEST_CASE("a sale whose coupon code is the coupon's UPC redeems it under its code") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  IssueCoupon(*store, "TB1A2B3C", 1, "036000291452");
  Transaction sale = MakeSale("601", 2500, "+14155550134");
  // The UPC-A as a POS keyed it, the EAN-13 a receipt printed, and the code:
  // one coupon, redeemed once.
  sale.coupon_codes = {"036000291452", "0036000291452", "tb1a2b3c"};
  REQUIRE(store->transactions().Ingest("pos", {sale}, "c1").ok());

  auto redemptions = Redemptions(*store);
  REQUIRE(redemptions.size() == 1);
  CHECK(redemptions[0].event_id ==
        MakeEventId("store-9", "pos", "601/TB1A2B3C", "coupon.redeemed", 1));
  CHECK(redemptions[0].payload_json.find(R"("code":"TB1A2B3C")") != std::string::npos);
  CHECK(redemptions[0].payload_json.find(R"("issued_by_cloud":true)") != std::string::npos);
  CHECK(RedeemedCount(*store, "TB1A2B3C") == 1);
}

TEST_CASE("a barcode number no coupon carries is redeemed as typed") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  IssueCoupon(*store, "TB1A2B3C", 1, "036000291452");
  Transaction sale = MakeSale("602", 2500);
  sale.coupon_codes = {"4006381333931", "036000291453"};  // unknown, and a wrong check digit
  REQUIRE(store->transactions().Ingest("pos", {sale}, "c1").ok());
  auto redemptions = Redemptions(*store);
  REQUIRE(redemptions.size() == 2);
  CHECK(redemptions[0].payload_json.find(R"("code":"4006381333931")") != std::string::npos);
  CHECK(redemptions[1].payload_json.find(R"("code":"036000291453")") != std::string::npos);
  CHECK(redemptions[1].payload_json.find(R"("issued_by_cloud":false)") != std::string::npos);
  CHECK(RedeemedCount(*store, "TB1A2B3C") == 0);
}

}  // namespace
}  // namespace tillbridge::store
