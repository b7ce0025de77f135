// The ospos profile on a real MariaDB, read through the read-only user, with
// sales rung up by the sample SQL in tests/drivers/sql/ospos/ and by
// hand-written SQL that follows OSPOS's own writes. The schema is the
// project's OSPOS 3.4.1 subset or the full upstream 3.4.1 schema, as
// TILLBRIDGE_OSPOS_SCHEMA chooses (ctest runs this program once for each).
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "drivers/sql/sql_source.h"
#include "store/transaction_log.h"
#include "tests/drivers/sql/sql_test_util.h"
#include "tests/test_util.h"

namespace tillbridge::drivers {
namespace {

using testing::OsposDatabase;
using testing::OutboxEvents;
using testing::PollOnce;
using testing::PosWriter;
using testing::SeenEvent;

SqlSourceOptions OsposOptions(const std::string& database) {
  SqlSourceOptions options;
  options.name = "ospos";
  options.profile = "ospos";
  options.host = "127.0.0.1";
  options.port = testing::MariaDbPort();
  options.database = database;
  options.user = testing::kReadOnlyUser;
  options.password = testing::kReadOnlyPassword;
  options.time_zone = "America/New_York";
  options.start_from = StartFrom::kBeginning;
  options.recheck_interval = std::chrono::milliseconds(0);
  return options;
}

struct OsposFixture {
  tillbridge::testing::TempDir dir;
  std::unique_ptr<OsposDatabase> db;
  ManualClock clock{*ParseRfc3339("2025-06-10T15:10:00Z")};
  PhoneNormalizer phone{"US"};
  std::unique_ptr<store::Store> store;
  std::unique_ptr<TransactionSource> source;
  std::unique_ptr<PosWriter> writer;
  SqlSourceOptions options;

  explicit OsposFixture(const char* label) {
    auto created = OsposDatabase::Create(label);
    REQUIRE_MESSAGE(created.ok(), created.status().ToString());
    db = std::move(created).value();
    options = OsposOptions(db->name());
    store = testing::OpenStore(dir.File("store.db"), &clock);
    auto made = MakeSqlSource(options, phone, clock);
    REQUIRE_MESSAGE(made.ok(), made.status().ToString());
    source = std::move(made).value();
    Status open = source->Open();
    REQUIRE_MESSAGE(open.ok(), open.ToString());
    auto connected = PosWriter::Connect(PosWriter::Kind::kMariaDb, db->name());
    REQUIRE_MESSAGE(connected.ok(), connected.status().ToString());
    writer = std::move(connected).value();
  }

