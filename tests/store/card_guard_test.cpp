// The store's card-number guard: whatever text a source, the local API or
// the cloud hands to a repository, no card number reaches a table, the
// outbox or the database file.
#include "store/card_guard.h"

#include <doctest/doctest.h>

#include <string>

#include "store/cloud_changes.h"
#include "store/consent_ledger.h"
#include "store/customers.h"
#include "store/disclosures.h"
#include "store/idempotency.h"
#include "store/outbox.h"
#include "store/sync_state.h"
#include "store/transaction_log.h"
#include "tests/card_number_scan.h"
#include "tests/store/store_test_util.h"

namespace tillbridge::store {
namespace {

using testing::MakeSale;
using testing::OpenStore;
using tillbridge::testing::CardNumbersIn;
using tillbridge::testing::KnownTestCardNumbers;
using tillbridge::testing::ScanFolder;

constexpr const char* kPhone = "+14155550134";

// Fails the test for every known card number found under `dir`.
void CheckFolderClean(const tillbridge::testing::TempDir& dir) {
  std::size_t files = 0;
  const auto findings = ScanFolder(dir.path(), KnownTestCardNumbers(), &files);
  CHECK(files > 0);
  for (const auto& finding : findings) {
    FAIL_CHECK("card number " << finding.number << " found in " << finding.where);
  }
}

Transaction SaleFullOfCards() {
  Transaction txn = MakeSale("4111111111111111", 1999, kPhone);
  txn.cashier = "Cashier 5555 5555 5555 4444";
  txn.coupon_codes = {"4111-1111-1111-1111", "SAVE10"};
  txn.lines[0].sku = "378282246310005";
  txn.lines[0].description = "Paid with 6011 1111 1111 1117";
  txn.lines[1].description = "3530\n1113 3330 0000";
  txn.lines[1].category = "Gift cards 5555-5555-5555-4444";
  txn.payments[0].type = "card 4111_1111_1111_1111";
  txn.receipt_text = "CORNER MARKET\nVISA 4111  1111  1111  1111\nnum. 5555 5555 5555\n4444 ok";
  txn.refund_of = "6011.1111.1111.1117";
  return txn;
}

TEST_CASE("ingest masks every text field of a transaction, and its outbox event") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  REQUIRE(store->transactions().Ingest("pos", {SaleFullOfCards()}, "c1").ok());
  CHECK(store->transactions().Count().value() == 1);
  // The record is found again under its id as the source knows it, and
  // reading it again adds nothing.
  CHECK(store->transactions().LatestRevision("pos", "4111111111111111").value().value_or(0) == 1);
  REQUIRE(store->transactions().Ingest("pos", {SaleFullOfCards()}, "c2").ok());
  CHECK(store->transactions().Count().value() == 1);
  auto due = store->outbox().Due(10, 1 << 20);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 3);  // the sale and its two coupon redemptions
  for (const OutboxEvent& event : *due) {
    CAPTURE(event.payload_json);
    CHECK(CardNumbersIn(event.payload_json, KnownTestCardNumbers()).empty());
  }
  const std::string& payload = (*due)[0].payload_json;
  CHECK(payload.find("411111******1111") != std::string::npos);
  CHECK(payload.find("Paid with 6011 11** **** 1117") != std::string::npos);
  CHECK(payload.find(R"("category":"Gift cards 5555-55**-****-4444")") != std::string::npos);
  CHECK((*due)[0].event_id ==
        MakeEventId("store-9", "pos", "411111******1111", "transaction.completed", 1));
  store.reset();
  CheckFolderClean(dir);
}

TEST_CASE("MaskCardNumbersIn covers every text field and counts what it masked") {
  Transaction txn = SaleFullOfCards();
  CHECK(MaskCardNumbersIn(txn) == 11);
  CHECK(txn.pos_id == "411111******1111");
  CHECK(txn.cashier == "Cashier 5555 55** **** 4444");
  CHECK(txn.coupon_codes[0] == "4111-11**-****-1111");
  CHECK(txn.coupon_codes[1] == "SAVE10");
  CHECK(txn.lines[0].sku == "378282*****0005");
  CHECK(txn.lines[1].description == "3530\n11** **** 0000");
  CHECK(txn.lines[1].category == "Gift cards 5555-55**-****-4444");
  CHECK(txn.payments[0].type == "card 4111_11**_****_1111");
  CHECK(txn.receipt_text ==
        "CORNER MARKET\nVISA 4111  11**  ****  1111\nnum. 5555 55** ****\n4444 ok");
  CHECK(txn.refund_of == "6011.11**.****.1117");
  CHECK(txn.customer_phone == kPhone);
  CHECK(MaskCardNumbersIn(txn) == 0);
}

