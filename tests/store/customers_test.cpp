#include "store/customers.h"

#include <doctest/doctest.h>

#include "store/consent_ledger.h"
#include "store/transaction_log.h"
#include "tests/store/store_test_util.h"

namespace tillbridge::store {

TEST_CASE("a phone the store never saw has no profile") {
  tillbridge::testing::TempDir dir;
  auto store = testing::OpenStore(dir.File("s.db"));
  auto found = store->customers().Find("+14155550134");
  REQUIRE(found.ok());
  CHECK_FALSE(found->has_value());
}

TEST_CASE("purchases, consent, cloud fields and engagement make one profile") {
  tillbridge::testing::TempDir dir;
  auto store = testing::OpenStore(dir.File("s.db"));
  REQUIRE(store->transactions()
              .Ingest("pos",
                      {testing::MakeSale("A-1", 2000, "+14155550134"),
                       testing::MakeSale("A-2", 1000, "+14155550134")},
                      "2")
              .ok());
  CloudProfileUpdate update;
  update.phone = "+14155550134";
  update.loyalty_points = 150;
  update.segments_json = R"(["vip"])";
  REQUIRE(store->customers().ApplyCloudProfile(update).ok());
  // A later update that sends only the tier leaves the points alone.
  CloudProfileUpdate tier_only;
  tier_only.phone = "+14155550134";
  tier_only.loyalty_tier = "silver";
  REQUIRE(store->customers().ApplyCloudProfile(tier_only).ok());

  EngagementEvent click{"chg-1", "+14155550134", "click", "spring", 1'000, "{}"};
  auto added = store->customers().AddEngagement(click);
  REQUIRE(added.ok());
  CHECK(*added);
  auto repeated = store->customers().AddEngagement(click);
  REQUIRE(repeated.ok());
  CHECK_FALSE(*repeated);
  REQUIRE(
      *store->customers().AddEngagement({"chg-2", "+14155550134", "redemption", "", 5'000, ""}));

  auto found = store->customers().Find("+14155550134");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  const CustomerProfile& profile = **found;
  CHECK(profile.has_contact);
  CHECK(profile.purchase_count == 2);
  CHECK(profile.lifetime_value_minor == 3000);
  CHECK(profile.currency == "USD");
  CHECK(profile.last_store_id == "store-9");
  CHECK(profile.loyalty_points == 150);
  CHECK(profile.loyalty_tier == "silver");
  CHECK(profile.segments_json == R"(["vip"])");
  CHECK(profile.cloud_fields_json == "{}");
  CHECK(profile.engagement_counts.at("click") == 1);
  CHECK(profile.engagement_counts.at("redemption") == 1);
  CHECK(profile.last_engagement_at == 5'000);
  REQUIRE(profile.recent_engagement.size() == 2);
  CHECK(profile.recent_engagement[0].change_id == "chg-2");
  CHECK(profile.recent_engagement[0].detail_json == "{}");
  CHECK_FALSE(profile.has_consent);
}

TEST_CASE("consent alone is enough for a profile") {
  tillbridge::testing::TempDir dir;
  auto store = testing::OpenStore(dir.File("s.db"));
  ConsentChange change;
  change.phone = "+14155550134";
  change.granted = true;
  change.method = "keypad";
  change.actor = "c-1";
  change.occurred_at = 1000;
  REQUIRE(store->consents().Record(change).ok());
  auto found = store->customers().Find("+14155550134");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->has_consent);
  CHECK_FALSE((*found)->has_contact);
  CHECK((*found)->purchase_count == 0);
}

TEST_CASE("cloud writes check their input") {
  tillbridge::testing::TempDir dir;
  auto store = testing::OpenStore(dir.File("s.db"));
  CloudProfileUpdate bad;
  bad.phone = "4155550134";
  CHECK(store->customers().ApplyCloudProfile(bad).code() == StatusCode::kInvalidArgument);
  CHECK(store->customers()
            .AddEngagement({"", "+14155550134", "click", "", 1, "{}"})
            .status()
            .code() == StatusCode::kInvalidArgument);
  CHECK(store->customers().AddEngagement({"c", "+14155550134", "", "", 1, "{}"}).status().code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace tillbridge::store
