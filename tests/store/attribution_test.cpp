// Closed-loop attribution rules (store/attribution.h): coupon before last
// touch, the window's edges, reversals by refund and void, messages that
// arrive late, revisions, and the migration's backfill.
#include "store/attribution.h"

#include <doctest/doctest.h>

#include "store/cloud_changes.h"
#include "store/consent_ledger.h"
#include "store/customers.h"
#include "store/migrations.h"
#include "store/sqlite_db.h"
#include "store/transaction_log.h"
#include "tests/store/store_test_util.h"

namespace tillbridge::store {
namespace {

using testing::OpenStore;

constexpr const char* kPhone = "+14155550134";
constexpr const char* kOtherPhone = "+14155550199";
constexpr UnixMillis kT0 = 1'795'000'000'000;
constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 24 * kHour;

Transaction Sale(const std::string& pos_id, UnixMillis at, const std::string& phone = kPhone,
                 std::vector<std::string> coupons = {}) {
  Transaction sale = testing::MakeSale(pos_id, 2000, phone);
  sale.occurred_at = at;
  sale.coupon_codes = std::move(coupons);
  return sale;
}

Transaction Refund(const std::string& pos_id, UnixMillis at, const std::string& sale_pos_id,
                   std::int64_t total_minor) {
  Transaction refund = Sale(pos_id, at);
  refund.kind = TransactionKind::kRefund;
  refund.total_minor = total_minor;
  refund.refund_of = sale_pos_id;
  return refund;
}

// The sale `pos_id` voided by its revision 2.
Transaction Void(const std::string& pos_id, UnixMillis at) {
  Transaction voided = Sale(pos_id, at);
  voided.kind = TransactionKind::kVoid;
  voided.revision = 2;
  return voided;
}

void Ingest(Store& store, const std::vector<Transaction>& records) {
  static int cursor = 0;
  const Status status =
      store.transactions().Ingest("pos", records, "cursor-" + std::to_string(++cursor));
  REQUIRE_MESSAGE(status.ok(), status.ToString());
}

// A message_sent with `detail` as the cloud would send it.
void Send(Store& store, const std::string& change_id, UnixMillis at, const std::string& campaign,
          const std::string& detail, const std::string& phone = kPhone) {
  static int cursor = 0;
  auto report = store.cloud_changes().ApplyPage(
      {CloudChange{change_id, at, phone, CloudEngagement{"message_sent", campaign, detail}}},
      "page-" + std::to_string(++cursor));
  REQUIRE_MESSAGE(report.ok(), report.status().ToString());
  REQUIRE(report->applied == 1);
}

std::string Detail(const std::string& message_id, const std::string& coupon = "") {
  std::string detail = R"({"message_id":")" + message_id + R"(","rule":"r1","purpose":"marketing")";
  if (!coupon.empty()) detail += R"(,"coupon_code":")" + coupon + "\"";
  return detail + "}";
}

std::optional<Attribution> For(Store& store, const std::string& pos_id) {
  auto found = store.attributions().ForSale("pos", pos_id);
  REQUIRE_MESSAGE(found.ok(), found.status().ToString());
  return *found;
}

}  // namespace

TEST_CASE(
    "a sale that redeemed a texted coupon is credited to that message, before any last "
    "touch") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  Send(*store, "chg_1", kT0, "cmp_a", Detail("msg_1", "save-10"));
  Send(*store, "chg_2", kT0 + kHour, "cmp_b", Detail("msg_2"));
  // The coupon was typed in another letter case, after a newer message.
  Ingest(*store, {Sale("s1", kT0 + 2 * kHour, kPhone, {"SAVE-10"})});
  auto attribution = For(*store, "s1");
  REQUIRE(attribution.has_value());
  CHECK(attribution->basis == "coupon");
  CHECK(attribution->message_change_id == "chg_1");
  CHECK(attribution->message_id == "msg_1");
  CHECK(attribution->campaign == "cmp_a");
  CHECK(attribution->rule == "r1");
  CHECK(attribution->coupon_code == "SAVE-10");
  CHECK(attribution->message_at == kT0);
  CHECK(attribution->sale_at == kT0 + 2 * kHour);
  CHECK(attribution->window_days == 7);
  CHECK(attribution->phone == kPhone);
  CHECK_FALSE(attribution->reversed_at.has_value());

  // Without the coupon the same customer's sale goes to the latest message.
  Ingest(*store, {Sale("s2", kT0 + 3 * kHour)});
  REQUIRE(For(*store, "s2").has_value());
  CHECK(For(*store, "s2")->basis == "last_touch");
  CHECK(For(*store, "s2")->message_change_id == "chg_2");
  CHECK(For(*store, "s2")->coupon_code.empty());
}

