// Rules for applying pulled changes (store/cloud_changes): consent through
// the ledger's opt-out-wins rules, idempotent coupons/engagement/loyalty,
// invalid entries skipped, page + cursor in one transaction.
#include "store/cloud_changes.h"

#include <doctest/doctest.h>

#include "store/consent_ledger.h"
#include "store/customers.h"
#include "store/outbox.h"
#include "store/store.h"
#include "store/sync_state.h"
#include "tests/test_util.h"

using namespace tillbridge;
using namespace tillbridge::store;

namespace {

constexpr const char* kPhone = "+14155550134";
constexpr UnixMillis kT0 = 1'800'000'000'000;

std::unique_ptr<Store> Open(const std::string& path, FaultHook hook = {}) {
  StoreOptions options;
  options.path = path;
  options.store_id = "store-1";
  options.terminal_id = "lane-1";
  options.fault_hook = std::move(hook);
  auto store = Store::Open(options);
  REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  return std::move(store).value();
}

CloudChange Consent(const std::string& id, UnixMillis at, ConsentState state,
                    std::vector<ConsentPurpose> purposes = {ConsentPurpose::kTransactional,
                                                            ConsentPurpose::kMarketing},
                    bool is_explicit = true, const std::string& keyword = "") {
  CloudConsentChange data;
  data.purposes = std::move(purposes);
  data.state = state;
  data.method = keyword.empty() ? "cloud" : "sms_keyword";
  data.keyword = keyword;
  data.is_explicit = is_explicit;
  return {id, at, kPhone, data};
}

ConsentState StateOf(Store& store, ConsentPurpose purpose) {
  auto current = store.consents().Current(kPhone);
  REQUIRE(current.ok());
  for (const auto& record : *current) {
    if (record.purpose == purpose) return record.state;
  }
  return ConsentState::kNone;
}

void OptIn(Store& store, UnixMillis at, bool confirm = false) {
  for (ConsentPurpose purpose : {ConsentPurpose::kTransactional, ConsentPurpose::kMarketing}) {
    ConsentChange change;
    change.phone = kPhone;
    change.purpose = purpose;
    change.granted = true;
    change.method = "customer_display";
    change.actor = "c-1";
    change.occurred_at = at;
    change.requires_confirmation = confirm;
    REQUIRE(store.consents().Record(change).ok());
  }
}

}  // namespace

TEST_CASE("a STOP from the cloud makes the local lookup say opted_out, queueing nothing") {
  testing::TempDir dir;
  auto store = Open(dir.File("s.db"));
  OptIn(*store, kT0);
  const auto depth_before = store->outbox().Depth();
  REQUIRE(depth_before.ok());
  auto report = store->cloud_changes().ApplyPage(
      {Consent("chg_1", kT0 + 1000, ConsentState::kOptedOut,
               {ConsentPurpose::kTransactional, ConsentPurpose::kMarketing}, true, "STOP")},
      "c1-1");
  REQUIRE_MESSAGE(report.ok(), report.status().ToString());
  CHECK(report->applied == 1);
  CHECK(report->consent_changed == std::vector<std::string>{kPhone});
  CHECK(StateOf(*store, ConsentPurpose::kTransactional) == ConsentState::kOptedOut);
  CHECK(StateOf(*store, ConsentPurpose::kMarketing) == ConsentState::kOptedOut);
  // The cloud already knows: no consent.changed goes back to it.
  CHECK(*store->outbox().Depth() == *depth_before);
  auto history = store->consents().History(kPhone);
  REQUIRE(history.ok());
  CHECK(history->back().method == "sms_keyword");
  CHECK(history->back().actor == "cloud");
  CHECK(history->back().detail.find("STOP") != std::string::npos);
  auto chain = store->consents().Verify();
  REQUIRE(chain.ok());
  CHECK_FALSE(chain->first_bad_seq.has_value());
  CHECK(*store->cloud_changes().Cursor() == std::optional<std::string>("c1-1"));
}

