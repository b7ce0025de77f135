// POS database source benchmark. Prints a table of medians over several runs:
//
//  - detection latency: from the POS's COMMIT returning to the outbox row
//    being committed by TransactionLog::Ingest (p50 and p99), for the demo
//    POS on SQLite and OSPOS on MariaDB, with sales arriving at random
//    moments so they land anywhere in the poll cycle;
//  - the whole pipeline: from the demo POS's COMMIT to the reference
//    cloud's acknowledgement of the transaction.completed event reaching
//    the agent (source loop, store, SyncService, HTTP on loopback);
//  - catch-up rate: sales per second read and stored when 100,000 sales are
//    already waiting (a fresh agent with pos.start_from = beginning).
//
//   pos_source_bench [--runs N] [--samples N] [--backlog N] [--skip-mariadb]
//                    [--refcloud PATH]
//
// MariaDB needs scripts/start-test-databases.sh (run as root once) and an
// OSPOS schema: the upstream one when ../shared/pos-schemas is there, else
// the tests' own fixture (the sql_db_setup script makes both dumps).
#include <Poco/Data/MySQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/refcloud_child.h"
#include "common/clock.h"
#include "common/phone.h"
#include "drivers/sql/sql_source.h"
#include "store/store.h"
#include "store/transaction_log.h"
#include "sync/sync_service.h"
#include "tools/register-sim/demo_pos.h"

using namespace tillbridge;
using Steady = std::chrono::steady_clock;
using Poco::Data::Keywords::now;

namespace {

struct Args {
  int runs = 3;
  int samples = 150;
  int backlog = 100000;
  bool mariadb = true;
  std::string refcloud = TILLBRIDGE_REFCLOUD_PATH;
};

struct Latency {
  double p50_ms = 0;
  double p99_ms = 0;
};

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "pos_source_bench: %s\n", why.c_str());
  std::exit(1);
}

int Shell(const std::string& command) { return std::system(command.c_str()); }

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  if (values.empty()) return 0;
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  return values[index];
}

std::unique_ptr<store::Store> FreshStore(const std::filesystem::path& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  store::StoreOptions options;
  options.path = (dir / "store.db").string();
  auto store = store::Store::Open(options);
  if (!store.ok()) Die(store.status().ToString());
  return std::move(store).value();
}