TEST_CASE("a coupon sent after the sale credits nothing; one taken without a phone credits its message") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  Send(*store, "chg_1", kT0 + kHour, "cmp_a", Detail("msg_1", "LATER"), kOtherPhone);
  Ingest(*store, {Sale("s1", kT0, kPhone, {"LATER"})});
  CHECK_FALSE(For(*store, "s1").has_value());
  // A sale without a phone is credited through the texted coupon it took
  // (the coupon is the closed loop), and never by last touch.
  Ingest(*store, {Sale("s2", kT0 + 2 * kHour, "", {"LATER"}), Sale("s3", kT0 + 2 * kHour, "")});
  REQUIRE(For(*store, "s2").has_value());
  CHECK(For(*store, "s2")->basis == "coupon");
  CHECK_FALSE(For(*store, "s3").has_value());
}

TEST_CASE("last touch counts messages sent within the window before the sale, edges included") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  Send(*store, "chg_1", kT0, "cmp_a", Detail("msg_1"));
  // (sale - 7 days, sale]: a sale at the message's own millisecond counts,
  // one exactly 7 days later does not.
  Ingest(*store,
         {Sale("same-ms", kT0), Sale("inside", kT0 + 7 * kDay - 1), Sale("edge", kT0 + 7 * kDay),
          Sale("before", kT0 - 1), Sale("other-phone", kT0 + kHour, kOtherPhone)});
  CHECK(For(*store, "same-ms").has_value());
  REQUIRE(For(*store, "inside").has_value());
  CHECK(For(*store, "inside")->basis == "last_touch");
  CHECK_FALSE(For(*store, "edge").has_value());
  CHECK_FALSE(For(*store, "before").has_value());
  CHECK_FALSE(For(*store, "other-phone").has_value());
}

TEST_CASE("the window is the store's option and each attribution keeps the one it used") {
  tillbridge::testing::TempDir dir;
  StoreOptions options;
  options.path = dir.File("t.db");
  options.attribution_window_days = 2;
  auto store = std::move(Store::Open(options)).value();
  Send(*store, "chg_1", kT0, "cmp_a", Detail("msg_1"));
  Ingest(*store, {Sale("day1", kT0 + kDay), Sale("day3", kT0 + 3 * kDay)});
  REQUIRE(For(*store, "day1").has_value());
  CHECK(For(*store, "day1")->window_days == 2);
  CHECK_FALSE(For(*store, "day3").has_value());
}

TEST_CASE("messages that are not attributable never win a last touch") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  Send(*store, "chg_1", kT0, "cmp_a", Detail("msg_1"));
  // Told so, transactional by purpose, or a receipt by campaign.
  Send(*store, "chg_2", kT0 + kHour, "cmp_b",
       R"({"message_id":"msg_2","purpose":"marketing","attributable":false})");
  Send(*store, "chg_3", kT0 + 2 * kHour, "order_update", R"({"purpose":"transactional"})");
  Send(*store, "chg_4", kT0 + 3 * kHour, "receipt", "{}");
  Ingest(*store, {Sale("s1", kT0 + 4 * kHour)});
  REQUIRE(For(*store, "s1").has_value());
  CHECK(For(*store, "s1")->message_change_id == "chg_1");
}

