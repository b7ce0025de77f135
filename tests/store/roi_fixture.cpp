#include "tests/store/roi_fixture.h"

#include <string>
#include <vector>

#include "store/cloud_changes.h"
#include "store/consent_ledger.h"
#include "store/model.h"
#include "store/store.h"
#include "store/transaction_log.h"

namespace tillbridge::store::testing {
namespace {

Transaction Sale(const std::string& pos_id, UnixMillis at, std::int64_t total,
                 const std::string& cashier, const std::string& phone,
                 std::vector<std::string> coupons = {}, const std::string& currency = "USD") {
  Transaction txn;
  txn.source = "pos";
  txn.pos_id = pos_id;
  txn.kind = TransactionKind::kSale;
  txn.occurred_at = at;
  txn.currency = currency;
  txn.subtotal_minor = total;
  txn.total_minor = total;
  txn.cashier = cashier;
  txn.customer_phone = phone;
  txn.coupon_codes = std::move(coupons);
  txn.lines.push_back({"SKU-1", "Coffee beans", 1000, total, total});
  txn.payments.push_back({"card", total});
  return txn;
}

ConsentChange CounterOptIn(const std::string& phone, ConsentPurpose purpose,
                           const std::string& method, const std::string& cashier, UnixMillis at,
                           bool requires_confirmation = false) {
  ConsentChange change;
  change.phone = phone;
  change.purpose = purpose;
  change.granted = true;
  change.method = method;
  change.actor = cashier;
  change.occurred_at = at;
  change.disclosure_hash = "fixture-disclosure";
  change.requires_confirmation = requires_confirmation;
  return change;
}

CloudChange Consent(const std::string& id, UnixMillis at, const std::string& phone,
                    ConsentState state, const std::string& method, const std::string& keyword) {
  CloudConsentChange data;
  data.purposes = {ConsentPurpose::kMarketing};
  data.state = state;
  data.method = method;
  data.keyword = keyword;
  return CloudChange{id, at, phone, data};
}

CloudChange Coupon(const std::string& id, UnixMillis at, const std::string& phone,
                   const std::string& code) {
  CloudCoupon coupon;
  coupon.code = code;
  coupon.description = "10% off";
  coupon.discount_percent = 10;
  return CloudChange{id, at, phone, coupon};
}

CloudChange Message(const std::string& id, UnixMillis at, const std::string& phone,
                    const std::string& campaign, const std::string& rule,
                    const std::string& coupon = "") {
  std::string detail = R"({"message_id":"msg_)" + id.substr(id.find('m') + 1) + R"(","rule":")" +
                       rule + R"(","purpose":"marketing")";
  if (!coupon.empty()) detail += R"(,"coupon_code":")" + coupon + "\"";
  detail += "}";
  return CloudChange{id, at, phone, CloudEngagement{"message_sent", campaign, detail}};
}

Status ApplyPage(Store& store, const std::vector<CloudChange>& page, const std::string& cursor) {
  auto report = store.cloud_changes().ApplyPage(page, cursor);
  if (!report.ok()) return report.status();
  if (report->skipped > 0) {
    return Status::Internal("fixture change skipped: " + report->skip_reasons.front());
  }
  return Status::Ok();
}

}  // namespace

