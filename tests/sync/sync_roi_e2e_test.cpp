// Measured ROI end to end over real HTTP: a real store and SyncService
// against a real tillbridge-refcloud. The cloud's texts come back as
// message_sent engagement with their campaign ids, a follow-up rule fires
// when the cloud's clock reaches it, sales are credited to the texts that
// brought them, and a refund takes the credit back.
#include <doctest/doctest.h>

#include <functional>

#include "store/attribution.h"
#include "store/consent_ledger.h"
#include "store/customers.h"
#include "store/outbox.h"
#include "store/roi_report.h"
#include "store/store.h"
#include "store/transaction_log.h"
#include "sync/sync_service.h"
#include "tests/sync/sync_test_util.h"
#include "tests/test_util.h"

using namespace std::chrono_literals;
using namespace tillbridge;
using tillbridge::testing::RefCloud;

namespace {

constexpr const char* kPhone = "+14155550134";
constexpr const char* kQuietPhone = "+14155550177";  // transactional only
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kTvPrice = 89'900;

std::unique_ptr<store::Store> OpenStore(const std::string& path) {
  store::StoreOptions options;
  options.path = path;
  options.store_id = "store-1";
  options.terminal_id = "lane-1";
  auto opened = store::Store::Open(options);
  REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
  return std::move(opened).value();
}

void OptIn(store::Store& store, const std::string& phone, bool marketing) {
  for (auto purpose : {store::ConsentPurpose::kTransactional, store::ConsentPurpose::kMarketing}) {
    if (purpose == store::ConsentPurpose::kMarketing && !marketing) continue;
    store::ConsentChange change;
    change.phone = phone;
    change.purpose = purpose;
    change.granted = true;
    change.method = "keypad";
    change.actor = "c-1";
    change.occurred_at = store.clock().NowMillis();
    REQUIRE(store.consents().Record(change).ok());
  }
}

store::Transaction Sale(const std::string& pos_id, UnixMillis at, const std::string& phone,
                        std::int64_t unit_price) {
  store::Transaction sale;
  sale.source = "pos";
  sale.pos_id = pos_id;
  sale.occurred_at = at;
  sale.cashier = "c-1";
  sale.customer_phone = phone;
  sale.subtotal_minor = unit_price;
  sale.total_minor = unit_price;
  sale.lines.push_back({"SKU-" + pos_id, "item " + pos_id, 1000, unit_price, unit_price});
  sale.payments.push_back({"card", unit_price});
  return sale;
}

void Ingest(store::Store& store, const store::Transaction& record) {
  Status stored = store.transactions().Ingest("pos", {record}, record.pos_id);
  REQUIRE_MESSAGE(stored.ok(), stored.ToString());
}

// The message_sent engagement of `phone` the agent holds, by campaign.
std::map<std::string, int> SentByCampaign(store::Store& store, const std::string& phone) {
  std::map<std::string, int> sent;
  auto profile = store.customers().Find(phone);
  if (!profile.ok() || !profile->has_value()) return sent;
  for (const auto& event : (*profile)->recent_engagement) {
    if (event.kind == "message_sent") ++sent[event.campaign];
  }
  return sent;
}

// How many messages of `rule` the cloud holds for `phone_query` with `status`.
int CloudMessages(const RefCloud& cloud, const std::string& phone_query, const std::string& rule,
                  const std::string& status) {
  int count = 0;
  for (const auto& message :
       cloud.Admin("GET", "/admin/messages?phone=" + phone_query).json.Array("messages")) {
    if (message.Text("kind") == rule && message.Text("status") == status) ++count;
  }
  return count;
}

std::unique_ptr<RefCloud> StartCloud(const testing::TempDir& dir) {
  auto started = RefCloud::Start(dir.path().string(), {});
  REQUIRE_MESSAGE(started.ok(), started.status().ToString());
  return std::move(started).value();
}

// Replaces the cloud's rules with its current ones where `edit` changed
// the JSON text (GET /admin/rules, then PUT).
void EditRules(RefCloud& cloud, const std::function<void(std::string&)>& edit) {
  auto rules = cloud.Admin("GET", "/admin/rules");
  REQUIRE(rules.status == 200);
  std::string edited = rules.body;
  edit(edited);
  REQUIRE(edited != rules.body);
  auto put = cloud.Admin("PUT", "/admin/rules", edited);
  REQUIRE_MESSAGE(put.status == 200, put.body);
}

}  // namespace

