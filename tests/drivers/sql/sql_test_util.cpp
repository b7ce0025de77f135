#include "tests/drivers/sql/sql_test_util.h"

#include <Poco/Data/MySQL/Connector.h>
#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/PostgreSQL/SessionHandle.h>
#include <Poco/Data/PostgreSQL/SessionImpl.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "store/outbox.h"
#include "store/transaction_log.h"

namespace tillbridge::drivers::testing {
namespace {

int EnvPort(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value ? std::atoi(value) : fallback;
}

std::string MysqlClient() {
  return "mysql --protocol=tcp -h 127.0.0.1 -P " + std::to_string(MariaDbPort()) + " -u " +
         kPosUser + " -p" + kPosPassword;
}

// Where the sql_db_setup fixture dumps each schema. The upstream dump keeps
// the name that the benchmark and the Windows agent test read.
std::string OsposDumpPath(OsposSchema schema) {
  const char* file = schema == OsposSchema::kFixture ? "ospos_fixture.sql" : "ospos_schema.sql";
  return std::string(TILLBRIDGE_BINARY_DIR) + "/tbtest/" + file;
}

std::string PsqlClient(const std::string& database) {
  return "PGPASSWORD=" + std::string(kPosPassword) +
         " psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " + std::to_string(PostgresPort()) +
         " -U " + kPosUser + " -d " + database;
}

}  // namespace

int MariaDbPort() { return EnvPort("TB_MARIADB_PORT", 3306); }
int PostgresPort() { return EnvPort("TB_PG_PORT", 5432); }

std::string UniqueSuffix() {
  static std::mutex mutex;
  static std::mt19937_64 random(std::random_device{}());
  std::lock_guard lock(mutex);
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  auto value = random();
  for (int i = 0; i < 10; ++i, value >>= 4) out += kHex[value & 0xF];
  return out;
}

int Run(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return -1;
  std::array<char, 4096> buffer;
  std::string text;
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) text.append(buffer.data(), n);
  const int status = pclose(pipe);
  if (output) *output = text;
#ifdef _WIN32
  return status;  // _pclose answers the exit code itself
#else
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
#endif
}

int OutboxCount(store::Store& store, const std::string& type) {
  auto due = store.outbox().Due(1'000'000, 1ULL << 40);
  if (!due.ok()) return -1;
  int count = 0;
  for (const auto& row : *due) count += row.type == type ? 1 : 0;
  return count;
}

std::vector<SeenEvent> OutboxEvents(store::Store& store) {
  std::vector<SeenEvent> events;
  auto due = store.outbox().Due(1'000'000, 1ULL << 40);
  if (!due.ok()) return events;
  Poco::JSON::Parser parser;
  for (const auto& row : *due) {
    if (row.type.rfind("transaction.", 0) != 0 && row.type != "basket.abandoned") continue;
    auto root = parser.parse(row.payload_json).extract<Poco::JSON::Object::Ptr>();
    parser.reset();
    SeenEvent event;
    event.event_id = row.event_id;
    event.type = row.type;
    event.occurred_at = root->getValue<std::string>("occurred_at");
    auto payload = root->getObject("payload");
    event.pos_id = payload->getValue<std::string>("pos_id");
    event.revision = payload->getValue<std::int64_t>("revision");
    event.kind = payload->getValue<std::string>("kind");
    event.currency = payload->getValue<std::string>("currency");
    event.subtotal = payload->getValue<std::int64_t>("subtotal_minor");
    event.tax = payload->getValue<std::int64_t>("tax_minor");
    event.total = payload->getValue<std::int64_t>("total_minor");
    event.cashier = payload->getValue<std::string>("cashier");
    auto customer = payload->getObject("customer");
    if (!customer->isNull("phone")) event.phone = customer->getValue<std::string>("phone");
    auto coupons = payload->getArray("coupon_codes");
    for (size_t i = 0; i < coupons->size(); ++i)
      event.coupons.push_back(coupons->getElement<std::string>(i));
    auto payments = payload->getArray("payments");
    for (size_t i = 0; i < payments->size(); ++i) {
      auto payment = payments->getObject(i);
      event.payments.emplace_back(payment->getValue<std::string>("type"),
                                  payment->getValue<std::int64_t>("amount_minor"));
    }
    auto lines = payload->getArray("lines");
    for (size_t i = 0; i < lines->size(); ++i) {
      auto line = lines->getObject(i);
      event.line_totals.push_back(line->getValue<std::int64_t>("total_minor"));
      event.line_quantities.push_back(line->getValue<std::int64_t>("quantity_milli"));
      event.line_skus.push_back(line->getValue<std::string>("sku"));
      event.line_categories.push_back(line->optValue<std::string>("category", ""));
    }
    events.push_back(std::move(event));
  }
  return events;
}

