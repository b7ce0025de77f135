// The POS database source against the bundled demo POS (a real SQLite file
// written by DemoPos, the register simulator's engine) and a real store.
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "common/metrics.h"
#include "drivers/sql/sql_source.h"
#include "store/transaction_log.h"
#include "tests/drivers/sql/sql_test_util.h"
#include "tests/test_util.h"
#include "tools/register-sim/demo_pos.h"

namespace tillbridge::drivers {
namespace {

using testing::OutboxEvents;
using testing::PollOnce;
using testing::SeenEvent;
using tools::DemoBasket;
using tools::DemoPos;

constexpr UnixMillis kStart = 1'780'000'000'000;  // 2026-05-28T...

struct DemoFixture {
  tillbridge::testing::TempDir dir;
  ManualClock clock{kStart};
  PhoneNormalizer phone{"US"};
  std::unique_ptr<DemoPos> pos;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<TransactionSource> source;
  SqlSourceOptions options;

  explicit DemoFixture(StartFrom start = StartFrom::kBeginning) {
    auto opened = DemoPos::Open(dir.File("pos.db"), clock);
    REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
    pos = std::move(opened).value();
    store = testing::OpenStore(dir.File("store.db"), &clock);
    options.name = "pos-" + testing::UniqueSuffix();
    options.profile = "demo";
    options.database = dir.File("pos.db");
    options.start_from = start;
    options.time_zone = "UTC";
    options.recheck_interval = std::chrono::milliseconds(0);
    Reopen();
  }

  void Reopen() {
    source.reset();
    auto made = MakeSqlSource(options, phone, clock);
    REQUIRE_MESSAGE(made.ok(), made.status().ToString());
    source = std::move(made).value();
    Status open = source->Open();
    REQUIRE_MESSAGE(open.ok(), open.ToString());
  }

  size_t Poll() {
    auto polled = PollOnce(*source, *store);
    REQUIRE_MESSAGE(polled.ok(), polled.status().ToString());
    return *polled;
  }