TEST_CASE("a refund naming the sale reverses its attribution for good") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  Send(*store, "chg_1", kT0, "cmp_a", Detail("msg_1"));
  Ingest(*store, {Sale("s1", kT0 + kHour), Sale("s2", kT0 + kHour)});
  Transaction refund = Refund("r1", kT0 + 5 * kHour, "s1", -2000);
  // A refund from another source naming the same id is another sale's.
  Transaction elsewhere = refund;
  elsewhere.source = "printer";
  elsewhere.pos_id = "r9";
  REQUIRE(store->transactions().Ingest("printer", {elsewhere}, "p1").ok());
  CHECK_FALSE(For(*store, "s1")->reversed_at.has_value());
  Ingest(*store, {refund});
  auto reversed = For(*store, "s1");
  REQUIRE(reversed.has_value());
  CHECK(reversed->reversed_at == std::optional<UnixMillis>(kT0 + 5 * kHour));
  CHECK(reversed->reversed_by == "r1");
  CHECK(reversed->reversal == "refund");
  CHECK_FALSE(For(*store, "s2")->reversed_at.has_value());

  // A newer message, a later revision, a second refund: nothing undoes it.
  Send(*store, "chg_2", kT0 + 30 * 60'000, "cmp_b", Detail("msg_2"));
  Transaction revised = Sale("s1", kT0 + kHour);
  revised.revision = 2;
  Ingest(*store, {revised});
  Transaction again = refund;
  again.pos_id = "r2";
  again.occurred_at = kT0 + 9 * kHour;
  Ingest(*store, {again});
  auto still = For(*store, "s1");
  REQUIRE(still.has_value());
  CHECK(still->message_change_id == "chg_1");
  CHECK(still->reversed_by == "r1");
  CHECK(still->reversed_at == std::optional<UnixMillis>(kT0 + 5 * kHour));
  // s2, never refunded, moves on to the newer message.
  CHECK(For(*store, "s2")->message_change_id == "chg_2");
}

TEST_CASE("refunds of part of the sale take back that part; all of it reverses the credit") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  Send(*store, "chg_1", kT0, "cmp_a", Detail("msg_1"));
  Ingest(*store, {Sale("s1", kT0 + kHour)});  // 20.00
  Ingest(*store, {Refund("r1", kT0 + 2 * kHour, "s1", -500)});
  auto partly = For(*store, "s1");
  REQUIRE(partly.has_value());
  CHECK(partly->refunded_minor == 500);
  CHECK_FALSE(partly->reversed_at.has_value());
  CHECK(partly->reversal.empty());

  // A corrected refund counts as its latest revision says, not twice.
  Transaction corrected = Refund("r1", kT0 + 2 * kHour, "s1", -700);
  corrected.revision = 2;
  Ingest(*store, {corrected});
  CHECK(For(*store, "s1")->refunded_minor == 700);
  CHECK_FALSE(For(*store, "s1")->reversed_at.has_value());

  // A second refund (with a positive total, as some POS store refunds)
  // gives back the rest: the credit is reversed, by that refund.
  Ingest(*store, {Refund("r2", kT0 + 3 * kHour, "s1", 1300)});
  auto reversed = For(*store, "s1");
  REQUIRE(reversed.has_value());
  CHECK(reversed->reversal == "refund");
  CHECK(reversed->reversed_by == "r2");
  CHECK(reversed->reversed_at == std::optional<UnixMillis>(kT0 + 3 * kHour));
}

