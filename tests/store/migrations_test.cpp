#include "store/migrations.h"

#include <doctest/doctest.h>

#include <fstream>

#include "store/sqlite_db.h"
#include "store/transaction_log.h"
#include "tests/store/store_test_util.h"

namespace tillbridge::store {
namespace {

std::int64_t UserVersion(Database& db) { return db.QueryInt("PRAGMA user_version").value(); }

std::vector<std::string> Tables(Database& db) {
  auto stmt = db.Prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  std::vector<std::string> names;
  while (stmt->Step().value()) names.push_back(stmt->Text(0));
  return names;
}

}  // namespace

TEST_CASE("a new store is migrated to the latest schema") {
  tillbridge::testing::TempDir dir;
  auto store = testing::OpenStore(dir.File("t.db"));
  auto stats = store->Stats();
  REQUIRE(stats.ok());
  CHECK(stats->schema_version == LatestSchemaVersion());
  CHECK(store->agent_id().rfind("agt_", 0) == 0);
}

TEST_CASE("every earlier schema version migrates to the latest, keeping data") {
  for (int start = 0; start <= LatestSchemaVersion(); ++start) {
    CAPTURE(start);
    tillbridge::testing::TempDir dir;
    const std::string path = dir.File("t.db");
    {
      auto db = Database::Open(path, true);
      REQUIRE(db.ok());
      REQUIRE(Migrate(**db, start).ok());
      CHECK(UserVersion(**db) == start);
      if (start >= 1) {
        // Data written by an older build must survive the upgrade.
        REQUIRE((*db)
                    ->Exec("INSERT INTO source_cursors (source, cursor, records, updated_at) "
                           "VALUES ('pos', '42', 3, 1)")
                    .ok());
      }
    }
    auto store = testing::OpenStore(path);
    auto stats = store->Stats();
    REQUIRE(stats.ok());
    CHECK(stats->schema_version == LatestSchemaVersion());
    if (start >= 1) {
      auto cursor = store->transactions().Cursor("pos");
      REQUIRE(cursor.ok());
      CHECK(cursor->value_or("") == "42");
    }
  }
}

TEST_CASE("migrating twice is a no-op and the schema is identical from any start") {
  tillbridge::testing::TempDir dir;
  auto fresh = Database::Open(dir.File("a.db"), true);
  REQUIRE(Migrate(**fresh).ok());
  REQUIRE(Migrate(**fresh).ok());
  auto stepwise = Database::Open(dir.File("b.db"), true);
  for (int v = 1; v <= LatestSchemaVersion(); ++v) REQUIRE(Migrate(**stepwise, v).ok());
  CHECK(Tables(**fresh) == Tables(**stepwise));
  CHECK(UserVersion(**fresh) == UserVersion(**stepwise));
}

TEST_CASE("a store from a newer build is refused with a clear message") {
  tillbridge::testing::TempDir dir;
  const std::string path = dir.File("t.db");
  {
    auto db = Database::Open(path, true);
    REQUIRE((*db)->Exec("PRAGMA user_version = 99").ok());
  }
  StoreOptions options;
  options.path = path;
  auto store = Store::Open(options);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == StatusCode::kFailedPrecondition);
  CHECK(store.status().message().find("newer") != std::string::npos);
}

TEST_CASE("the store runs in WAL mode with synchronous=FULL and foreign keys") {
  tillbridge::testing::TempDir dir;
  const std::string path = dir.File("t.db");
  auto store = testing::OpenStore(path);
  auto settings = store->Settings();
  REQUIRE(settings.ok());
  // synchronous=2 is FULL.
  CHECK(*settings == "journal_mode=wal synchronous=2 foreign_keys=1");
}

TEST_CASE("a file that is not a database is reported as corruption or I/O error") {
  tillbridge::testing::TempDir dir;
  const std::string path = dir.File("t.db");
  {
    std::ofstream file(path);
    file << std::string(4096, 'x');
  }
  StoreOptions options;
  options.path = path;
  auto store = Store::Open(options);
  REQUIRE_FALSE(store.ok());
  CHECK((store.status().code() == StatusCode::kCorruption ||
         store.status().code() == StatusCode::kIoError));
}

}  // namespace tillbridge::store