  std::vector<SeenEvent> Events() { return OutboxEvents(*store); }
};

DemoBasket Basket(std::vector<tools::DemoLine> lines, std::optional<std::int64_t> customer = {},
                  std::vector<std::string> coupons = {}, std::string payment = "card") {
  DemoBasket basket;
  basket.lines = std::move(lines);
  basket.customer_id = customer;
  basket.coupons = std::move(coupons);
  basket.payment = std::move(payment);
  return basket;
}

const SeenEvent* Find(const std::vector<SeenEvent>& events, const std::string& pos_id,
                      std::int64_t revision) {
  for (const auto& event : events) {
    if (event.pos_id == pos_id && event.revision == revision) return &event;
  }
  return nullptr;
}

TEST_CASE("demo POS: a paid sale with a customer becomes one transaction.completed") {
  DemoFixture f;
  auto ticket = f.pos->RingUpSale(
      Basket({{"4006381333931", 2000}, {"2000000000015", 250}}, 1, {"SPRING10"}, "card"));
  REQUIRE(ticket.ok());
  CHECK(f.Poll() == 1);
  CHECK(f.Poll() == 0);  // nothing twice
  auto events = f.Events();
  REQUIRE(events.size() == 1);
  const SeenEvent& sale = events[0];
  CHECK(sale.type == "transaction.completed");
  CHECK(sale.pos_id == std::to_string(ticket->id));
  CHECK(sale.revision == 1);
  // 2 x 8.50 + 0.250 kg x 18.90 (4.725 -> 4.73) = 21.73; 8 % tax = 1.74.
  CHECK(sale.subtotal == 2173);
  CHECK(sale.tax == 174);
  CHECK(sale.total == 2347);
  CHECK(sale.total == ticket->total_cents);
  CHECK(sale.currency == "USD");
  CHECK(sale.phone == "+14155550134");
  CHECK(sale.cashier == "Alex Morgan");
  CHECK(sale.coupons == std::vector<std::string>{"SPRING10"});
  CHECK(testing::OutboxCount(*f.store, "coupon.redeemed") == 1);
  REQUIRE(sale.payments.size() == 1);
  CHECK(sale.payments[0] == std::pair<std::string, std::int64_t>{"card", 2347});
  CHECK(sale.line_quantities == std::vector<std::int64_t>{2000, 250});
  CHECK(sale.line_totals == std::vector<std::int64_t>{1700, 473});
  CHECK(sale.line_skus == std::vector<std::string>{"4006381333931", "2000000000015"});
  CHECK(sale.occurred_at == FormatRfc3339(kStart));
}

TEST_CASE("an invalid customer phone keeps the sale, without a phone") {
  DemoFixture f;
  REQUIRE(f.pos->RingUpSale(Basket({{"0036000291452", 1000}}, 5)).ok());  // phone "12345"
  REQUIRE(f.pos->RingUpSale(Basket({{"0036000291452", 1000}}, 6)).ok());  // no phone at all
  REQUIRE(f.pos->RingUpSale(Basket({{"0036000291452", 1000}}, 3)).ok());  // UK number
  CHECK(f.Poll() == 3);
  auto events = f.Events();
  REQUIRE(events.size() == 3);
  CHECK(events[0].phone.empty());
  CHECK(events[0].total == 189);
  CHECK(events[1].phone.empty());
  CHECK(events[2].phone == "+442079460958");
}

TEST_CASE("held baskets: abandoned after abandon_after, completion later is a new revision") {
  DemoFixture f;
  auto held = f.pos->HoldBasket(Basket({{"5901234123457", 1000}}, 2));
  REQUIRE(held.ok());
  CHECK(f.Poll() == 0);
  f.clock.Advance(std::chrono::minutes(29));
  CHECK(f.Poll() == 0);
  f.clock.Advance(std::chrono::minutes(2));
  CHECK(f.Poll() == 1);
  CHECK(f.Poll() == 0);
  auto events = f.Events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].type == "basket.abandoned");
  CHECK(events[0].revision == 1);
  CHECK(events[0].pos_id == std::to_string(held->id));
  CHECK(events[0].total == 1296);
  CHECK(events[0].phone == "+14155550199");
  CHECK(events[0].line_skus == std::vector<std::string>{"5901234123457"});
  CHECK(events[0].occurred_at == FormatRfc3339(kStart + 30 * 60 * 1000));
  CHECK(events[0].payments.empty());

  // The customer comes back an hour later.
  f.clock.Advance(std::chrono::minutes(60));
  REQUIRE(f.pos->CompleteHeld(held->id, "cash").ok());
  CHECK(f.Poll() == 1);
  events = f.Events();
  REQUIRE(events.size() == 2);
  CHECK(events[1].type == "transaction.completed");
  CHECK(events[1].pos_id == std::to_string(held->id));
  CHECK(events[1].revision == 2);
  CHECK(events[1].payments[0] == std::pair<std::string, std::int64_t>{"cash", 1296});
  CHECK(events[1].occurred_at == FormatRfc3339(kStart + 91 * 60 * 1000));
}

TEST_CASE("held baskets completed in time or discarded early produce no abandoned event") {
  DemoFixture f;
  auto quick = f.pos->HoldBasket(Basket({{"0012345678905", 1000}}));
  auto dropped = f.pos->HoldBasket(Basket({{"0012345678905", 2000}}));
  REQUIRE(quick.ok());
  REQUIRE(dropped.ok());
  CHECK(f.Poll() == 0);
  f.clock.Advance(std::chrono::minutes(5));
  REQUIRE(f.pos->CompleteHeld(quick->id, "card").ok());
  REQUIRE(f.pos->DiscardHeld(dropped->id).ok());
  CHECK(f.Poll() == 1);
  f.clock.Advance(std::chrono::hours(2));
  CHECK(f.Poll() == 0);
  auto events = f.Events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].type == "transaction.completed");
  CHECK(events[0].pos_id == std::to_string(quick->id));
  CHECK(events[0].revision == 1);
}