std::vector<SeenAccrual> OutboxAccruals(store::Store& store) {
  std::vector<SeenAccrual> accruals;
  auto due = store.outbox().Due(1'000'000, 1ULL << 40);
  if (!due.ok()) return accruals;
  Poco::JSON::Parser parser;
  for (const auto& row : *due) {
    if (row.type != "loyalty.accrued") continue;
    auto root = parser.parse(row.payload_json).extract<Poco::JSON::Object::Ptr>();
    parser.reset();
    auto payload = root->getObject("payload");
    SeenAccrual accrual;
    accrual.transaction_pos_id = payload->getValue<std::string>("transaction_pos_id");
    accrual.phone = payload->getValue<std::string>("phone");
    accrual.points = payload->getValue<std::int64_t>("points");
    if (!payload->isNull("balance")) accrual.balance = payload->getValue<std::int64_t>("balance");
    accruals.push_back(std::move(accrual));
  }
  return accruals;
}

std::unique_ptr<store::Store> OpenStore(const std::string& path, const Clock* clock) {
  store::StoreOptions options;
  options.path = path;
  options.store_id = "store-test";
  options.terminal_id = "till-1";
  options.clock = clock;
  auto store = store::Store::Open(options);
  REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  return std::move(store).value();
}

Result<size_t> PollOnce(TransactionSource& source, store::Store& store,
                        std::chrono::milliseconds wait) {
  auto cursor = store.transactions().Cursor(source.Name());
  if (!cursor.ok()) return cursor.status();
  auto batch = source.Poll(cursor->value_or(""), wait);
  if (!batch.ok()) return batch.status();
  if (batch->records.empty() && batch->cursor == cursor->value_or("")) return size_t{0};
  TB_RETURN_IF_ERROR(store.transactions().Ingest(source.Name(), batch->records, batch->cursor));
  return batch->records.size();
}

Status Pump(TransactionSource& source, store::Store& store, const std::function<bool()>& done,
            std::chrono::milliseconds timeout, std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Status last;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return last.ok() ? Status::Unavailable("timed out waiting for the expected events") : last;
    }
    auto polled = PollOnce(source, store, wait);
    if (!polled.ok()) {
      last = polled.status();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return Status::Ok();
}

struct PosWriter::Session {
  explicit Session(std::unique_ptr<Poco::Data::Session> s) : session(std::move(s)) {}
  std::unique_ptr<Poco::Data::Session> session;
};

PosWriter::PosWriter(std::unique_ptr<Session> session) : session_(std::move(session)) {}
PosWriter::~PosWriter() {
  // Poco frees a PostgreSQL connection only while it is up (see
  // PosDatabase); revive one that a server restart killed so it is freed.
  if (auto* impl = dynamic_cast<Poco::Data::PostgreSQL::SessionImpl*>(session_->session->impl())) {
    try {
      if (!impl->handle().isConnected()) impl->handle().reset();
    } catch (const Poco::Exception&) {
    }
  }
}

Result<std::unique_ptr<PosWriter>> PosWriter::Connect(Kind kind, const std::string& database) {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Data::MySQL::Connector::registerConnector();
    Poco::Data::PostgreSQL::Connector::registerConnector();
  });
  try {
    std::unique_ptr<Poco::Data::Session> session;
    if (kind == Kind::kMariaDb) {
      session = std::make_unique<Poco::Data::Session>(
          "MySQL",
          "host=127.0.0.1;port=" + std::to_string(MariaDbPort()) + ";db=" + database +
              ";user=" + kPosUser + ";password=" + kPosPassword,
          5);
    } else {
      session = std::make_unique<Poco::Data::Session>(
          "PostgreSQL",
          "host=127.0.0.1 port=" + std::to_string(PostgresPort()) + " dbname=" + database +
              " user=" + kPosUser + " password=" + kPosPassword,
          5);
    }
    return std::unique_ptr<PosWriter>(new PosWriter(std::make_unique<Session>(std::move(session))));
  } catch (const Poco::Exception& error) {
    return Status::Unavailable("test writer cannot connect: " + error.displayText());
  }
}

Status PosWriter::Execute(const std::string& sql) {
  try {
    Poco::Data::Statement statement(*session_->session);
    statement << sql;
    statement.execute();
    return Status::Ok();
  } catch (const Poco::Exception& error) {
    return Status::Unavailable("test writer: " + error.displayText());
  }
}

Result<std::string> PosWriter::QueryText(const std::string& sql) {
  try {
    Poco::Data::Statement statement(*session_->session);
    statement << sql;
    statement.execute();
    Poco::Data::RecordSet rows(statement);
    if (rows.rowCount() == 0 || rows.value(0, 0).isEmpty()) return std::string();
    return rows.value(0, 0).convert<std::string>();
  } catch (const Poco::Exception& error) {
    return Status::Unavailable("test writer: " + error.displayText());
  }
}

std::string OsposFixtureDir() {
  return std::string(TILLBRIDGE_SOURCE_DIR) + "/tests/drivers/sql/ospos";
}