TEST_CASE("the consent ledger keeps no card number and its chain still verifies") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  auto disclosure = store->disclosures().Install(ConsentPurpose::kMarketing, "4111111111111111",
                                                 "Offers by text. Card 5555-5555-5555-4444 never.",
                                                 "Up to 4 msgs/month 378282246310005");
  REQUIRE(disclosure.ok());
  CHECK(disclosure->version == "411111******1111");
  CHECK(disclosure->text == "Offers by text. Card 5555-55**-****-4444 never.");
  // The same text installed again is the same version.
  CHECK(store->disclosures()
            .Install(ConsentPurpose::kMarketing, "4111111111111111",
                     "Offers by text. Card 5555-5555-5555-4444 never.",
                     "Up to 4 msgs/month 378282246310005")
            .ok());

  ConsentChange change;
  change.phone = kPhone;
  change.purpose = ConsentPurpose::kMarketing;
  change.granted = true;
  change.method = "cashier_entry";
  change.actor = "6011 1111 1111 1117";
  change.occurred_at = 1'800'000'000'000;
  change.disclosure_hash = disclosure->hash;
  change.detail = "customer read out 3530 1113 3330 0000";
  auto outcome = store->consents().Record(change);
  REQUIRE(outcome.ok());
  CHECK(outcome->record.actor == "6011 11** **** 1117");
  auto history = store->consents().History(kPhone);
  REQUIRE(history.ok());
  REQUIRE(history->size() == 1);
  CHECK((*history)[0].detail == "customer read out 3530 11** **** 0000");
  auto verified = store->consents().Verify();
  REQUIRE(verified.ok());
  CHECK_FALSE(verified->first_bad_seq.has_value());
  store.reset();
  CheckFolderClean(dir);
}

TEST_CASE("idempotency keys are masked and still found by the key the client sends") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  IdempotencyKeys& keys = store->idempotency_keys();
  REQUIRE(keys.Save("4111111111111111", {"hash-a", 201, "{}", 0}, 0).ok());
  auto found = keys.Find("4111111111111111", 0);
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->request_hash == "hash-a");
  store.reset();
  CheckFolderClean(dir);
}

TEST_CASE("what the cloud sends is masked: coupons, engagement, loyalty, segments, fields") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  CloudCoupon coupon;
  coupon.code = "5555555555554444";
  coupon.description = "10% off, card 4111 1111 1111 1111";
  coupon.discount_percent = 10;
  CloudEngagement engagement;
  engagement.kind = "inbound_help";
  engagement.campaign = "spring 378282246310005";
  // An SMS a customer wrote, a number and escaped digits.
  engagement.detail_json = R"({"text":"my card is 6011 1111 1111 1117","n":3530111333300000,)"
                           R"("escaped":"\u0034111111111111111","ok":[1,2.5,"x"]})";
  CloudLoyalty loyalty;
  loyalty.tier = "gold 4111-1111-1111-1111";
  CloudSegments segments;
  segments.segments = {"vip", "5555 5555 5555 4444"};
  CloudCustomerFields fields;
  fields.fields_json = R"({"note":"378282246310005"})";
  std::vector<CloudChange> page;
  page.push_back({"chg_1", 1'800'000'000'000, kPhone, coupon});
  page.push_back({"chg_2", 1'800'000'000'000, kPhone, engagement});
  page.push_back({"chg_3", 1'800'000'000'000, kPhone, loyalty});
  page.push_back({"chg_4", 1'800'000'000'000, kPhone, segments});
  page.push_back({"chg_5", 1'800'000'000'000, kPhone, fields});
  auto report = store->cloud_changes().ApplyPage(page, "cursor-1");
  REQUIRE(report.ok());
  CHECK(report->applied == 5);
  auto stored = store->cloud_changes().Coupon("5555555555554444");
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  CHECK((*stored)->code == "555555******4444");
  CHECK((*stored)->description == "10% off, card 4111 11** **** 1111");
  auto profile = store->customers().Find(kPhone);
  REQUIRE(profile.ok());
  REQUIRE(profile->has_value());
  CHECK((*profile)->loyalty_tier.value_or("") == "gold 4111-11**-****-1111");
  CHECK((*profile)->segments_json == R"(["vip","5555 55** **** 4444"])");
  CHECK((*profile)->cloud_fields_json == R"({"note":"378282*****0005"})");
  REQUIRE((*profile)->recent_engagement.size() == 1);
  CHECK((*profile)->recent_engagement[0].detail_json ==
        R"({"text":"my card is 6011 11** **** 1117","n":"353011******0000",)"
        R"("escaped":"411111******1111","ok":[1,2.5,"x"]})");

  EngagementEvent direct;
  direct.change_id = "e-1";
  direct.phone = kPhone;
  direct.kind = "click";
  direct.campaign = "4111111111111111";
  direct.occurred_at = 1'800'000'000'001;
  direct.detail_json = R"({"url":"https://x.example/?c=5555555555554444"})";
  REQUIRE(store->customers().AddEngagement(direct).ok());
  CloudProfileUpdate update;
  update.phone = kPhone;
  update.loyalty_tier = "6011111111111117";
  update.segments_json = R"(["3530111333300000"])";
  update.cloud_fields_json = R"({"a":378282246310005})";
  REQUIRE(store->customers().ApplyCloudProfile(update).ok());
  store.reset();
  CheckFolderClean(dir);
}