TEST_CASE("a sale refunded or voided after it was read gets a new revision") {
  DemoFixture f;
  auto first = f.pos->RingUpSale(Basket({{"4006381333948", 1000}}, 4));
  auto second = f.pos->RingUpSale(Basket({{"0049000050103", 3000}}));
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(f.Poll() == 2);
  f.clock.Advance(std::chrono::minutes(3));
  REQUIRE(f.pos->Refund(first->id).ok());
  REQUIRE(f.pos->Void(second->id).ok());
  CHECK(f.Poll() == 2);
  CHECK(f.Poll() == 0);
  auto events = f.Events();
  REQUIRE(events.size() == 4);
  const SeenEvent* refund = Find(events, std::to_string(first->id), 2);
  REQUIRE(refund);
  CHECK(refund->type == "transaction.refunded");
  CHECK(refund->total == -first->total_cents);
  CHECK(refund->phone == "+49301234567");
  CHECK(refund->payments[0].second == -first->total_cents);
  CHECK(refund->occurred_at == FormatRfc3339(kStart + 3 * 60 * 1000));  // updated_at
  const SeenEvent* voided = Find(events, std::to_string(second->id), 2);
  REQUIRE(voided);
  CHECK(voided->type == "transaction.voided");
  CHECK(voided->total == second->total_cents);
  // Each event id is distinct: (pos id, type, revision) differ.
  std::set<std::string> ids;
  for (const auto& event : events) ids.insert(event.event_id);
  CHECK(ids.size() == 4);
}

TEST_CASE("start_from = now reports only what happens after the first start") {
  DemoFixture f(StartFrom::kNow);
  // The fixture's source already took its first look (in Open? no: on Poll).
  for (int i = 0; i < 3; ++i) REQUIRE(f.pos->RingUpSale(Basket({{"0036000291452", 1000}})).ok());
  auto parked = f.pos->HoldBasket(Basket({{"0036000291452", 2000}}));
  REQUIRE(parked.ok());
  CHECK(f.Poll() == 0);  // history: nothing reported, cursor stored
  auto cursor = f.store->transactions().Cursor(f.options.name);
  REQUIRE(cursor.ok());
  REQUIRE(cursor->has_value());
  CHECK(!cursor->value().empty());
  f.clock.Advance(std::chrono::hours(1));
  CHECK(f.Poll() == 0);  // held before the first start: not reported as abandoned
  auto fresh = f.pos->RingUpSale(Basket({{"4006381333931", 1000}}));
  REQUIRE(fresh.ok());
  REQUIRE(f.pos->CompleteHeld(parked->id, "card").ok());
  CHECK(f.Poll() == 2);
  auto events = f.Events();
  REQUIRE(events.size() == 2);
  CHECK(Find(events, std::to_string(fresh->id), 1));
  const SeenEvent* completed = Find(events, std::to_string(parked->id), 1);
  REQUIRE(completed);
  CHECK(completed->type == "transaction.completed");
}

TEST_CASE("idle polling of SQLite reads nothing but PRAGMA data_version") {
  DemoFixture f;
  REQUIRE(f.pos->RingUpSale(Basket({{"0036000291452", 1000}})).ok());
  CHECK(f.Poll() == 1);
  CHECK(f.Poll() == 0);
  Counter& reads = MetricsRegistry::Global().GetCounter(
      "tillbridge_pos_reads_total{source=\"" + f.options.name + "\"}", "");
  const std::int64_t before = reads.Value();
  for (int i = 0; i < 25; ++i) CHECK(f.Poll() == 0);
  CHECK(reads.Value() == before);
  REQUIRE(f.pos->RingUpSale(Basket({{"0036000291452", 1000}})).ok());
  CHECK(f.Poll() == 1);
  CHECK(reads.Value() == before + 1);
}