TEST_CASE("a sale refunded in part keeps the part through a late message; a void ends it") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  Ingest(*store, {Sale("s1", kT0 + 5 * kHour), Refund("r1", kT0 + 6 * kHour, "s1", -300)});
  // The message reaches the store after the sale and its refund.
  Send(*store, "chg_1", kT0, "cmp_a", Detail("msg_1"));
  auto late = For(*store, "s1");
  REQUIRE(late.has_value());
  CHECK(late->message_change_id == "chg_1");
  CHECK(late->refunded_minor == 300);
  CHECK_FALSE(late->reversed_at.has_value());
  // A newer message wins the last touch and the refund still counts.
  Send(*store, "chg_2", kT0 + kHour, "cmp_b", Detail("msg_2"));
  CHECK(For(*store, "s1")->message_change_id == "chg_2");
  CHECK(For(*store, "s1")->refunded_minor == 300);
  // A void of the sale takes the rest of the credit.
  Ingest(*store, {Void("s1", kT0 + 7 * kHour)});
  CHECK(For(*store, "s1")->reversal == "void");
}

TEST_CASE("a void of the sale reverses its attribution") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  Send(*store, "chg_1", kT0, "cmp_a", Detail("msg_1"));
  Ingest(*store, {Sale("s1", kT0 + kHour)});
  Ingest(*store, {Void("s1", kT0 + 2 * kHour)});
  auto attribution = For(*store, "s1");
  REQUIRE(attribution.has_value());
  CHECK(attribution->reversal == "void");
  CHECK(attribution->reversed_by == "s1");
  CHECK(attribution->reversed_at == std::optional<UnixMillis>(kT0 + 2 * kHour));
}

TEST_CASE("a message that arrives after the sale credits it, and a coupon message upgrades it") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  Ingest(*store, {Sale("s1", kT0 + 5 * kHour, kPhone, {"WEEKEND"}), Sale("s2", kT0 + 3 * kDay),
                  Sale("far", kT0 + 7 * kDay + 2 * kHour)});
  CHECK_FALSE(For(*store, "s1").has_value());

  // An older message first: last touch for both sales in its window.
  Send(*store, "chg_1", kT0, "cmp_a", Detail("msg_1"));
  REQUIRE(For(*store, "s1").has_value());
  CHECK(For(*store, "s1")->message_change_id == "chg_1");
  CHECK(For(*store, "s2")->message_change_id == "chg_1");
  CHECK_FALSE(For(*store, "far").has_value());

  // A newer message, still before s2 only: it wins s2's last touch.
  Send(*store, "chg_2", kT0 + 1 * kDay, "cmp_b", Detail("msg_2"));
  CHECK(For(*store, "s1")->message_change_id == "chg_1");
  CHECK(For(*store, "s2")->message_change_id == "chg_2");
  CHECK(For(*store, "far")->message_change_id == "chg_2");
  // An older one arriving late changes nothing.
  Send(*store, "chg_0", kT0 - kHour, "cmp_z", Detail("msg_0"));
  CHECK(For(*store, "s1")->message_change_id == "chg_1");

  // The coupon s1 redeemed, texted before it but learned last: direct.
  Send(*store, "chg_3", kT0 + 4 * kHour, "cmp_c", Detail("msg_3", "weekend"), kOtherPhone);
  auto direct = For(*store, "s1");
  REQUIRE(direct.has_value());
  CHECK(direct->basis == "coupon");
  CHECK(direct->message_change_id == "chg_3");
  CHECK(direct->coupon_code == "WEEKEND");
  // The credit stays with the customer of the sale.
  CHECK(direct->phone == kPhone);
  // A newer last-touch message never takes a coupon attribution away.
  Send(*store, "chg_4", kT0 + 4 * kHour + 1, "cmp_d", Detail("msg_4"));
  CHECK(For(*store, "s1")->basis == "coupon");
}

TEST_CASE("a late message credits a sale already refunded only as reversed") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  Ingest(*store, {Sale("s1", kT0 + kHour), Refund("r1", kT0 + 2 * kHour, "s1", 2000)});
  Send(*store, "chg_1", kT0, "cmp_a", Detail("msg_1"));
  auto attribution = For(*store, "s1");
  REQUIRE(attribution.has_value());
  CHECK(attribution->reversal == "refund");
  CHECK(attribution->reversed_by == "r1");
}