TEST_CASE("outbox errors, dead letters and sync state keep no card number") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  REQUIRE(store->transactions().Ingest("pos", {MakeSale("1"), MakeSale("2")}, "c").ok());
  auto due = store->outbox().Due(10, 1 << 20).value();
  REQUIRE(due.size() == 2);
  REQUIRE(store->outbox()
              .Defer({due[0].event_id}, 0, "cloud said: bad field 4111 1111 1111 1111")
              .ok());
  REQUIRE(store->outbox().MoveToDeadLetter(due[1].event_id, "rejected 5555555555554444").ok());
  REQUIRE(store->sync_state().Set("cloud.last_error", "HTTP 400: 378282246310005").ok());
  CHECK(store->sync_state().Get("cloud.last_error").value().value_or("") ==
        "HTTP 400: 378282*****0005");
  auto dead = store->outbox().DeadLetters(10);
  REQUIRE(dead.ok());
  REQUIRE(dead->size() == 1);
  CHECK((*dead)[0].reason == "rejected 555555******4444");
  store.reset();
  CheckFolderClean(dir);
}

TEST_CASE("JSON is masked value by value and stays JSON") {
  CHECK(MaskCardNumbersInJson(R"({"a":"x","b":[1,2,3]})") == R"({"a":"x","b":[1,2,3]})");
  CHECK(MaskCardNumbersInJson(R"({"a":"4111 1111 1111 1111"})") ==
        R"({"a":"4111 11** **** 1111"})");
  CHECK(MaskCardNumbersInJson(R"([4111111111111111, -5555555555554444])") ==
        R"(["411111******1111", "-555555******4444"])");
  // Escapes inside a string are read before judging it; a string that
  // changes is written again with the escapes it needs.
  CHECK(MaskCardNumbersInJson(R"({"q":"\"4111\u00201111\u00201111\u00201111\"\n"})") ==
        R"({"q":"\"4111 11** **** 1111\"\n"})");
  // Unchanged strings keep their original bytes.
  CHECK(MaskCardNumbersInJson(R"({"k":"\u00e9\/"})") == R"({"k":"\u00e9\/"})");
  // Each value is judged on its own: digits in two values are not joined.
  CHECK(MaskCardNumbersInJson(R"({"a":"4111","b":"1111 1111 1111"})") ==
        R"({"a":"4111","b":"1111 1111 1111"})");
  // Not JSON: masked as plain text.
  CHECK(MaskCardNumbersInJson("card 4111 1111 1111 1111") == "card 4111 11** **** 1111");
  CHECK(MaskCardNumbersInJson(R"({"unterminated":"4111111111111111)") ==
        R"({"unterminated":"411111******1111)");
}

}  // namespace
}  // namespace tillbridge::store