TEST_CASE("Poll waits up to `wait` and returns as soon as a sale is committed") {
  DemoFixture f;
  CHECK(f.Poll() == 0);
  std::thread register_thread([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    auto writer_pos = DemoPos::Open(f.dir.File("pos.db"), f.clock);
    REQUIRE(writer_pos.ok());
    REQUIRE((*writer_pos)->RingUpSale(Basket({{"0036000291452", 1000}})).ok());
  });
  const auto start = std::chrono::steady_clock::now();
  auto cursor = f.store->transactions().Cursor(f.options.name);
  auto batch = f.source->Poll(cursor->value_or(""), std::chrono::seconds(5));
  const auto took = std::chrono::steady_clock::now() - start;
  register_thread.join();
  REQUIRE(batch.ok());
  CHECK(batch->records.size() == 1);
  CHECK(took < std::chrono::seconds(4));
  // And an idle wait returns empty after about `wait`.
  REQUIRE(f.store->transactions().Ingest(f.options.name, batch->records, batch->cursor).ok());
  const auto idle_start = std::chrono::steady_clock::now();
  auto idle = f.source->Poll(batch->cursor, std::chrono::milliseconds(300));
  REQUIRE(idle.ok());
  CHECK(idle->records.empty());
  CHECK(std::chrono::steady_clock::now() - idle_start >= std::chrono::milliseconds(300));
}

TEST_CASE("restarts of the source and store mid-burst: every sale exactly once") {
  DemoFixture f;
  f.options.batch_size = 37;
  f.Reopen();
  constexpr int kSales = 400;
  std::thread register_thread([&] {
    auto writer_pos = DemoPos::Open(f.dir.File("pos.db"), f.clock);
    REQUIRE(writer_pos.ok());
    for (int i = 0; i < kSales; ++i) {
      REQUIRE((*writer_pos)->RingUpSale(Basket({{"0036000291452", 1000 + i % 3 * 1000}})).ok());
    }
  });
  size_t polled_records = 0;
  int round = 0;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       std::chrono::steady_clock::now() < deadline;) {
    ++round;
    auto cursor = f.store->transactions().Cursor(f.options.name);
    REQUIRE(cursor.ok());
    auto batch = f.source->Poll(cursor->value_or(""), std::chrono::milliseconds(5));
    REQUIRE_MESSAGE(batch.ok(), batch.status().ToString());
    if (round % 7 == 3) {
      // The agent dies after reading and before storing: the batch is lost.
      f.store.reset();
      f.Reopen();
      f.store = testing::OpenStore(f.dir.File("store.db"), &f.clock);
      continue;
    }
    REQUIRE(f.store->transactions().Ingest(f.options.name, batch->records, batch->cursor).ok());
    polled_records += batch->records.size();
    if (round % 11 == 5) f.Reopen();  // source restarted with the stored cursor
    auto count = f.store->transactions().Count();
    REQUIRE(count.ok());
    if (*count == kSales) break;
  }
  register_thread.join();
  REQUIRE(testing::Pump(
              *f.source, *f.store, [&] { return *f.store->transactions().Count() >= kSales; },
              std::chrono::seconds(20))
              .ok());
  auto events = f.Events();
  CHECK(events.size() == kSales);
  std::set<std::string> pos_ids;
  for (const auto& event : events) {
    pos_ids.insert(event.pos_id);
    CHECK(event.revision == 1);
  }
  CHECK(pos_ids.size() == kSales);
  CHECK(*f.store->transactions().Count() == kSales);
}

TEST_CASE("the POS file is opened read-only and never changed") {
  DemoFixture f;
  REQUIRE(f.pos->RingUpSale(Basket({{"0036000291452", 1000}})).ok());
  f.pos.reset();  // the register closes; its WAL is checkpointed away
  const auto path = f.dir.File("pos.db");
  std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::group_read |
                                         std::filesystem::perms::others_read);
  const auto size = std::filesystem::file_size(path);
  const auto mtime = std::filesystem::last_write_time(path);
  f.Reopen();
  CHECK(f.Poll() == 1);
  CHECK(f.Poll() == 0);
  f.source.reset();
  CHECK(std::filesystem::file_size(path) == size);
  CHECK(std::filesystem::last_write_time(path) == mtime);
  CHECK(!std::filesystem::exists(path + "-journal"));
}