Status FillRoiFixture(Store& store) {
  const std::string a = kRoiPhoneA, b = kRoiPhoneB, c = kRoiPhoneC;
  const std::string d = kRoiPhoneD, e = kRoiPhoneE, f = kRoiPhoneF;
  constexpr UnixMillis kOctober20 = kRoiFrom - 12 * 86'400'000LL;

  // The cloud's coupons, issued with the welcome and weekend messages.
  TB_RETURN_IF_ERROR(ApplyPage(store,
                               {Coupon("chg_c1", RoiNovemberAt(2, 12), a, "WELCOME-A"),
                                Coupon("chg_c2", RoiNovemberAt(3, 12), b, "WELCOME-B"),
                                Coupon("chg_c3", RoiNovemberAt(4, 12), c, "WELCOME-C"),
                                Coupon("chg_c9", RoiNovemberAt(27, 9), b, "WEEKEND-B")},
                               "fixture-1"));

  // Consent captured at the counter by two cashiers, and in the cloud.
  const std::vector<ConsentChange> counter = {
      CounterOptIn(a, ConsentPurpose::kMarketing, "keypad", "c-ann", RoiNovemberAt(2, 9)),
      CounterOptIn(b, ConsentPurpose::kMarketing, "keypad", "c-ann", RoiNovemberAt(3, 9)),
      CounterOptIn(c, ConsentPurpose::kMarketing, "customer_display", "c-bob", RoiNovemberAt(4, 9),
                   /*requires_confirmation=*/true),
      CounterOptIn(e, ConsentPurpose::kMarketing, "customer_display", "c-bob", RoiNovemberAt(5, 9)),
      CounterOptIn(f, ConsentPurpose::kTransactional, "keypad", "c-ann", RoiNovemberAt(6, 9)),
  };
  for (const ConsentChange& change : counter) {
    auto outcome = store.consents().Record(change);
    if (!outcome.ok()) return outcome.status();
  }
  TB_RETURN_IF_ERROR(ApplyPage(
      store,
      {Consent("chg_k1", RoiNovemberAt(4, 9, 5), c, ConsentState::kOptedIn,
               "double_opt_in_confirmation", "YES"),
       Consent("chg_k2", kOctober20, d, ConsentState::kOptedIn, "cloud", ""),
       Consent("chg_k3", RoiNovemberAt(14, 9), d, ConsentState::kOptedOut, "sms_keyword", "STOP")},
      "fixture-2"));

  // Messages the cloud sent, all but m7 known before the sales arrive.
  CloudChange receipt{"chg_m8", RoiNovemberAt(15, 12, 1), d,
                      CloudEngagement{"message_sent", "receipt",
                                      R"({"message_id":"msg_8","rule":"receipt",)"
                                      R"("purpose":"transactional","attributable":false})"}};
  TB_RETURN_IF_ERROR(ApplyPage(
      store,
      {Message("chg_m1", RoiNovemberAt(2, 12), a, "cmp_welcome_coupon", "rule_welcome",
               "WELCOME-A"),
       Message("chg_m2", RoiNovemberAt(3, 12), b, "cmp_welcome_coupon", "rule_welcome",
               "WELCOME-B"),
       Message("chg_m3", RoiNovemberAt(4, 12), c, "cmp_welcome_coupon", "rule_welcome",
               "WELCOME-C"),
       Message("chg_m4", RoiNovemberAt(10, 9), a, "cmp_winback", "rule_winback"),
       Message("chg_m5", RoiNovemberAt(10, 9), b, "cmp_winback", "rule_winback"),
       Message("chg_m6", RoiNovemberAt(12, 9), e, "cmp_winback", "rule_winback"), receipt,
       Message("chg_m9", RoiNovemberAt(27, 9), b, "cmp_weekend", "rule_weekend", "WEEKEND-B")},
      "fixture-3"));

  std::vector<Transaction> sales = {
      Sale("1001", RoiNovemberAt(2, 15), 4000, "c-ann", a, {"WELCOME-A"}),
      Sale("1002", RoiNovemberAt(4, 11), 2500, "c-bob", b, {"welcome-b"}),
      Sale("1003", RoiNovemberAt(12, 10), 3000, "c-ann", a),
      Sale("1004", RoiNovemberAt(18, 10), 2000, "c-cat", a),
      Sale("1005", RoiNovemberAt(11, 14), 5000, "c-bob", b),
      Sale("1006", RoiNovemberAt(13, 10), 1500, "c-ann", e),
      Sale("1007", RoiNovemberAt(21, 10), 3500, "c-bob", c, {"WEEKEND-C"}),
      Sale("1008", RoiNovemberAt(22, 10), 1200, "c-cat", c),
      Sale("1009", RoiNovemberAt(15, 12), 1800, "c-cat", d),
      Sale("1010", RoiNovemberAt(16, 12), 2200, "c-cat", d),
      Sale("1011", RoiNovemberAt(6, 9), 999, "c-cat", ""),
      Sale("1012", RoiNovemberAt(25, 17), 1501, "c-ann", ""),
      Sale("1013", RoiNovemberAt(8, 10), 2600, "c-bob", f),
      Sale("1014", RoiNovemberAt(28, 10), 4000, "c-bob", b),
      Sale("1015", RoiNovemberAt(26, 10), 800, "c-ann", e),
      Sale("1016", kRoiFrom - 2 * 86'400'000LL + 10 * 3'600'000LL, 1000, "c-ann", a),
      Sale("1017", RoiNovemberAt(9, 10), 1900, "c-bob", f, {}, "EUR"),
  };
  TB_RETURN_IF_ERROR(store.transactions().Ingest("pos", sales, "fixture-sales-1"));

  Transaction refund = Sale("2001", RoiNovemberAt(13, 10), -5000, "c-bob", b);
  refund.kind = TransactionKind::kRefund;
  refund.refund_of = "1005";
  Transaction void_sale = Sale("1006", RoiNovemberAt(13, 10, 30), 1500, "c-ann", e);
  void_sale.kind = TransactionKind::kVoid;
  void_sale.revision = 2;
  Transaction corrected = Sale("1014", RoiNovemberAt(28, 10), 4500, "c-bob", b);
  corrected.revision = 2;
  TB_RETURN_IF_ERROR(
      store.transactions().Ingest("pos", {refund, void_sale, corrected}, "fixture-sales-2"));

  // After an outage: the weekend message to C and its coupon arrive after
  // the two sales they should be credited with.
  return ApplyPage(
      store,
      {Coupon("chg_c7", RoiNovemberAt(20, 9), c, "WEEKEND-C"),
       Message("chg_m7", RoiNovemberAt(20, 9), c, "cmp_weekend", "rule_weekend", "WEEKEND-C")},
      "fixture-4");
}

}  // namespace tillbridge::store::testing
