// Helpers for the POS database source tests: reading back what reached the
// store's outbox, driving a source the way the agent does, and reaching the
// real MariaDB / PostgreSQL servers started by scripts/start-test-databases.sh.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "drivers/transaction_source.h"
#include "store/store.h"

namespace tillbridge::drivers::testing {

// One transaction event as queued in the outbox, parsed from its JSON.
struct SeenEvent {
  std::string event_id;
  std::string type;  // transaction.completed, ...
  std::string pos_id;
  std::int64_t revision = 0;
  std::string kind;
  std::string occurred_at;  // RFC 3339
  std::string currency;
  std::int64_t subtotal = 0;
  std::int64_t tax = 0;
  std::int64_t total = 0;
  std::string cashier;
  std::string phone;  // empty when null
  std::vector<std::string> coupons;
  std::vector<std::pair<std::string, std::int64_t>> payments;
  std::vector<std::int64_t> line_totals;
  std::vector<std::int64_t> line_quantities;
  std::vector<std::string> line_skus;
  std::vector<std::string> line_categories;  // "" for a line without one
};

// Every transaction event in the outbox, oldest first (the coupon.redeemed
// events that sales with coupon codes also queue are left out).
std::vector<SeenEvent> OutboxEvents(store::Store& store);
// How many events of `type` the outbox holds.
int OutboxCount(store::Store& store, const std::string& type);

// A loyalty.accrued event in the outbox.
struct SeenAccrual {
  std::string transaction_pos_id;
  std::string phone;
  std::int64_t points = 0;
  std::optional<std::int64_t> balance;
};
// Every loyalty.accrued event in the outbox, oldest first.
std::vector<SeenAccrual> OutboxAccruals(store::Store& store);

// Opens a store in `path` with a fixed store id.
std::unique_ptr<store::Store> OpenStore(const std::string& path, const Clock* clock = nullptr);

// Polls `source` and ingests each batch, as the agent does, until `done`
// returns true or `timeout` passes. Returns the last poll error when the
// time runs out while failing, else Ok.
Status Pump(TransactionSource& source, store::Store& store, const std::function<bool()>& done,
            std::chrono::milliseconds timeout,
            std::chrono::milliseconds wait = std::chrono::milliseconds(20));

// One Poll + Ingest; returns the number of records ingested.
Result<size_t> PollOnce(TransactionSource& source, store::Store& store,
                        std::chrono::milliseconds wait = std::chrono::milliseconds(0));

// A random suffix for database names.
std::string UniqueSuffix();

// Where the test servers are (env TB_MARIADB_PORT / TB_PG_PORT override).
int MariaDbPort();
int PostgresPort();
inline constexpr const char* kReadOnlyUser = "tillbridge_ro";
inline constexpr const char* kReadOnlyPassword = "tillbridge-ro";
inline constexpr const char* kPosUser = "tillbridge_pos";
inline constexpr const char* kPosPassword = "tillbridge-pos";

// Runs a shell command; returns its exit code and fills `output` (stdout +
// stderr) when given.
int Run(const std::string& command, std::string* output = nullptr);

// A writer session that plays the POS on a server database. Every call is
// its own statement; failures come back as Status (connection lost while
// the server restarts: Unavailable).
class PosWriter {
 public:
  enum class Kind { kMariaDb, kPostgres };
  static Result<std::unique_ptr<PosWriter>> Connect(Kind kind, const std::string& database);
  ~PosWriter();
  Status Execute(const std::string& sql);
  // First column of the first row, as text ("" for NULL / no rows).
  Result<std::string> QueryText(const std::string& sql);

 private:
  struct Session;
  explicit PosWriter(std::unique_ptr<Session> session);
  std::unique_ptr<Session> session_;
};

// The OSPOS schemas a test database can be made from. The sql_db_setup
// fixture dumps both into the build tree (tbtest/).
enum class OsposSchema {
  // tests/drivers/sql/ospos/schema.sql: the subset of OSPOS 3.4.1 that the
  // ospos profile reads. Always there.
  kFixture,
  // The full upstream OSPOS 3.4.1 schema, loaded with
  // ../shared/pos-schemas/ospos/load.sh; there only when that folder is.
  kUpstream,
};

// Exit code of a test program that did not run because the schema it was
// asked for is absent; ctest's SKIP_RETURN_CODE for such tests.
inline constexpr int kSkippedExitCode = 77;

// The schema this test program runs against, chosen by the environment
// variable TILLBRIDGE_OSPOS_SCHEMA: `fixture` (the default), `upstream`, or
// `upstream-if-present` (upstream when its dump exists, else the fixture).
// The first call prints the choice ("OSPOS schema: ..."). When `upstream` is
// asked for and its dump is absent it prints why and ends the program with
// kSkippedExitCode, so the run is reported skipped, never passed.
// InvalidArgument for any other value.
Result<OsposSchema> ChosenOsposSchema();

// The folder of the project's OSPOS fixture: schema.sql and the sample SQL
// that both schemas' tests ring sales up with.
std::string OsposFixtureDir();

// A fresh MariaDB database loaded with the chosen OSPOS schema (see
// ChosenOsposSchema); dropped again on destruction.
class OsposDatabase {
 public:
  static Result<std::unique_ptr<OsposDatabase>> Create(const std::string& label);
  ~OsposDatabase();
  const std::string& name() const { return name_; }
  // Runs a .sql file through the mysql client as the POS user.
  Status RunFile(const std::string& path);

 private:
  explicit OsposDatabase(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

// A fresh, empty PostgreSQL database owned by the POS user, whose tables the
// read-only user may SELECT; dropped on destruction.
class PostgresDatabase {
 public:
  static Result<std::unique_ptr<PostgresDatabase>> Create(const std::string& label);
  ~PostgresDatabase();
  const std::string& name() const { return name_; }
  // Runs a multi-statement SQL script through psql as the POS user.
  Status RunScript(const std::string& sql);

 private:
  explicit PostgresDatabase(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

}  // namespace tillbridge::drivers::testing