TEST_CASE("a later revision of a sale keeps the attribution of the first") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  Send(*store, "chg_1", kT0, "cmp_a", Detail("msg_1"));
  Ingest(*store, {Sale("s1", kT0 + kHour)});
  Send(*store, "chg_2", kT0 + 2 * kHour, "cmp_b", Detail("msg_2"));
  // The POS corrects the sale and moves it past the second message.
  Transaction revised = Sale("s1", kT0 + 3 * kHour);
  revised.revision = 2;
  revised.total_minor = 2500;
  Ingest(*store, {revised});
  auto attribution = For(*store, "s1");
  REQUIRE(attribution.has_value());
  CHECK(attribution->message_change_id == "chg_1");
  CHECK(attribution->basis == "last_touch");
  // Its time follows the revision, for the report's ranges.
  CHECK(attribution->sale_at == kT0 + 3 * kHour);
}

TEST_CASE("attribution is about the message, whatever the customer's consent now") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  Send(*store, "chg_1", kT0, "cmp_a", Detail("msg_1"));
  ConsentChange stop;
  stop.phone = kPhone;
  stop.purpose = ConsentPurpose::kMarketing;
  stop.granted = false;
  stop.method = "sms_keyword";
  stop.actor = "cloud";
  stop.occurred_at = kT0 + kHour;
  REQUIRE(store->consents().Record(stop).ok());
  Ingest(*store, {Sale("s1", kT0 + 2 * kHour)});
  REQUIRE(For(*store, "s1").has_value());
  CHECK(For(*store, "s1")->basis == "last_touch");
}

TEST_CASE("engagement added through Customers records the message too") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  Ingest(*store, {Sale("s1", kT0 + kHour)});
  EngagementEvent click{"chg_c", kPhone, "click", "cmp_a", kT0, "{}"};
  REQUIRE(store->customers().AddEngagement(click).value());
  CHECK_FALSE(For(*store, "s1").has_value());
  EngagementEvent sent{"chg_1", kPhone, "message_sent", "cmp_a", kT0, Detail("msg_1")};
  REQUIRE(store->customers().AddEngagement(sent).value());
  REQUIRE(For(*store, "s1").has_value());
  CHECK(For(*store, "s1")->message_id == "msg_1");
  // A replay stores and changes nothing.
  CHECK_FALSE(store->customers().AddEngagement(sent).value());
}

TEST_CASE("migration 10 backfills sms_messages from stored message_sent engagement") {
  tillbridge::testing::TempDir dir;
  auto db = std::move(Database::Open(dir.File("m.db"), true)).value();
  REQUIRE(Migrate(*db, 9).ok());
  REQUIRE(db->Exec(R"sql(
INSERT INTO engagement (change_id, phone, kind, campaign, occurred_at, detail) VALUES
 ('e1', '+14155550134', 'message_sent', 'cmp_a', 100,
  '{"message_id":"msg_1","rule":"r1","purpose":"marketing","coupon_code":" save10 "}'),
 ('e2', '+14155550134', 'message_sent', 'receipt', 200, '{}'),
 ('e3', '+14155550134', 'message_sent', 'cmp_b', 300, '{"purpose":"transactional","attributable":true}'),
 ('e4', '+14155550134', 'message_sent', 'cmp_c', 400, 'not json'),
 ('e5', '+14155550134', 'click', 'cmp_a', 500, '{}');
)sql")
              .ok());
  REQUIRE(Migrate(*db).ok());
  auto rows = std::move(db->Prepare("SELECT change_id, campaign, rule, purpose, message_id, "
                                    "coupon_code, attributable, sent_at FROM sms_messages "
                                    "ORDER BY change_id"))
                  .value();
  std::vector<std::string> seen;
  while (rows.Step().value()) {
    seen.push_back(rows.Text(0) + "|" + rows.Text(1) + "|" + rows.Text(2) + "|" + rows.Text(3) +
                   "|" + rows.Text(4) + "|" + rows.Text(5) + "|" + std::to_string(rows.Int(6)) +
                   "|" + std::to_string(rows.Int(7)));
  }
  const std::vector<std::string> expected = {
      "e1|cmp_a|r1|marketing|msg_1|SAVE10|1|100",
      "e2|receipt|||||0|200",
      "e3|cmp_b||transactional|||1|300",
      "e4|cmp_c|||||1|400",
  };
  CHECK(seen == expected);
  CHECK(db->QueryInt("SELECT count(*) FROM pragma_table_info('web_sessions') "
                     "WHERE name = 'role' AND dflt_value = '''cashier'''")
            .value() == 1);
}

