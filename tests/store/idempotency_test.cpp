#include "store/idempotency.h"

#include <doctest/doctest.h>

#include "tests/store/store_test_util.h"

namespace tillbridge::store {

TEST_CASE("a stored response is found until it expires") {
  tillbridge::testing::TempDir dir;
  ManualClock clock(1'000'000);
  auto store = testing::OpenStore(dir.File("s.db"), &clock);
  auto& keys = store->idempotency_keys();
  auto missing = keys.Find("k1", 0);
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());

  auto saved = keys.Save("k1", {"hash-a", 201, "{\"state\":\"opted_in\"}\nsecond line", 0}, 0);
  REQUIRE(saved.ok());
  CHECK(saved->created_at == 1'000'000);
  auto found = keys.Find("k1", 999'000);
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->request_hash == "hash-a");
  CHECK((*found)->status == 201);
  CHECK((*found)->body == "{\"state\":\"opted_in\"}\nsecond line");
  // Older than the caller's window: treated as gone.
  auto expired = keys.Find("k1", 1'000'001);
  REQUIRE(expired.ok());
  CHECK_FALSE(expired->has_value());
}

TEST_CASE("a live key keeps its first response; an expired one is replaced") {
  tillbridge::testing::TempDir dir;
  ManualClock clock(1'000'000);
  auto store = testing::OpenStore(dir.File("s.db"), &clock);
  auto& keys = store->idempotency_keys();
  REQUIRE(keys.Save("k", {"first", 201, "one", 0}, 0).ok());
  clock.Advance(std::chrono::seconds(10));
  auto raced = keys.Save("k", {"second", 200, "two", 0}, 0);
  REQUIRE(raced.ok());
  CHECK(raced->request_hash == "first");
  CHECK(raced->body == "one");
  auto replaced = keys.Save("k", {"second", 200, "two", 0}, clock.NowMillis());
  REQUIRE(replaced.ok());
  CHECK(replaced->request_hash == "second");

  auto purged = keys.Purge(clock.NowMillis() + 1);
  REQUIRE(purged.ok());
  CHECK(*purged == 1);
  CHECK(keys.Save("", {"h", 200, "", 0}, 0).status().code() == StatusCode::kInvalidArgument);
}

}  // namespace tillbridge::store