TEST_CASE("a locked database is Unavailable naming the cause; reading resumes after") {
  DemoFixture f;
  REQUIRE(f.pos->RingUpSale(Basket({{"0036000291452", 1000}})).ok());
  f.pos.reset();
  f.source.reset();  // leaving WAL mode needs the only connection
  Poco::Data::SQLite::Connector::registerConnector();
  Poco::Data::Session locker("SQLite", f.dir.File("pos.db"));
  locker << "PRAGMA journal_mode = DELETE", Poco::Data::Keywords::now;
  locker << "BEGIN EXCLUSIVE", Poco::Data::Keywords::now;
  f.options.connect_timeout = std::chrono::seconds(1);
  auto made = MakeSqlSource(f.options, f.phone, f.clock);
  REQUIRE(made.ok());
  f.source = std::move(made).value();
  auto locked = PollOnce(*f.source, *f.store);
  REQUIRE(!locked.ok());
  CHECK(locked.status().code() == StatusCode::kUnavailable);
  CHECK(locked.status().message().find("locked") != std::string::npos);
  CHECK(locked.status().message().find(f.options.name) != std::string::npos);
  CHECK(f.source->Health().last_error.find("locked") != std::string::npos);
  locker << "COMMIT", Poco::Data::Keywords::now;
  auto resumed = PollOnce(*f.source, *f.store);
  REQUIRE_MESSAGE(resumed.ok(), resumed.status().ToString());
  CHECK(*resumed == 1);
  CHECK(f.source->Health().last_error.empty());
  CHECK(f.source->Health().connected);
}

TEST_CASE("a schema that does not match the profile: Open names the query, doctor lists all") {
  tillbridge::testing::TempDir dir;
  ManualClock clock(kStart);
  {
    auto pos = DemoPos::Open(dir.File("pos.db"), clock);
    REQUIRE(pos.ok());
  }
  Poco::Data::SQLite::Connector::registerConnector();
  {
    Poco::Data::Session editor("SQLite", dir.File("pos.db"));
    editor << "ALTER TABLE tickets RENAME COLUMN closed_at TO paid_at", Poco::Data::Keywords::now;
    editor << "DROP TABLE ticket_coupons", Poco::Data::Keywords::now;
  }
  PhoneNormalizer phone("US");
  SqlSourceOptions options;
  options.profile = "demo";
  options.database = dir.File("pos.db");
  auto source = MakeSqlSource(options, phone, clock);
  REQUIRE(source.ok());
  Status open = (*source)->Open();
  CHECK(open.code() == StatusCode::kFailedPrecondition);
  CHECK(open.message().find("[sales] query failed") != std::string::npos);
  CHECK(open.message().find("closed_at") != std::string::npos);
  CHECK(open.message().find("POS source 'pos'") != std::string::npos);

  Status doctor = CheckSqlSource(options).ToStatus();
  CHECK(doctor.code() == StatusCode::kFailedPrecondition);
  for (const char* part :
       {"table tickets: no column closed_at", "table ticket_coupons: does not exist",
        "query [sales]: does not run", "query [coupons]: does not run"}) {
    CHECK_MESSAGE(doctor.message().find(part) != std::string::npos, part, "\n", doctor.message());
  }

  // The matching database passes.
  tillbridge::testing::TempDir good;
  REQUIRE(DemoPos::Open(good.File("pos.db"), clock).ok());
  options.database = good.File("pos.db");
  Status ok = CheckSqlSource(options).ToStatus();
  CHECK_MESSAGE(ok.ok(), ok.ToString());
}

TEST_CASE("doctor names a query column the profile maps but the query lacks") {
  tillbridge::testing::TempDir dir;
  ManualClock clock(kStart);
  REQUIRE(DemoPos::Open(dir.File("pos.db"), clock).ok());
  SqlSourceOptions options;
  options.profile = "demo";
  options.database = dir.File("pos.db");
  options.lines_query =
      "SELECT ticket_id AS sale_id, line_no, sku, description, "
      "qty_milli AS qty, unit_price_cents AS unit_price, line_total_cents AS total "
      "FROM ticket_lines";
  Status doctor = CheckSqlSource(options).ToStatus();
  REQUIRE(!doctor.ok());
  CHECK_MESSAGE(doctor.message().find("query [lines]: no column 'quantity' for quantity") !=
                    std::string::npos,
                doctor.message());
}