TEST_CASE("closed loop: texts come back with campaigns, visits are credited, a refund reverses") {
  testing::TempDir dir;
  auto cloud = StartCloud(dir);
  auto store = OpenStore(dir.File("a.db"));
  OptIn(*store, kPhone, true);
  OptIn(*store, kQuietPhone, false);

  // A high-ticket sale to each: both get a receipt; only the marketing
  // subscriber gets the next-visit coupon.
  const UnixMillis t0 = store->clock().NowMillis();
  Ingest(*store, Sale("1001", t0, kPhone, kTvPrice));
  Ingest(*store, Sale("1002", t0, kQuietPhone, kTvPrice));
  sync::SyncService service(*store, cloud->SyncOptionsFor());
  REQUIRE(service.Start().ok());

  REQUIRE(testing::WaitUntilTrue(
      [&] {
        auto sent = SentByCampaign(*store, kPhone);
        return sent["cmp_receipt"] == 1 && sent["cmp_next_visit_coupon"] == 1 &&
               SentByCampaign(*store, kQuietPhone)["cmp_receipt"] == 1;
      },
      15s));
  CHECK(SentByCampaign(*store, kQuietPhone).count("cmp_next_visit_coupon") == 0);
  std::string code;
  for (const auto& message :
       cloud->Admin("GET", "/admin/messages?phone=%2B14155550134").json.Array("messages")) {
    const std::string body = message.Text("body");
    const auto at = body.find("code TB");
    if (message.Text("kind") == "coupon" && at != std::string::npos) code = body.substr(at + 5, 10);
  }
  REQUIRE(code.size() == 10);

  // The care follow-up is due 48 hours after the sales: nothing before,
  // one per sale when the cloud's clock gets there, never twice.
  auto early = cloud->Admin("POST", "/admin/run-due",
                            R"({"now":")" + FormatRfc3339(t0 + 47 * kHourMs) + R"("})");
  REQUIRE_MESSAGE(early.status == 200, early.body);
  CHECK(early.json.Int("sent") == 0);
  for (int round = 0; round < 2; ++round) {
    auto due = cloud->Admin("POST", "/admin/run-due",
                            R"({"now":")" + FormatRfc3339(t0 + 49 * kHourMs) + R"("})");
    REQUIRE_MESSAGE(due.status == 200, due.body);
    CHECK(due.json.Int("sent") == (round == 0 ? 2 : 0));
  }
  CHECK(CloudMessages(*cloud, "%2B14155550134", "high_ticket_care", "sent") == 1);
  CHECK(CloudMessages(*cloud, "%2B14155550177", "high_ticket_care", "sent") == 1);
  REQUIRE(testing::WaitUntilTrue(
      [&] { return SentByCampaign(*store, kPhone)["cmp_care_highticket"] == 1; }, 15s));

  // The subscriber comes back with the coupon (credited to the coupon's
  // text), then again without one (credited to the latest text before it,
  // the care message). A receipt never takes the credit.
  Ingest(*store, [&] {
    auto sale = Sale("1003", t0 + 2 * kHourMs, kPhone, 2'500);
    sale.coupon_codes = {code};
    return sale;
  }());
  Ingest(*store, Sale("1004", t0 + 50 * kHourMs, kPhone, 4'000));
  Ingest(*store, Sale("1005", t0 + 50 * kHourMs, kQuietPhone, 1'000));
  auto coupon_visit = store->attributions().ForSale("pos", "1003").value();
  REQUIRE(coupon_visit.has_value());
  CHECK(coupon_visit->basis == "coupon");
  CHECK(coupon_visit->campaign == "cmp_next_visit_coupon");
  CHECK(coupon_visit->coupon_code == code);
  auto repeat_visit = store->attributions().ForSale("pos", "1004").value();
  REQUIRE(repeat_visit.has_value());
  CHECK(repeat_visit->basis == "last_touch");
  CHECK(repeat_visit->campaign == "cmp_care_highticket");
  CHECK(repeat_visit->rule == "high_ticket_care");
  // The care message is attributable for the other customer too.
  auto quiet_visit = store->attributions().ForSale("pos", "1005").value();
  REQUIRE(quiet_visit.has_value());
  CHECK(quiet_visit->campaign == "cmp_care_highticket");

  // The coupon visit is refunded: its credit is reversed, for good.
  auto refund = Sale("R-1003", t0 + 60 * kHourMs, kPhone, 2'500);
  refund.kind = store::TransactionKind::kRefund;
  refund.refund_of = "1003";
  Ingest(*store, refund);
  auto reversed = store->attributions().ForSale("pos", "1003").value();
  REQUIRE(reversed.has_value());
  CHECK(reversed->reversed_at.has_value());
  CHECK(reversed->reversal == "refund");
  CHECK(reversed->reversed_by == "R-1003");

  // The report over those days: 5 sales; 1004 and 1005 credited to the
  // care campaign; 1003's credit reversed.
  store::RoiQuery query;
  query.from = t0 - 24 * kHourMs;
  query.to = t0 + 96 * kHourMs;
  auto report = store->roi_reports().Compute(query);
  REQUIRE_MESSAGE(report.ok(), report.status().ToString());
  CHECK(report->sales == 5);
  CHECK(report->revenue_minor == 2 * kTvPrice + 2'500 + 4'000 + 1'000);
  CHECK(report->attributed_sales == 2);
  CHECK(report->attributed_revenue_minor == 5'000);
  CHECK(report->reversed_attributions == 1);
  bool care_row = false;
  for (const auto& campaign : report->campaigns) {
    if (campaign.campaign != "cmp_care_highticket") continue;
    care_row = true;
    CHECK(campaign.messages_sent == 2);
    CHECK(campaign.attributed_sales == 2);
    CHECK(campaign.attributed_revenue_minor == 5'000);
  }
  CHECK(care_row);
  service.Stop();
}

TEST_CASE("a line's category from the register selects the care follow-up") {
  testing::TempDir dir;
  auto cloud = StartCloud(dir);
  // The care rule by category alone: any television, whatever its price.
  EditRules(*cloud, [](std::string& rules) {
    const std::string by_price = R"("min_unit_price_minor":20000,"skus":[],"categories":[])";
    const auto at = rules.find(by_price);
    if (at == std::string::npos) return;
    rules.replace(at, by_price.size(),
                  R"("min_unit_price_minor":0,"skus":[],"categories":["Televisions"])");
  });

  auto store = OpenStore(dir.File("a.db"));
  OptIn(*store, kPhone, false);
  OptIn(*store, kQuietPhone, false);
  const UnixMillis t0 = store->clock().NowMillis();
  store::Transaction tv = Sale("3001", t0, kPhone, 1'500);  // a small TV, under 200.00
  tv.lines[0].category = "Televisions";
  store::Transaction snack = Sale("3002", t0, kQuietPhone, 1'500);
  snack.lines[0].category = "Snacks";
  Ingest(*store, tv);
  Ingest(*store, snack);
  sync::SyncService service(*store, cloud->SyncOptionsFor());
  REQUIRE(service.Start().ok());
  REQUIRE(testing::WaitUntilTrue(
      [&] {
        return SentByCampaign(*store, kPhone)["cmp_receipt"] == 1 &&
               SentByCampaign(*store, kQuietPhone)["cmp_receipt"] == 1;
      },
      15s));
  auto due = cloud->Admin("POST", "/admin/run-due",
                          R"({"now":")" + FormatRfc3339(t0 + 49 * kHourMs) + R"("})");
  REQUIRE_MESSAGE(due.status == 200, due.body);
  CHECK(due.json.Int("sent") == 1);
  CHECK(CloudMessages(*cloud, "%2B14155550134", "high_ticket_care", "sent") == 1);
  CHECK(CloudMessages(*cloud, "%2B14155550177", "high_ticket_care", "sent") == 0);
  service.Stop();
}

TEST_CASE("a promotional text on a transactional-only number is refused and never reaches the "
          "register") {
  testing::TempDir dir;
  auto cloud = StartCloud(dir);

  // The marketer points the coupon rule at the toll-free number, which is
  // registered for transactional messages only.
  EditRules(*cloud, [](std::string& rules) {
    const std::string coupon_rule = "\"id\":\"coupon\"";
    const auto at = rules.find(coupon_rule);
    if (at == std::string::npos) return;
    rules.insert(at + coupon_rule.size(), ",\"number\":\"+18005550199\"");
  });

  auto store = OpenStore(dir.File("a.db"));
  OptIn(*store, kPhone, true);
  Ingest(*store, Sale("2001", store->clock().NowMillis(), kPhone, 1'500));
  sync::SyncService service(*store, cloud->SyncOptionsFor());
  REQUIRE(service.Start().ok());
  REQUIRE(testing::WaitUntilTrue(
      [&] { return SentByCampaign(*store, kPhone)["cmp_receipt"] == 1; }, 15s));

  CHECK(CloudMessages(*cloud, "%2B14155550134", "coupon", "refused") == 1);
  CHECK(CloudMessages(*cloud, "%2B14155550134", "coupon", "sent") == 0);
  CHECK(cloud->Stats().Int("messages_refused") == 1);
  // Nothing of the refused text comes down: no message_sent, no coupon.
  CHECK(SentByCampaign(*store, kPhone).count("cmp_next_visit_coupon") == 0);
  service.Stop();
}