TEST_CASE("opt-out wins: only an explicit, newer opt-in lifts it") {
  testing::TempDir dir;
  auto store = Open(dir.File("s.db"));
  OptIn(*store, kT0);
  REQUIRE(store->cloud_changes()
              .ApplyPage({Consent("chg_1", kT0 + 5000, ConsentState::kOptedOut)}, "c1-1")
              .ok());
  // Bulk cloud data (not the customer's own action) never lifts an opt-out.
  auto bulk = store->cloud_changes().ApplyPage(
      {Consent("chg_2", kT0 + 9000, ConsentState::kOptedIn, {ConsentPurpose::kMarketing}, false)},
      "c1-2");
  REQUIRE(bulk.ok());
  CHECK(bulk->unchanged == 1);
  CHECK(StateOf(*store, ConsentPurpose::kMarketing) == ConsentState::kOptedOut);
  // An explicit START older than the STOP does not either.
  auto older =
      store->cloud_changes().ApplyPage({Consent("chg_3", kT0 + 4000, ConsentState::kOptedIn,
                                                {ConsentPurpose::kMarketing}, true, "START")},
                                       "c1-3");
  REQUIRE(older.ok());
  CHECK(StateOf(*store, ConsentPurpose::kMarketing) == ConsentState::kOptedOut);
  // A newer START does.
  auto newer =
      store->cloud_changes().ApplyPage({Consent("chg_4", kT0 + 10'000, ConsentState::kOptedIn,
                                                {ConsentPurpose::kMarketing}, true, "START")},
                                       "c1-4");
  REQUIRE(newer.ok());
  CHECK(newer->applied == 1);
  CHECK(StateOf(*store, ConsentPurpose::kMarketing) == ConsentState::kOptedIn);
  CHECK(StateOf(*store, ConsentPurpose::kTransactional) == ConsentState::kOptedOut);
}

TEST_CASE("a double opt-in confirmation turns pending into opted_in") {
  testing::TempDir dir;
  auto store = Open(dir.File("s.db"));
  OptIn(*store, kT0, /*confirm=*/true);
  CHECK(StateOf(*store, ConsentPurpose::kMarketing) == ConsentState::kPending);
  CloudChange yes = Consent("chg_1", kT0 + 60'000, ConsentState::kOptedIn,
                            {ConsentPurpose::kMarketing}, true, "YES");
  std::get<CloudConsentChange>(yes.data).method = "double_opt_in_confirmation";
  REQUIRE(store->cloud_changes().ApplyPage({yes}, "c1-1").ok());
  CHECK(StateOf(*store, ConsentPurpose::kMarketing) == ConsentState::kOptedIn);
  CHECK(StateOf(*store, ConsentPurpose::kTransactional) == ConsentState::kPending);
  // The same change again (a replayed page) adds no ledger row.
  auto rows = store->consents().History(kPhone)->size();
  auto again = store->cloud_changes().ApplyPage({yes}, "c1-2");
  REQUIRE(again.ok());
  CHECK(again->unchanged == 1);
  CHECK(store->consents().History(kPhone)->size() == rows);
}