TEST_CASE("a cursor that is not this source's is rejected clearly") {
  DemoFixture f;
  auto batch = f.source->Poll("printer:offset=42", std::chrono::milliseconds(0));
  REQUIRE(!batch.ok());
  CHECK(batch.status().code() == StatusCode::kFailedPrecondition);
  CHECK(batch.status().message().find("not a POS database cursor") != std::string::npos);
  CHECK(batch.status().message().find(f.options.name) != std::string::npos);
}

TEST_CASE("the register simulator writes a demo database the demo profile reads") {
  tillbridge::testing::TempDir dir;
  const std::string sim =
      std::string(TILLBRIDGE_BINARY_DIR) + "/tools/register-sim/tillbridge-register-sim";
  std::string output;
  CHECK(testing::Run(sim + " --help", &output) == 0);
  CHECK(output.find("--rate") != std::string::npos);
  CHECK(testing::Run(sim + " --db " + dir.File("x.db") + " --rate 5/fortnight", &output) == 2);
  CHECK(output.find("--rate: unknown unit") != std::string::npos);
  CHECK(testing::Run(sim + " --rate 5/s", &output) == 2);
  CHECK(output.find("--db PATH is required") != std::string::npos);

  REQUIRE(testing::Run(sim + " --db " + dir.File("pos.db") +
                           " --rate 400/s --count 120 --seed 11 --complete-after 0",
                       &output) == 0);
  CHECK(output.find("register-sim: 120 actions") != std::string::npos);
  CHECK(output.find("sale ") != std::string::npos);
  // No full phone number is printed.
  CHECK(output.find("555-0134") == std::string::npos);

  ManualClock clock(SystemClock::Instance().NowMillis());
  PhoneNormalizer phone("US");
  auto store = testing::OpenStore(dir.File("store.db"), &clock);
  SqlSourceOptions options;
  options.profile = "demo";
  options.database = dir.File("pos.db");
  options.start_from = StartFrom::kBeginning;
  auto source = MakeSqlSource(options, phone, clock);
  REQUIRE(source.ok());
  REQUIRE((*source)->Open().ok());
  // Count what the simulator left in the database, then what the source reports.
  Poco::Data::SQLite::Connector::registerConnector();
  Poco::Data::Session reader("SQLite", dir.File("pos.db"));
  std::map<std::string, int> statuses;
  for (const char* status : {"paid", "refunded", "voided", "held", "discarded"}) {
    int count = 0;
    std::string value = status;
    reader << "SELECT count(*) FROM tickets WHERE status = ?", Poco::Data::Keywords::into(count),
        Poco::Data::Keywords::use(value), Poco::Data::Keywords::now;
    statuses[status] = count;
  }
  CHECK(statuses["paid"] > 0);
  const int expected = statuses["paid"] + statuses["refunded"] + statuses["voided"];
  REQUIRE(testing::Pump(
              **source, *store, [&] { return *store->transactions().Count() >= expected; },
              std::chrono::seconds(20))
              .ok());
  // Held baskets still open are abandoned once they are old enough.
  clock.Advance(std::chrono::hours(1));
  REQUIRE(testing::Pump(
              **source, *store,
              [&] {
                int abandoned = 0;
                for (const auto& event : OutboxEvents(*store)) {
                  abandoned += event.type == "basket.abandoned";
                }
                return abandoned == statuses["held"];
              },
              std::chrono::seconds(20))
              .ok());
}

}  // namespace
}  // namespace tillbridge::drivers