Result<OsposSchema> ChosenOsposSchema() {
  static const Result<OsposSchema> chosen = []() -> Result<OsposSchema> {
    const char* value = std::getenv("TILLBRIDGE_OSPOS_SCHEMA");
    const std::string wanted = value && *value ? value : "fixture";
    if (wanted != "fixture" && wanted != "upstream" && wanted != "upstream-if-present") {
      return Status::InvalidArgument("TILLBRIDGE_OSPOS_SCHEMA is '" + wanted +
                                     "'; use fixture, upstream or upstream-if-present");
    }
    const bool upstream_present = std::filesystem::exists(OsposDumpPath(OsposSchema::kUpstream));
    if (wanted == "upstream" && !upstream_present) {
      std::printf(
          "OSPOS schema: upstream OSPOS 3.4.1 asked for but not present (no %s; sql_db_setup "
          "makes it only when ../shared/pos-schemas/ospos/load.sh is there): SKIPPED\n",
          OsposDumpPath(OsposSchema::kUpstream).c_str());
      // Nothing is open yet: end here, before doctest counts anything as run.
      std::fflush(stdout);
      std::_Exit(kSkippedExitCode);
    }
    const OsposSchema schema =
        wanted == "fixture" || !upstream_present ? OsposSchema::kFixture : OsposSchema::kUpstream;
    std::printf("OSPOS schema: %s\n",
                schema == OsposSchema::kFixture
                    ? "fixture (tests/drivers/sql/ospos/schema.sql, a subset of OSPOS 3.4.1)"
                    : "upstream OSPOS 3.4.1 (../shared/pos-schemas/ospos, loaded with load.sh)");
    std::fflush(stdout);
    return schema;
  }();
  return chosen;
}

Result<std::unique_ptr<OsposDatabase>> OsposDatabase::Create(const std::string& label) {
  auto schema = ChosenOsposSchema();
  if (!schema.ok()) return schema.status();
  const std::string dump = OsposDumpPath(*schema);
  if (!std::filesystem::exists(dump)) {
    return Status::FailedPrecondition("no OSPOS schema dump at " + dump +
                                      "; run the sql_db_setup fixture (ctest -L db) first");
  }
  const std::string name = "tbtest_" + label + "_" + UniqueSuffix();
  std::string output;
  if (Run(MysqlClient() + " -e 'CREATE DATABASE `" + name + "`'", &output) != 0 ||
      Run(MysqlClient() + " " + name + " < " + dump, &output) != 0) {
    return Status::Unavailable("cannot create OSPOS test database " + name + ": " + output);
  }
  return std::unique_ptr<OsposDatabase>(new OsposDatabase(name));
}

OsposDatabase::~OsposDatabase() {
  Run(MysqlClient() + " -e 'DROP DATABASE IF EXISTS `" + name_ + "`'");
}

Status OsposDatabase::RunFile(const std::string& path) {
  std::string output;
  if (Run(MysqlClient() + " " + name_ + " < " + path, &output) != 0) {
    return Status::Unavailable("mysql < " + path + " failed: " + output);
  }
  return Status::Ok();
}

Result<std::unique_ptr<PostgresDatabase>> PostgresDatabase::Create(const std::string& label) {
  const std::string name = "tbtest_" + label + "_" + UniqueSuffix();
  std::string output;
  if (Run(PsqlClient("postgres") + " -c 'CREATE DATABASE " + name + "'", &output) != 0) {
    return Status::Unavailable("cannot create PostgreSQL test database " + name + ": " + output);
  }
  // The agent's read-only user may read whatever the POS user creates here.
  const std::string grants =
      "GRANT CONNECT ON DATABASE " + name + " TO " + kReadOnlyUser +
      "; GRANT USAGE ON SCHEMA public TO " + kReadOnlyUser +
      "; ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO " + kReadOnlyUser +
      ";";
  if (Run(PsqlClient(name) + " -c \"" + grants + "\"", &output) != 0) {
    return Status::Unavailable("cannot grant read access on " + name + ": " + output);
  }
  return std::unique_ptr<PostgresDatabase>(new PostgresDatabase(name));
}

Status PostgresDatabase::RunScript(const std::string& sql) {
  const std::string path = "/tmp/tbtest-" + UniqueSuffix() + ".sql";
  {
    FILE* file = std::fopen(path.c_str(), "w");
    if (!file) return Status::IoError("cannot write " + path);
    std::fwrite(sql.data(), 1, sql.size(), file);
    std::fclose(file);
  }
  std::string output;
  const int rc = Run(PsqlClient(name_) + " -f " + path, &output);
  std::remove(path.c_str());
  if (rc != 0) return Status::Unavailable("psql failed: " + output);
  return Status::Ok();
}

PostgresDatabase::~PostgresDatabase() {
  Run(PsqlClient("postgres") + " -c 'DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)'");
}

}  // namespace tillbridge::drivers::testing