TEST_CASE("migration 11 gives back the credit of sales only refunded in part") {
  tillbridge::testing::TempDir dir;
  auto db = std::move(Database::Open(dir.File("m.db"), true)).value();
  REQUIRE(Migrate(*db, 10).ok());
  // s1 refunded in part (1500 of 4000, in two refunds, one corrected);
  // s2 refunded in full; s3 refunded in part and then voided; s4 never
  // refunded. Schema 10 reversed s1, s2 and s3 at their first refund.
  REQUIRE(db->Exec(R"sql(
INSERT INTO transactions (source, pos_id, revision, kind, occurred_at, currency, subtotal_minor,
                          tax_minor, total_minor, cashier, customer_phone, coupon_codes, payments,
                          receipt_text, event_id, stored_at, refund_of)
SELECT 'pos', column1, column2, column3, column4, 'USD', column5, 0, column5, 'c-1', '', '[]',
       '[]', '', 'evt-' || column1 || '-' || column2, 0, column6
FROM (VALUES ('s1', 1, 'sale', 100, 4000, NULL),
             ('r1', 1, 'refund', 200, -1000, 's1'),
             ('r1', 2, 'refund', 200, -1200, 's1'),
             ('r2', 1, 'refund', 300, 300, 's1'),
             ('s2', 1, 'sale', 100, 2000, NULL),
             ('r3', 1, 'refund', 200, -2000, 's2'),
             ('s3', 1, 'sale', 100, 2000, NULL),
             ('r4', 1, 'refund', 200, -100, 's3'),
             ('s3', 2, 'void', 300, 2000, NULL),
             ('s4', 1, 'sale', 100, 2000, NULL));
INSERT INTO attributions (source, pos_id, phone, basis, message_change_id, message_id, campaign,
                          rule, message_at, coupon_code, sale_at, window_days, attributed_at,
                          reversed_at, reversed_by, reversal) VALUES
 ('pos', 's1', '', 'coupon', 'e1', '', 'c', '', 50, 'X', 100, 7, 100, 200, 'r1', 'refund'),
 ('pos', 's2', '', 'coupon', 'e1', '', 'c', '', 50, 'X', 100, 7, 100, 200, 'r3', 'refund'),
 ('pos', 's3', '', 'coupon', 'e1', '', 'c', '', 50, 'X', 100, 7, 100, 200, 'r4', 'refund'),
 ('pos', 's4', '', 'coupon', 'e1', '', 'c', '', 50, 'X', 100, 7, 100, NULL, NULL, NULL);
)sql")
              .ok());
  REQUIRE(Migrate(*db).ok());
  auto rows = std::move(db->Prepare("SELECT pos_id, refunded_minor, coalesce(reversal, '-'), "
                                    "coalesce(reversed_by, '-') FROM attributions ORDER BY pos_id"))
                  .value();
  std::vector<std::string> seen;
  while (rows.Step().value()) {
    seen.push_back(rows.Text(0) + "|" + std::to_string(rows.Int(1)) + "|" + rows.Text(2) + "|" +
                   rows.Text(3));
  }
  const std::vector<std::string> expected = {
      "s1|1500|-|-",
      "s2|2000|refund|r3",
      "s3|100|refund|r4",
      "s4|0|-|-",
  };
  CHECK(seen == expected);
}

}  // namespace tillbridge::store