namespace tillbridge::drivers {
namespace {

// POSIX only: Windows refuses to replace a file that the agent holds open,
// so a POS there cannot swap the database under a running agent.
#ifndef _WIN32
TEST_CASE("a POS file replaced on disk (restored backup) is reopened, not read stale") {
  DemoFixture f;
  REQUIRE(f.pos->RingUpSale(Basket({{"0036000291452", 1000}})).ok());
  CHECK(f.Poll() == 1);
  // The POS restores a backup that has one more sale in it.
  {
    auto restored = DemoPos::Open(f.dir.File("restored.db"), f.clock);
    REQUIRE(restored.ok());
    REQUIRE((*restored)->RingUpSale(Basket({{"0036000291452", 1000}})).ok());
    REQUIRE((*restored)->RingUpSale(Basket({{"5901234123457", 1000}})).ok());
  }
  f.pos.reset();
  std::filesystem::rename(f.dir.File("restored.db"), f.dir.File("pos.db"));
  std::filesystem::remove(f.dir.File("pos.db-wal"));
  std::filesystem::remove(f.dir.File("pos.db-shm"));
  CHECK(f.Poll() == 1);
  auto events = f.Events();
  REQUIRE(events.size() == 2);
  CHECK(events[1].pos_id == "2");
  CHECK(events[1].line_skus == std::vector<std::string>{"5901234123457"});
}
#endif

}  // namespace
}  // namespace tillbridge::drivers

namespace tillbridge::drivers {
namespace {

TEST_CASE("text sale ids (id_type = text) through a profile file on SQLite") {
  tillbridge::testing::TempDir dir;
  Poco::Data::SQLite::Connector::registerConnector();
  Poco::Data::Session pos("SQLite", dir.File("orders.db"));
  using Poco::Data::Keywords::now;
  pos << "CREATE TABLE orders (code TEXT PRIMARY KEY, status TEXT, at TEXT, amount TEXT, "
         "phone TEXT)",
      now;
  pos << "INSERT INTO orders VALUES ('2026-0001', 'done', '2026-02-01 10:00:00', '12.50', "
         "'+1 415 555 0134'), ('2026-0002', 'parked', '2026-02-01 10:05:00', '3.00', NULL)",
      now;
  {
    std::ofstream out(dir.File("orders.profile"));
    out << "[profile]\nname = orders\nconnector = sqlite\ntimes = local\n"
           "[sales]\nid_type = text\n"
           "query = SELECT code, status, at, amount, phone FROM orders\n"
           "id = code\nstate = status\noccurred_at = at\ntotal = amount\ncustomer_phone = phone\n"
           "[states]\ncompleted = done\nheld = parked\n";
  }
  ManualClock clock(*ParseRfc3339("2026-02-01T09:10:00Z"));
  PhoneNormalizer phone("US");
  auto store = testing::OpenStore(dir.File("store.db"), &clock);
  SqlSourceOptions options;
  options.profile = "orders.profile";
  options.base_dir = dir.path();
  options.database = "orders.db";
  options.time_zone = "-01:00";
  options.start_from = StartFrom::kBeginning;
  options.recheck_interval = std::chrono::milliseconds(0);
  auto source = MakeSqlSource(options, phone, clock);
  REQUIRE_MESSAGE(source.ok(), source.status().ToString());
  REQUIRE((*source)->Open().ok());
  auto polled = PollOnce(**source, *store);
  REQUIRE(polled.ok());
  CHECK(*polled == 1);
  // An order that sorts before the high-water mark but commits later, and
  // the parked one completed.
  pos << "INSERT INTO orders VALUES ('2026-0001b', 'done', '2026-02-01 10:06:00', '1.00', NULL)",
      now;
  pos << "UPDATE orders SET status = 'done' WHERE code = '2026-0002'", now;
  pos << "INSERT INTO orders VALUES ('2026-0003', 'done', '2026-02-01 10:07:00', '2.00', NULL)",
      now;
  polled = PollOnce(**source, *store);
  REQUIRE_MESSAGE(polled.ok(), polled.status().ToString());
  CHECK(*polled == 3);
  auto events = OutboxEvents(*store);
  REQUIRE(events.size() == 4);
  CHECK(events[0].pos_id == "2026-0001");
  CHECK(events[0].total == 1250);
  CHECK(events[0].phone == "+14155550134");
  CHECK(events[0].occurred_at == "2026-02-01T11:00:00.000Z");  // 10:00 at UTC-1
  std::set<std::string> ids;
  for (const auto& event : events) ids.insert(event.pos_id);
  CHECK(ids == std::set<std::string>{"2026-0001", "2026-0001b", "2026-0002", "2026-0003"});
}

}  // namespace
}  // namespace tillbridge::drivers