  size_t Poll() {
    auto polled = PollOnce(*source, *store);
    REQUIRE_MESSAGE(polled.ok(), polled.status().ToString());
    return *polled;
  }
  void Sql(const std::string& sql) {
    Status status = writer->Execute(sql);
    REQUIRE_MESSAGE(status.ok(), status.ToString());
  }
};

std::string FixtureFile(const char* name) { return testing::OsposFixtureDir() + "/" + name; }

// Payments in a stable order: the profile reads a sale's tenders unordered.
std::vector<std::pair<std::string, std::int64_t>> SortedPayments(const SeenEvent& event) {
  auto payments = event.payments;
  std::sort(payments.begin(), payments.end());
  return payments;
}

const SeenEvent* Find(const std::vector<SeenEvent>& events, const std::string& pos_id,
                      std::int64_t revision) {
  for (const auto& event : events) {
    if (event.pos_id == pos_id && event.revision == revision) return &event;
  }
  return nullptr;
}

TEST_CASE("OSPOS samples: completed sale, suspended sale abandoned then completed, return") {
  OsposFixture f("samples");
  REQUIRE(f.db->RunFile(FixtureFile("samples.sql")).ok());
  CHECK(f.Poll() == 2);
  auto events = OutboxEvents(*f.store);
  REQUIRE(events.size() == 2);

  // 1: 3 x 6.40 tea and a strainer at 5.00 less 0.50, 6.25 % sales tax on top;
  // 30.00 cash with 4.82 change; the customer's number typed with spaces.
  const SeenEvent* sale = Find(events, "1", 1);
  REQUIRE(sale);
  CHECK(sale->type == "transaction.completed");
  CHECK(sale->subtotal == 2370);
  CHECK(sale->tax == 148);
  CHECK(sale->total == 2518);
  CHECK(sale->phone == "+442079460321");
  CHECK(sale->cashier == "John Doe");
  CHECK(sale->currency == "USD");  // OSPOS's currency_code is empty: pos.currency
  CHECK(sale->occurred_at == "2025-06-10T13:40:00.000Z");  // 09:40 in New York (EDT)
  // The strainer has no barcode: its item id is the SKU.
  CHECK(sale->line_skus == std::vector<std::string>{"8712345000012", "3"});
  CHECK(sale->line_categories == std::vector<std::string>{"Tea", "Accessories"});
  CHECK(sale->line_quantities == std::vector<std::int64_t>{3000, 1000});
  CHECK(sale->line_totals == std::vector<std::int64_t>{1920, 450});
  REQUIRE(sale->payments.size() == 1);
  CHECK(sale->payments[0] == std::pair<std::string, std::int64_t>{"Cash", 2518});

  // 3: one tea returned, with its tax, paid back in cash.
  const SeenEvent* refund = Find(events, "3", 1);
  REQUIRE(refund);
  CHECK(refund->type == "transaction.refunded");
  CHECK(refund->subtotal == -640);
  CHECK(refund->tax == -40);
  CHECK(refund->total == -680);
  CHECK(refund->line_quantities == std::vector<std::int64_t>{-1000});
  CHECK(refund->line_totals == std::vector<std::int64_t>{-640});
  REQUIRE(refund->payments.size() == 1);
  CHECK(refund->payments[0] == std::pair<std::string, std::int64_t>{"Cash", -680});
  CHECK(refund->phone == "+442079460321");

  // 2: suspended at 10:50 New York time (14:50Z); abandoned at 15:20Z.
  f.clock.Set(*ParseRfc3339("2025-06-10T15:19:59Z"));
  CHECK(f.Poll() == 0);
  f.clock.Set(*ParseRfc3339("2025-06-10T15:20:00Z"));
  CHECK(f.Poll() == 1);
  events = OutboxEvents(*f.store);
  const SeenEvent* abandoned = Find(events, "2", 1);
  REQUIRE(abandoned);
  CHECK(abandoned->type == "basket.abandoned");
  CHECK(abandoned->total == 760);  // 2 x 4.75 less 20 %; no tax while suspended
  CHECK(abandoned->tax == 0);
  CHECK(abandoned->line_totals == std::vector<std::int64_t>{760});
  CHECK(abandoned->payments.empty());
  CHECK(abandoned->occurred_at == "2025-06-10T15:20:00.000Z");

  // OSPOS completes the suspended sale in place (same sale_id), now with tax
  // and a split tender: a gift card ("Gift Card:<number>") and a debit card.
  f.clock.Set(*ParseRfc3339("2025-06-10T15:40:00Z"));
  REQUIRE(f.db->RunFile(FixtureFile("complete_suspended_sale.sql")).ok());
  CHECK(f.Poll() == 1);
  CHECK(f.Poll() == 0);
  events = OutboxEvents(*f.store);
  REQUIRE(events.size() == 4);
  const SeenEvent* completed = Find(events, "2", 2);
  REQUIRE(completed);
  CHECK(completed->type == "transaction.completed");
  CHECK(completed->subtotal == 760);
  CHECK(completed->tax == 48);
  CHECK(completed->total == 808);
  CHECK(SortedPayments(*completed) ==
        std::vector<std::pair<std::string, std::int64_t>>{{"Debit Card", 308}, {"Gift Card", 500}});
  CHECK(completed->occurred_at == "2025-06-10T15:26:00.000Z");  // the new sale_time
}

TEST_CASE("OSPOS: deleting a sale is a void; quotes and work orders are not baskets") {
  OsposFixture f("void");
  REQUIRE(f.db->RunFile(FixtureFile("samples.sql")).ok());
  CHECK(f.Poll() == 2);
  // OSPOS "delete": status 2, rows kept.
  f.Sql("UPDATE ospos_sales SET sale_status = 2 WHERE sale_id = 1");
  // A quote and a work order, both stored suspended.
  f.Sql(
      "INSERT INTO ospos_sales (sale_time, customer_id, employee_id, comment, quote_number, "
      "sale_status, sale_type) VALUES (NOW(), NULL, 1, 'quote', 'Q-1', 1, 3)");
  f.Sql(
      "INSERT INTO ospos_sales (sale_time, customer_id, employee_id, comment, "
      "work_order_number, sale_status, sale_type) VALUES (NOW(), NULL, 1, 'wo', 'W-1', 1, 2)");
  CHECK(f.Poll() == 1);
  f.clock.Advance(std::chrono::hours(48));
  CHECK(f.Poll() == 1);  // only the suspended sale 2 is abandoned
  auto events = OutboxEvents(*f.store);
  REQUIRE(events.size() == 4);
  const SeenEvent* voided = Find(events, "1", 2);
  REQUIRE(voided);
  CHECK(voided->type == "transaction.voided");
  CHECK(voided->total == 2518);
  CHECK(Find(events, "2", 1)->type == "basket.abandoned");
  CHECK(!Find(events, "4", 1));
  CHECK(!Find(events, "5", 1));
}

TEST_CASE("OSPOS: a sale whose transaction commits after a later one is still read once") {
  OsposFixture f("gap");
  REQUIRE(f.db->RunFile(FixtureFile("samples.sql")).ok());
  CHECK(f.Poll() == 2);
  auto slow = PosWriter::Connect(PosWriter::Kind::kMariaDb, f.db->name());
  REQUIRE(slow.ok());
  REQUIRE((*slow)->Execute("START TRANSACTION").ok());
  REQUIRE((*slow)
              ->Execute("INSERT INTO ospos_sales (sale_time, employee_id, comment, sale_status, "
                        "sale_type) VALUES (NOW(), 1, 'slow', 0, 0)")
              .ok());  // id 4, open
  f.Sql(
      "INSERT INTO ospos_sales (sale_time, employee_id, comment, sale_status, sale_type) "
      "VALUES (NOW(), 1, 'fast', 0, 0)");  // id 5, committed first
  CHECK(f.Poll() == 1);
  REQUIRE((*slow)
              ->Execute("INSERT INTO ospos_sales_payments (sale_id, payment_type, "
                        "payment_amount, cash_refund, cash_adjustment, employee_id) VALUES "
                        "(4, 'Cash', 5.00, 0, 0, 1)")
              .ok());
  REQUIRE((*slow)->Execute("COMMIT").ok());
  CHECK(f.Poll() == 1);
  CHECK(f.Poll() == 0);
  auto events = OutboxEvents(*f.store);
  REQUIRE(events.size() == 4);
  REQUIRE(Find(events, "5", 1));
  const SeenEvent* late = Find(events, "4", 1);
  REQUIRE(late);
  CHECK(late->payments[0] == std::pair<std::string, std::int64_t>{"Cash", 500});
}

TEST_CASE("OSPOS: a sale with a customer reaches the outbox within a second") {
  OsposFixture f("latency");
  REQUIRE(f.db->RunFile(FixtureFile("samples.sql")).ok());
  CHECK(f.Poll() == 2);
  auto cursor = f.store->transactions().Cursor("ospos");
  REQUIRE(cursor.ok());
  std::chrono::steady_clock::time_point committed;
  std::thread cashier([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto writer = PosWriter::Connect(PosWriter::Kind::kMariaDb, f.db->name());
    REQUIRE(writer.ok());
    // The samples' customer (person 2) buys one tea (item 1).
    for (const char* sql :
         {"START TRANSACTION",
          "INSERT INTO ospos_sales (sale_time, customer_id, employee_id, comment, sale_status, "
          "sale_type) VALUES (NOW(), 2, 1, '', 0, 0)",
          "INSERT INTO ospos_sales_items (sale_id, item_id, description, serialnumber, line, "
          "quantity_purchased, item_cost_price, item_unit_price, discount, discount_type, "
          "item_location, print_option) VALUES (LAST_INSERT_ID(), 1, '', '', 1, 1, 3.10, 6.40, 0, "
          "0, 1, 0)",
          "INSERT INTO ospos_sales_payments (sale_id, payment_type, payment_amount, cash_refund, "
          "cash_adjustment, employee_id) VALUES (LAST_INSERT_ID(), 'Credit Card', 6.40, 0, 0, 1)",
          "COMMIT"}) {
      REQUIRE((*writer)->Execute(sql).ok());
    }
    committed = std::chrono::steady_clock::now();
  });
  auto batch = f.source->Poll(cursor->value_or(""), std::chrono::seconds(5));
  const auto seen = std::chrono::steady_clock::now();
  cashier.join();
  REQUIRE(batch.ok());
  REQUIRE(batch->records.size() == 1);
  REQUIRE(f.store->transactions().Ingest("ospos", batch->records, batch->cursor).ok());
  CHECK(seen - committed < std::chrono::seconds(1));
  const auto events = OutboxEvents(*f.store);
  const SeenEvent* sale = Find(events, "4", 1);
  REQUIRE(sale);
  CHECK(sale->total == 640);
  CHECK(sale->phone == "+442079460321");
  CHECK(sale->payments[0] == std::pair<std::string, std::int64_t>{"Credit Card", 640});
}

TEST_CASE("OSPOS: reward points of a sale are sent once as loyalty.accrued") {
  OsposFixture f("loyalty");
  REQUIRE(f.db->RunFile(FixtureFile("samples.sql")).ok());
  CHECK(f.Poll() == 2);
  CHECK(testing::OutboxAccruals(*f.store).empty());  // the samples earn no points
  // Reward points on: the samples' customer (person 2) in a 10 % package buys
  // two teas for 12.80 and earns 1.28 points, of which OSPOS keeps the whole
  // point; a sale without a customer earns nothing.
  f.Sql("UPDATE ospos_customers SET package_id = 2, points = 40 WHERE person_id = 2");
  for (const char* sql :
       {"START TRANSACTION",
        "INSERT INTO ospos_sales (sale_time, customer_id, employee_id, comment, sale_status, "
        "sale_type) VALUES ('2025-06-10 11:05:00', 2, 1, '', 0, 0)",
        "SET @sale := LAST_INSERT_ID()",
        "INSERT INTO ospos_sales_items (sale_id, item_id, description, serialnumber, line, "
        "quantity_purchased, item_cost_price, item_unit_price, discount, discount_type, "
        "item_location, print_option) VALUES (@sale, 1, '', '', 1, 2, 3.10, 6.40, 0, 0, 1, 0)",
        "INSERT INTO ospos_sales_payments (sale_id, payment_type, payment_amount, cash_refund, "
        "cash_adjustment, employee_id) VALUES (@sale, 'Cash', 12.80, 0, 0, 1)",
        "INSERT INTO ospos_sales_reward_points (sale_id, earned, used) VALUES (@sale, 1.28, 0)",
        "UPDATE ospos_customers SET points = points + 1 WHERE person_id = 2", "COMMIT",
        "INSERT INTO ospos_sales (sale_time, customer_id, employee_id, comment, sale_status, "
        "sale_type) VALUES ('2025-06-10 11:07:00', NULL, 1, '', 0, 0)"}) {
    f.Sql(sql);
  }
  CHECK(f.Poll() == 2);
  auto accruals = testing::OutboxAccruals(*f.store);
  REQUIRE(accruals.size() == 1);
  CHECK(accruals[0].transaction_pos_id == "4");
  CHECK(accruals[0].phone == "+442079460321");
  CHECK(accruals[0].points == 1);
  CHECK(accruals[0].balance == std::optional<std::int64_t>(41));

  // Deleting the sale later is a void: no second loyalty.accrued.
  f.Sql("UPDATE ospos_sales SET sale_status = 2 WHERE sale_id = 4");
  CHECK(f.Poll() == 1);
  CHECK(testing::OutboxAccruals(*f.store).size() == 1);
}

TEST_CASE("OSPOS doctor: passes on the schema, names missing columns and writable users") {
  OsposFixture f("doctor");
  const auto check_named = [](const SqlSourceReport& report, const std::string& name) {
    for (const auto& check : report.checks) {
      if (check.name == name) return check;
    }
    return SqlSourceCheck{name, CheckOutcome::kFailed, "(not reported)", "", StatusCode::kNotFound};
  };
  const SqlSourceReport ok = CheckSqlSource(f.options);
  CHECK_MESSAGE(ok.Passed(), ok.ToStatus().ToString());
  for (const char* query : {"query [sales]", "query [lines]", "query [payments]"}) {
    CHECK_MESSAGE(check_named(ok, query).detail.rfind("ok, ", 0) == 0, query);
  }
  CHECK(check_named(ok, "user tillbridge_ro").detail == "SELECT only");

  SqlSourceOptions writer_options = f.options;
  writer_options.user = testing::kPosUser;
  writer_options.password = testing::kPosPassword;
  const SqlSourceReport writable = CheckSqlSource(writer_options);
  REQUIRE(!writable.Passed());
  const SqlSourceCheck user = check_named(writable, "user tillbridge_pos");
  CHECK(user.outcome == CheckOutcome::kFailed);
  CHECK_MESSAGE(user.detail.find("this user can write to the POS database (INSERT, UPDATE, "
                                 "DELETE") == 0,
                user.detail);
  CHECK(user.detail.find("give it SELECT only") != std::string::npos);
  // Its own problem: the schema matches, so nothing else fails.
  CHECK(writable.ToStatus().code() == StatusCode::kPermissionDenied);
  CHECK(writable.ToStatus().message().find("does not match") == std::string::npos);

  f.Sql("ALTER TABLE ospos_sales_payments DROP COLUMN cash_refund");
  Status mismatch = CheckSqlSource(f.options).ToStatus();
  REQUIRE(mismatch.code() == StatusCode::kFailedPrecondition);
  CHECK(mismatch.message().find("table ospos_sales_payments: no column cash_refund") !=
        std::string::npos);
  CHECK(mismatch.message().find("query [payments]: does not run") != std::string::npos);
  CHECK(mismatch.message().find("POS source 'ospos' (profile ospos, mysql://tillbridge_ro@") !=
        std::string::npos);
  CHECK(mismatch.message().find("tillbridge-ro") == std::string::npos);  // no password

  // The running source reports the same mismatch as FailedPrecondition once
  // it has a sale whose payments it must read.
  f.Sql(
      "INSERT INTO ospos_sales (sale_time, employee_id, comment, sale_status, sale_type) "
      "VALUES (NOW(), 1, '', 0, 0)");
  auto polled = PollOnce(*f.source, *f.store);
  REQUIRE(!polled.ok());
  CHECK(polled.status().code() == StatusCode::kFailedPrecondition);
  CHECK(polled.status().message().find("cash_refund") != std::string::npos);
  CHECK(f.source->Health().connected);
}

TEST_CASE("OSPOS: unreachable server and wrong password are Unavailable with the cause") {
  // A port nobody listens on: bind an ephemeral port, then free it.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  socklen_t length = sizeof(address);
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  const int dead_port = ntohs(address.sin_port);
  close(fd);

  PhoneNormalizer phone("US");
  ManualClock clock(0);
  SqlSourceOptions options = OsposOptions("ospos");
  options.port = dead_port;
  auto source = MakeSqlSource(options, phone, clock);
  REQUIRE(source.ok());
  Status open = (*source)->Open();
  CHECK(open.code() == StatusCode::kUnavailable);
  CHECK(open.message().find("cannot connect to mysql://tillbridge_ro@127.0.0.1:" +
                            std::to_string(dead_port) + "/ospos") != std::string::npos);
  CHECK(open.message().find("POS source 'ospos'") != std::string::npos);
  auto poll = (*source)->Poll("", std::chrono::milliseconds(0));
  CHECK(poll.status().code() == StatusCode::kUnavailable);
  CHECK(!(*source)->Health().connected);

  options = OsposOptions("ospos");
  options.password = "wrong";
  auto denied = MakeSqlSource(options, phone, clock);
  REQUIRE(denied.ok());
  Status refused = (*denied)->Open();
  CHECK(refused.code() == StatusCode::kUnavailable);
  CHECK(refused.message().find("Access denied") != std::string::npos);
  CHECK(refused.message().find("wrong") == std::string::npos);
}

}  // namespace
}  // namespace tillbridge::drivers