// The agent's loop: Poll then Ingest. Calls `on_stored` with each record
// right after the Ingest that made its outbox row durable.
class AgentLoop {
 public:
  AgentLoop(drivers::TransactionSource& source, store::Store& store,
            std::function<void(const store::Transaction&, Steady::time_point)> on_stored)
      : source_(source), store_(store), on_stored_(std::move(on_stored)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~AgentLoop() {
    stop_ = true;
    thread_.join();
  }

 private:
  void Run() {
    std::string cursor = store_.transactions().Cursor(source_.Name())->value_or("");
    while (!stop_) {
      auto batch = source_.Poll(cursor, std::chrono::milliseconds(200));
      if (!batch.ok()) {
        std::fprintf(stderr, "poll: %s\n", batch.status().ToString().c_str());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      if (batch->records.empty() && batch->cursor == cursor) continue;
      Status status = store_.transactions().Ingest(source_.Name(), batch->records, batch->cursor);
      if (!status.ok()) Die(status.ToString());
      const auto stored = Steady::now();
      cursor = batch->cursor;
      for (const auto& record : batch->records) on_stored_(record, stored);
    }
  }

  drivers::TransactionSource& source_;
  store::Store& store_;
  std::function<void(const store::Transaction&, Steady::time_point)> on_stored_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Rings up `samples` sales through `commit` (which returns the new sale's
// id once its COMMIT has returned) at random 20-150 ms intervals and
// measures commit -> outbox or, given a cloud, commit -> the cloud's
// acknowledgement reaching the agent (the whole pipeline: source loop,
// store, SyncService, HTTP to the reference cloud).
Latency MeasureLatency(drivers::TransactionSource& source, store::Store& store, int samples,
                       const std::function<std::string()>& commit,
                       const bench::RefCloudChild* cloud = nullptr) {
  std::mutex mutex;
  std::map<std::string, Steady::time_point> committed;  // pos id; all guarded by mutex
  std::map<std::string, Steady::time_point> stored;     // pos id
  std::map<std::string, std::string> pos_id_of;         // event id -> pos id
  std::map<std::string, Steady::time_point> acked;      // event id
  std::unique_ptr<sync::SyncService> sync;
  if (cloud != nullptr) {
    sync = std::make_unique<sync::SyncService>(store, cloud->PushOptions(100));
    sync->SetAcknowledgedListener([&](const std::vector<std::string>& ids) {
      const auto now = Steady::now();
      std::lock_guard lock(mutex);
      for (const auto& id : ids) acked.emplace(id, now);
    });
    if (Status started = sync->Start(); !started.ok()) Die(started.ToString());
  }
  {
    AgentLoop loop(source, store, [&](const store::Transaction& record, Steady::time_point at) {
      const std::string event_id =
          store::MakeEventId(store.store_id(), source.Name(), record.pos_id,
                             store::EventTypeFor(record.kind), record.revision);
      std::lock_guard lock(mutex);
      stored.emplace(record.pos_id, at);
      pos_id_of.emplace(event_id, record.pos_id);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // first poll done
    std::mt19937 random(7);
    for (int i = 0; i < samples; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20 + random() % 130));
      const std::string id = commit();
      const auto at = Steady::now();
      std::lock_guard lock(mutex);
      committed.emplace(id, at);
    }
    const auto deadline = Steady::now() + std::chrono::seconds(10);
    while (Steady::now() < deadline) {
      {
        std::lock_guard lock(mutex);
        if (stored.size() >= committed.size() && (!cloud || acked.size() >= committed.size())) {
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  if (sync) sync->Stop();
  std::map<std::string, Steady::time_point> arrived = stored;
  if (cloud) {
    arrived.clear();
    for (const auto& [event_id, at] : acked) {
      auto it = pos_id_of.find(event_id);
      if (it != pos_id_of.end()) arrived.emplace(it->second, at);
    }
  }
  std::vector<double> latencies;
  for (const auto& [id, at] : committed) {
    auto it = arrived.find(id);
    if (it == arrived.end()) {
      Die("sale " + id +
          (cloud ? " was never acknowledged by the cloud" : " never reached the outbox"));
    }
    latencies.push_back(std::chrono::duration<double, std::milli>(it->second - at).count());
  }
  return Latency{Percentile(latencies, 0.50), Percentile(latencies, 0.99)};
}

// Reads everything waiting in the POS into a fresh store; sales per second.
double CatchUp(const drivers::SqlSourceOptions& options, const std::filesystem::path& dir,
               int expected) {
  PhoneNormalizer phone("US");
  auto store = FreshStore(dir);
  auto source = drivers::MakeSqlSource(options, phone, SystemClock::Instance());
  if (!source.ok()) Die(source.status().ToString());
  std::atomic<int> stored{0};
  const auto start = Steady::now();
  {
    AgentLoop loop(**source, *store,
                   [&](const store::Transaction&, Steady::time_point) { ++stored; });
    while (stored < expected) {
      if (Steady::now() - start > std::chrono::minutes(5)) Die("catch-up did not finish");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  const double seconds = std::chrono::duration<double>(Steady::now() - start).count();
  return expected / seconds;
}

// Reads everything waiting without storing it: the source's own speed.
double ReadOnly(const drivers::SqlSourceOptions& options, int expected) {
  PhoneNormalizer phone("US");
  auto source = drivers::MakeSqlSource(options, phone, SystemClock::Instance());
  if (!source.ok()) Die(source.status().ToString());
  std::string cursor;
  int read = 0;
  const auto start = Steady::now();
  while (read < expected) {
    auto batch = (*source)->Poll(cursor, std::chrono::milliseconds(200));
    if (!batch.ok()) Die(batch.status().ToString());
    read += static_cast<int>(batch->records.size());
    cursor = batch->cursor;
    if (Steady::now() - start > std::chrono::minutes(5)) Die("read did not finish");
  }
  return expected / std::chrono::duration<double>(Steady::now() - start).count();
}

struct Row {
  std::string what;
  std::string value;
};

// ---------------------------------------------------------------- SQLite
void SqliteBacklog(const std::string& path, int count) {
  Poco::Data::Session session("SQLite", path);
  // One transaction of generated tickets: 2 lines and a card payment each.
  session << "BEGIN", now;
  session << "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                 std::to_string(count) +
                 ") INSERT INTO tickets (status, opened_at, closed_at, updated_at, cashier_id, "
                 "customer_id, subtotal_cents, tax_cents, total_cents) SELECT 'paid', "
                 "'2026-01-05T10:00:00.000Z', '2026-01-05T10:00:00.000Z', "
                 "'2026-01-05T10:00:00.000Z', 1, CASE WHEN i % 3 = 0 THEN 1 END, 1025, 82, 1107 "
                 "FROM n",
      now;
  session << "INSERT INTO ticket_lines SELECT ticket_id, 1, '4006381333931', 'Coffee beans 250g', "
             "1000, 850, 850 FROM tickets",
      now;
  session << "INSERT INTO ticket_lines SELECT ticket_id, 2, '0036000291452', 'Croissant', 1000, "
             "175, 175 FROM tickets",
      now;
  session << "INSERT INTO ticket_payments (ticket_id, method, amount_cents) SELECT ticket_id, "
             "'card', 1107 FROM tickets",
      now;
  session << "COMMIT", now;
}

std::vector<Row> BenchSqlite(const Args& args, const std::filesystem::path& root) {
  std::vector<Row> rows;
  struct Setting {
    int interval_ms;
    bool through_cloud;
  };
  for (const Setting setting :
       {Setting{250, false}, Setting{50, false}, Setting{250, true}, Setting{50, true}}) {
    const int interval = setting.interval_ms;
    std::vector<double> p50s, p99s;
    for (int run = 0; run < args.runs; ++run) {
      const auto dir = root / ("sqlite-latency-" + std::to_string(run));
      auto store = FreshStore(dir);
      const std::string pos_path = (dir / "pos.db").string();
      auto pos = tools::DemoPos::Open(pos_path, SystemClock::Instance());
      if (!pos.ok()) Die(pos.status().ToString());
      drivers::SqlSourceOptions options;
      options.profile = "demo";
      options.database = pos_path;
      options.poll_interval = std::chrono::milliseconds(interval);
      PhoneNormalizer phone("US");
      auto source = drivers::MakeSqlSource(options, phone, SystemClock::Instance());
      if (!source.ok()) Die(source.status().ToString());
      tools::DemoBasket basket;
      basket.lines = {{"4006381333931", 1000}, {"0036000291452", 2000}};
      basket.customer_id = 1;
      std::unique_ptr<bench::RefCloudChild> cloud;
      if (setting.through_cloud) {
        cloud = std::make_unique<bench::RefCloudChild>(args.refcloud, dir.string(), 1000);
      }
      const Latency latency = MeasureLatency(
          **source, *store, args.samples,
          [&] {
            auto ticket = (*pos)->RingUpSale(basket);
            if (!ticket.ok()) Die(ticket.status().ToString());
            return std::to_string(ticket->id);
          },
          cloud.get());
      p50s.push_back(latency.p50_ms);
      p99s.push_back(latency.p99_ms);
    }
    char text[64];
    std::snprintf(text, sizeof(text), "%.0f ms / %.0f ms", Median(p50s), Median(p99s));
    rows.push_back({"SQLite demo POS, poll " + std::to_string(interval) + " ms: " +
                        (setting.through_cloud ? "commit -> cloud ack" : "commit -> outbox") +
                        " p50 / p99",
                    text});
  }

  const auto backlog_dir = root / "sqlite-backlog";
  std::filesystem::remove_all(backlog_dir);
  std::filesystem::create_directories(backlog_dir);
  const std::string pos_path = (backlog_dir / "pos.db").string();
  if (!tools::DemoPos::Open(pos_path, SystemClock::Instance()).ok()) Die("demo POS");
  SqliteBacklog(pos_path, args.backlog);
  std::vector<double> rates, reads;
  for (int run = 0; run < args.runs; ++run) {
    drivers::SqlSourceOptions options;
    options.profile = "demo";
    options.database = pos_path;
    options.start_from = drivers::StartFrom::kBeginning;
    rates.push_back(CatchUp(options, backlog_dir / ("store-" + std::to_string(run)), args.backlog));
    reads.push_back(ReadOnly(options, args.backlog));
  }
  char text[64];
  std::snprintf(text, sizeof(text), "%.0f sales/s", Median(rates));
  rows.push_back(
      {"SQLite demo POS: catch-up into the store, " + std::to_string(args.backlog) + " waiting",
       text});
  std::snprintf(text, sizeof(text), "%.0f sales/s", Median(reads));
  rows.push_back({"SQLite demo POS: source read alone (no store)", text});
  return rows;
}

// --------------------------------------------------------------- MariaDB
const char* kMysql = "mysql --protocol=tcp -h 127.0.0.1 -u tillbridge_pos -ptillbridge-pos";

std::string OsposDatabase(const std::string& label) {
  const std::string folder = std::string(TILLBRIDGE_BINARY_DIR) + "/tbtest/";
  std::string dump = folder + "ospos_schema.sql";
  if (!std::filesystem::exists(dump) && !std::filesystem::exists(folder + "ospos_fixture.sql")) {
    const std::string prepare = std::string("TILLBRIDGE_SOURCE_DIR=") + TILLBRIDGE_SOURCE_DIR +
                                " TILLBRIDGE_BINARY_DIR=" + TILLBRIDGE_BINARY_DIR + " " +
                                TILLBRIDGE_SOURCE_DIR +
                                "/tests/drivers/sql/prepare_test_databases.sh";
    if (Shell(prepare) != 0)
      Die("cannot prepare MariaDB (run scripts/start-test-databases.sh as root)");
  }
  if (!std::filesystem::exists(dump)) dump = folder + "ospos_fixture.sql";
  const std::string name = "tbtest_bench_" + label;
  if (Shell(std::string(kMysql) + " -e 'DROP DATABASE IF EXISTS " + name + "; CREATE DATABASE " +
            name + "'") != 0 ||
      Shell(std::string(kMysql) + " " + name + " < " + dump) != 0) {
    Die("cannot create " + name);
  }
  return name;
}

void DropDatabase(const std::string& name) {
  Shell(std::string(kMysql) + " -e 'DROP DATABASE IF EXISTS " + name + "'");
}

std::unique_ptr<Poco::Data::Session> MariaSession(const std::string& database) {
  return std::make_unique<Poco::Data::Session>(
      "MySQL",
      "host=127.0.0.1;port=3306;db=" + database + ";user=tillbridge_pos;password=tillbridge-pos");
}

void OsposSetup(Poco::Data::Session& session) {
  session << "INSERT INTO ospos_items (name, category, description, cost_price, unit_price, "
             "allow_alt_description, is_serialized, item_number) VALUES ('Coffee beans 250g', "
             "'Coffee', '', 4.00, 8.50, 0, 0, '4006381333931')",
      now;
  session << "INSERT INTO ospos_people (first_name, last_name, gender, phone_number, email, "
             "address_1, address_2, city, state, zip, country, comments) VALUES ('Maria', "
             "'Keller', 0, '+49 30 1234567', '', '', '', '', '', '', '', '')",
      now;
  session << "INSERT INTO ospos_customers (person_id, taxable, points, employee_id, consent) "
             "VALUES (LAST_INSERT_ID(), 1, 0, 1, 1)",
      now;
}

drivers::SqlSourceOptions OsposOptions(const std::string& database) {
  drivers::SqlSourceOptions options;
  options.name = "ospos";
  options.profile = "ospos";
  options.database = database;
  options.user = "tillbridge_ro";
  options.password = "tillbridge-ro";
  options.time_zone = "UTC";
  return options;
}

std::vector<Row> BenchMariaDb(const Args& args, const std::filesystem::path& root) {
  Poco::Data::MySQL::Connector::registerConnector();
  std::vector<Row> rows;
  std::vector<double> p50s, p99s;
  for (int run = 0; run < args.runs; ++run) {
    const std::string database = OsposDatabase("latency");
    auto session = MariaSession(database);
    OsposSetup(*session);
    auto store = FreshStore(root / ("mariadb-latency-" + std::to_string(run)));
    PhoneNormalizer phone("US");
    auto source = drivers::MakeSqlSource(OsposOptions(database), phone, SystemClock::Instance());
    if (!source.ok()) Die(source.status().ToString());
    const Latency latency = MeasureLatency(**source, *store, args.samples, [&] {
      // What OSPOS writes for a completed sale, in one transaction.
      Poco::Int64 id = 0;
      *session << "START TRANSACTION", now;
      *session << "INSERT INTO ospos_sales (sale_time, customer_id, employee_id, comment, "
                  "sale_status, sale_type) VALUES (NOW(), (SELECT MAX(person_id) FROM "
                  "ospos_customers), 1, '', 0, 0)",
          now;
      *session << "SELECT LAST_INSERT_ID()", Poco::Data::Keywords::into(id), now;
      *session << "INSERT INTO ospos_sales_items (sale_id, item_id, description, serialnumber, "
                  "line, quantity_purchased, item_cost_price, item_unit_price, discount, "
                  "discount_type, item_location, print_option) VALUES (LAST_INSERT_ID(), "
                  "(SELECT MAX(item_id) FROM ospos_items), '', '', 1, 2, 4.00, 8.50, 0, 0, 1, 0)",
          now;
      *session << "INSERT INTO ospos_sales_payments (sale_id, payment_type, payment_amount, "
                  "cash_refund, cash_adjustment, employee_id) VALUES (LAST_INSERT_ID(), 'Cash', "
                  "20.00, 3.00, 0, 1)",
          now;
      *session << "COMMIT", now;
      return std::to_string(id);
    });
    p50s.push_back(latency.p50_ms);
    p99s.push_back(latency.p99_ms);
    source->reset();
    DropDatabase(database);
  }
  char text[64];
  std::snprintf(text, sizeof(text), "%.0f ms / %.0f ms", Median(p50s), Median(p99s));
  rows.push_back({"MariaDB OSPOS, poll 250 ms: commit -> outbox p50 / p99", text});

  const std::string database = OsposDatabase("backlog");
  {
    auto session = MariaSession(database);
    OsposSetup(*session);
    const std::string count = std::to_string(args.backlog);
    *session << "START TRANSACTION", now;
    *session << "INSERT INTO ospos_sales (sale_time, customer_id, employee_id, comment, "
                "sale_status, sale_type) SELECT NOW(), IF(seq % 3 = 0, (SELECT MAX(person_id) "
                "FROM ospos_customers), NULL), 1, '', 0, 0 FROM seq_1_to_" +
                    count,
        now;
    *session << "INSERT INTO ospos_sales_items (sale_id, item_id, description, serialnumber, "
                "line, quantity_purchased, item_cost_price, item_unit_price, discount, "
                "discount_type, item_location, print_option) SELECT sale_id, (SELECT MAX(item_id) "
                "FROM ospos_items), '', '', 1, 2, 4.00, 8.50, 0, 0, 1, 0 FROM ospos_sales",
        now;
    *session << "INSERT INTO ospos_sales_payments (sale_id, payment_type, payment_amount, "
                "cash_refund, cash_adjustment, employee_id) SELECT sale_id, 'Cash', 20.00, 3.00, "
                "0, 1 FROM ospos_sales",
        now;
    *session << "COMMIT", now;
  }
  std::vector<double> rates, reads;
  for (int run = 0; run < args.runs; ++run) {
    auto options = OsposOptions(database);
    options.start_from = drivers::StartFrom::kBeginning;
    rates.push_back(
        CatchUp(options, root / ("mariadb-backlog-" + std::to_string(run)), args.backlog));
    reads.push_back(ReadOnly(options, args.backlog));
  }
  DropDatabase(database);
  std::snprintf(text, sizeof(text), "%.0f sales/s", Median(rates));
  rows.push_back(
      {"MariaDB OSPOS: catch-up into the store, " + std::to_string(args.backlog) + " waiting",
       text});
  std::snprintf(text, sizeof(text), "%.0f sales/s", Median(reads));
  rows.push_back({"MariaDB OSPOS: source read alone (no store)", text});
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto next = [&]() -> int {
      if (i + 1 >= argc) Die(arg + " needs a value");
      return std::atoi(argv[++i]);
    };
    if (arg == "--runs")
      args.runs = std::max(1, next());
    else if (arg == "--samples")
      args.samples = std::max(10, next());
    else if (arg == "--backlog")
      args.backlog = std::max(100, next());
    else if (arg == "--skip-mariadb")
      args.mariadb = false;
    else if (arg == "--refcloud" && i + 1 < argc)
      args.refcloud = argv[++i];
    else
      Die("unknown option " + arg +
          " (--runs N, --samples N, --backlog N, --skip-mariadb, --refcloud PATH)");
  }
  Poco::Data::SQLite::Connector::registerConnector();
  const auto root = std::filesystem::temp_directory_path() / "tillbridge-pos-bench";
  std::vector<Row> rows;
  try {
    for (auto& row : BenchSqlite(args, root)) rows.push_back(row);
    if (args.mariadb) {
      for (auto& row : BenchMariaDb(args, root)) rows.push_back(row);
    }
  } catch (const Poco::Exception& error) {
    Die(error.displayText());
  }
  std::filesystem::remove_all(root);
  std::printf("\nPOS source benchmark (median of %d runs, %d latency samples per run)\n\n",
              args.runs, args.samples);
  std::printf("| %-62s | %-20s |\n", "measurement", "median");
  std::printf("|%s|%s|\n", std::string(64, '-').c_str(), std::string(22, '-').c_str());
  for (const auto& row : rows)
    std::printf("| %-62s | %-20s |\n", row.what.c_str(), row.value.c_str());
  return 0;
}