TEST_CASE("coupons, engagement, loyalty, segments and fields land once, as absolute values") {
  testing::TempDir dir;
  auto store = Open(dir.File("s.db"));
  CloudCoupon coupon;
  coupon.code = "TB-42";
  coupon.description = "10% off";
  coupon.discount_percent = 10;
  coupon.valid_until = kT0 + 86'400'000;
  CloudEngagement click{"click", "spring", R"({"url":"https://x.example"})"};
  std::vector<CloudChange> page = {
      {"chg_1", kT0, kPhone, coupon},
      {"chg_2", kT0, kPhone, click},
      {"chg_3", kT0, kPhone, CloudLoyalty{120, "silver"}},
      {"chg_4", kT0, kPhone, CloudSegments{{"vip"}}},
      {"chg_5", kT0, kPhone, CloudCustomerFields{R"({"orders":3,"preferred_location":"store-1"})"}},
  };
  auto report = store->cloud_changes().ApplyPage(page, "c1-5");
  REQUIRE(report.ok());
  CHECK(report->applied == 5);
  auto stored = store->cloud_changes().Coupon("TB-42");
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  CHECK((*stored)->discount_percent == std::optional<std::int64_t>(10));
  CHECK((*stored)->valid_until == std::optional<UnixMillis>(kT0 + 86'400'000));
  auto profile = store->customers().Find(kPhone);
  REQUIRE(profile.ok());
  REQUIRE(profile->has_value());
  CHECK((*profile)->loyalty_points == std::optional<std::int64_t>(120));
  CHECK((*profile)->loyalty_tier == std::optional<std::string>("silver"));
  CHECK((*profile)->segments_json == R"(["vip"])");
  CHECK((*profile)->cloud_fields_json.find("preferred_location") != std::string::npos);
  CHECK((*profile)->engagement_counts.at("click") == 1);

  // The same page again changes nothing: engagement is keyed by change id
  // and the rest are absolute values.
  auto replay = store->cloud_changes().ApplyPage(page, "c1-5");
  REQUIRE(replay.ok());
  CHECK(replay->applied == 1);  // the coupon upsert always rewrites its row
  CHECK(replay->unchanged == 4);
  CHECK((*store->customers().Find(kPhone))->engagement_counts.at("click") == 1);

  // A later loyalty value replaces the old one; a cloud coupon never lowers
  // a redemption count the register already has.
  coupon.redeemed_count = 0;
  REQUIRE(store->cloud_changes()
              .ApplyPage({{"chg_6", kT0, kPhone, CloudLoyalty{80, std::nullopt}}}, "c1-6")
              .ok());
  CHECK((*store->customers().Find(kPhone))->loyalty_points == std::optional<std::int64_t>(80));
  CHECK((*store->customers().Find(kPhone))->loyalty_tier == std::optional<std::string>("silver"));
}

TEST_CASE("invalid entries are skipped with a reason; the rest and the cursor apply") {
  testing::TempDir dir;
  auto store = Open(dir.File("s.db"));
  CloudCoupon no_discount;
  no_discount.code = "FREE";
  CloudCoupon no_currency;
  no_currency.code = "FIVE";
  no_currency.discount_minor = 500;
  std::vector<CloudChange> page = {
      {"chg_1", kT0, "555-0134", CloudLoyalty{10, std::nullopt}},
      {"chg_2", kT0, kPhone, no_discount},
      {"chg_3", kT0, kPhone, no_currency},
      {"chg_4", kT0, kPhone, CloudLoyalty{-5, std::nullopt}},
      {"chg_5", kT0, kPhone, CloudCustomerFields{"[1,2]"}},
      {"chg_6", kT0, kPhone, CloudEngagement{"", "", "{}"}},
      {"", kT0, kPhone, CloudSegments{{"vip"}}},
      {"chg_8", kT0, kPhone, Consent("x", kT0, ConsentState::kNone).data},
      {"chg_9", kT0, kPhone, CloudSegments{{"vip"}}},
  };
  auto report = store->cloud_changes().ApplyPage(page, "c1-9");
  REQUIRE(report.ok());
  CHECK(report->applied == 1);
  CHECK(report->skipped == 8);
  REQUIRE(report->skip_reasons.size() == 8);
  CHECK(report->skip_reasons[0] == "chg_1: phone '555-0134' is not E.164");
  CHECK(report->skip_reasons[1].find("neither discount_minor nor discount_percent") !=
        std::string::npos);
  CHECK(report->skip_reasons[2].find("no ISO 4217 currency") != std::string::npos);
  CHECK(report->skip_reasons[3].find("negative") != std::string::npos);
  CHECK(report->skip_reasons[4].find("not a JSON object") != std::string::npos);
  CHECK(report->skip_reasons[5].find("engagement has no kind") != std::string::npos);
  CHECK(report->skip_reasons[6] == "(no id): change has no id");
  CHECK(report->skip_reasons[7].find("state 'none'") != std::string::npos);
  CHECK(*store->cloud_changes().Cursor() == std::optional<std::string>("c1-9"));
  CHECK((*store->customers().Find(kPhone))->segments_json == R"(["vip"])");
}

TEST_CASE("a page and its cursor commit together or not at all") {
  testing::TempDir dir;
  bool fail = false;
  auto store = Open(dir.File("s.db"), [&](std::string_view point) {
    return fail && point == "cloud_changes.before_cursor" ? Status::IoError("disk full (injected)")
                                                          : Status::Ok();
  });
  OptIn(*store, kT0);
  REQUIRE(store->cloud_changes().ApplyPage({}, "c1-0").ok());
  fail = true;
  auto failed =
      store->cloud_changes().ApplyPage({Consent("chg_1", kT0 + 1, ConsentState::kOptedOut),
                                        {"chg_2", kT0, kPhone, CloudLoyalty{7, "gold"}}},
                                       "c1-2");
  CHECK(failed.status().code() == StatusCode::kIoError);
  CHECK(StateOf(*store, ConsentPurpose::kTransactional) == ConsentState::kOptedIn);
  CHECK_FALSE((*store->customers().Find(kPhone))->loyalty_points.has_value());
  CHECK(*store->cloud_changes().Cursor() == std::optional<std::string>("c1-0"));
  auto chain = store->consents().Verify();
  REQUIRE(chain.ok());
  CHECK_FALSE(chain->first_bad_seq.has_value());
}

TEST_CASE("the cursor only moves from where the caller read it") {
  testing::TempDir dir;
  auto store = Open(dir.File("s.db"));
  REQUIRE(store->cloud_changes().ApplyPage({}, "c1-5", std::string("")).ok());
  auto stale = store->cloud_changes().ApplyPage(
      {{"chg_6", kT0, kPhone, CloudLoyalty{1, std::nullopt}}}, "c1-6", std::string("c1-4"));
  CHECK(stale.status().code() == StatusCode::kFailedPrecondition);
  CHECK(*store->cloud_changes().Cursor() == std::optional<std::string>("c1-5"));
  CHECK_FALSE(store->customers().Find(kPhone)->has_value());
  CHECK(store->cloud_changes().ApplyPage({}, "c1-6", std::string("c1-5")).ok());
  CHECK(store->cloud_changes().ApplyPage({}, "").status().code() == StatusCode::kInvalidArgument);
}
