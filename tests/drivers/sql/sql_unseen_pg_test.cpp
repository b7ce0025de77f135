// "Tally", a POS the project has never seen, on PostgreSQL: orders keyed by
// UUID with no growing integer column, net line prices with the tax added at
// the bottom, tips inside the stored total, refunds that name the order they
// return, and parked carts in a table of their own with no timestamp and
// their lines in a blob. It is connected with a profile file alone, written
// from docs/pos-profiles.md ("Connecting a POS you have never seen").
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "drivers/sql/sql_source.h"
#include "store/outbox.h"
#include "store/transaction_log.h"
#include "tests/drivers/sql/sql_test_util.h"
#include "tests/drivers/sql/source_runner_process.h"
#include "tests/test_util.h"

namespace tillbridge::drivers {
namespace {

using testing::PollOnce;
using testing::PosWriter;

constexpr const char* kSchema = R"sql(
CREATE TABLE customer (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), mobile text);
CREATE TABLE orders (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  receipt_no     text NOT NULL,
  status         text NOT NULL,                 -- paid, refund, void, open
  committed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  customer_id    uuid REFERENCES customer,
  clerk          text,
  tax            numeric(12,2) NOT NULL DEFAULT 0,
  tip            numeric(12,2) NOT NULL DEFAULT 0,
  total_incl_tip numeric(12,2) NOT NULL,
  refund_for     uuid REFERENCES orders);
CREATE TABLE order_item (order_id uuid REFERENCES orders, n int, sku text, label text,
                         qty numeric(10,3), net_price numeric(12,2), PRIMARY KEY (order_id, n));
CREATE TABLE tender (order_id uuid REFERENCES orders, kind text, amount numeric(12,2));
CREATE TABLE parked_cart (cart_ref text PRIMARY KEY, customer_id uuid REFERENCES customer,
                          cart_blob bytea, cart_total numeric(12,2));
INSERT INTO customer (id, mobile) VALUES ('00000000-0000-4000-8000-000000000001', '(212) 555-0147');
)sql";

// Written from the docs alone, as a user would.
constexpr const char* kProfile = R"(# Tally POS on PostgreSQL
[profile]
name = tally
connector = postgresql
amounts = major
prices = net
tip_in_total = yes

[requires]
orders = id, receipt_no, status, committed_at, customer_id, clerk, tax, tip, total_incl_tip, refund_for
order_item = order_id, n, sku, label, qty, net_price
tender = order_id, kind, amount
parked_cart = cart_ref, customer_id, cart_total
customer = id, mobile

[sales]
query =
    SELECT o.id, o.receipt_no, o.status, o.committed_at, o.clerk, o.tax, o.tip,
           o.total_incl_tip, o.refund_for, c.mobile
      FROM orders o
      LEFT JOIN customer c ON c.id = o.customer_id
id_type = text
cursor = committed_at
cursor_type = timestamp
state = status
occurred_at = committed_at
tax = tax
tip = tip
total = total_incl_tip
refund_of = refund_for
cashier = clerk
customer_phone = mobile

[states]
completed = paid
refunded = refund
voided = void
ignore = open

[lines]
query = SELECT order_id, n, sku, label, qty, net_price FROM order_item
sale_id = order_id
line_no = n
sku = sku
description = label
quantity = qty
unit_price = net_price

[payments]
query = SELECT order_id, kind, amount FROM tender
sale_id = order_id
type = kind
amount = amount

[held]
query =
    SELECT p.cart_ref, p.cart_total, c.mobile
      FROM parked_cart p
      LEFT JOIN customer c ON c.id = p.customer_id
id = cart_ref
total = cart_total
customer_phone = mobile
)";

// One transaction event from the outbox, with the fields this POS fills.
struct Event {
  std::string type;
  std::string pos_id;
  std::int64_t revision = 0;
  std::int64_t subtotal = 0, tax = 0, total = 0, tip = 0;
  std::string refund_of;
  std::string phone;
  bool gross_lines = false;
  std::vector<std::int64_t> line_totals;
};

std::vector<Event> Events(store::Store& store) {
  std::vector<Event> events;
  auto due = store.outbox().Due(1'000'000, 1ULL << 40);
  REQUIRE(due.ok());
  Poco::JSON::Parser parser;
  for (const auto& row : *due) {
    if (row.type.rfind("transaction.", 0) != 0 && row.type != "basket.abandoned") continue;
    auto root = parser.parse(row.payload_json).extract<Poco::JSON::Object::Ptr>();
    parser.reset();
    auto payload = root->getObject("payload");
    Event event;
    event.type = row.type;
    event.pos_id = payload->getValue<std::string>("pos_id");
    event.revision = payload->getValue<std::int64_t>("revision");
    event.subtotal = payload->getValue<std::int64_t>("subtotal_minor");
    event.tax = payload->getValue<std::int64_t>("tax_minor");
    event.total = payload->getValue<std::int64_t>("total_minor");
    event.tip = payload->getValue<std::int64_t>("tip_minor");
    event.gross_lines = payload->getValue<bool>("line_prices_include_tax");
    if (!payload->isNull("refund_of")) event.refund_of = payload->getValue<std::string>("refund_of");
    auto customer = payload->getObject("customer");
    if (!customer->isNull("phone")) event.phone = customer->getValue<std::string>("phone");
    auto lines = payload->getArray("lines");
    for (size_t i = 0; i < lines->size(); ++i) {
      event.line_totals.push_back(lines->getObject(i)->getValue<std::int64_t>("total_minor"));
    }
    events.push_back(std::move(event));
  }
  return events;
}

const Event* Find(const std::vector<Event>& events, const std::string& pos_id,
                  const std::string& type) {
  for (const auto& event : events) {
    if (event.pos_id == pos_id && event.type == type) return &event;
  }
  return nullptr;
}

struct TallyFixture {
  tillbridge::testing::TempDir dir;
  std::unique_ptr<testing::PostgresDatabase> db;
  std::unique_ptr<PosWriter> writer;
  ManualClock clock{*ParseRfc3339("2026-12-06T09:00:00Z")};
  PhoneNormalizer phone{"US"};
  std::unique_ptr<store::Store> store;
  std::unique_ptr<TransactionSource> source;
  std::map<std::string, std::string> config;

  explicit TallyFixture(const std::string& profile = kProfile) {
    auto created = testing::PostgresDatabase::Create("tally");
    REQUIRE_MESSAGE(created.ok(), created.status().ToString());
    db = std::move(created).value();
    Status schema = db->RunScript(kSchema);
    REQUIRE_MESSAGE(schema.ok(), schema.ToString());
    writer = Connect();
    {
      std::ofstream out(dir.File("tally.profile"));
      out << profile;
    }
    config = {{"pos.enabled", "true"},
              {"pos.name", "tally"},
              {"pos.profile", dir.File("tally.profile")},
              {"pos.host", "127.0.0.1"},
              {"pos.port", std::to_string(testing::PostgresPort())},
              {"pos.database", db->name()},
              {"pos.user", testing::kReadOnlyUser},
              {"pos.password", testing::kReadOnlyPassword},
              {"pos.time_zone", "UTC"},
              {"pos.currency", "USD"},
              {"pos.start_from", "beginning"},
              {"pos.abandon_after", "30m"},
              {"pos.recheck_interval", "0ms"}};
    store = testing::OpenStore(dir.File("store.db"), &clock);
  }

  std::unique_ptr<PosWriter> Connect() {
    auto connected = PosWriter::Connect(PosWriter::Kind::kPostgres, db->name());
    REQUIRE_MESSAGE(connected.ok(), connected.status().ToString());
    return std::move(connected).value();
  }
  void Start() {
    auto options = SqlSourceOptionsFrom(ConfigValues(config), dir.path());
    REQUIRE_MESSAGE(options.ok(), options.status().ToString());
    auto made = MakeSqlSource(*options, phone, clock);
    REQUIRE_MESSAGE(made.ok(), made.status().ToString());
    source = std::move(made).value();
    Status open = source->Open();
    REQUIRE_MESSAGE(open.ok(), open.ToString());
  }
  void Sql(const std::string& sql, PosWriter* on = nullptr) {
    Status status = (on ? on : writer.get())->Execute(sql);
    REQUIRE_MESSAGE(status.ok(), status.ToString());
  }
  size_t Poll() {
    auto polled = PollOnce(*source, *store);
    REQUIRE_MESSAGE(polled.ok(), polled.status().ToString());
    return *polled;
  }
};

// An order with two net-priced lines (2 x 4.50 + 1 x 11.00 = 20.00), 8 %
// tax (1.60), a 3.00 tip inside the stored total (24.60) and a card
// payment. Returns its UUID.
std::string RingUp(TallyFixture& f, const std::string& uuid, const std::string& status = "paid",
                   const std::string& customer = "'00000000-0000-4000-8000-000000000001'",
                   PosWriter* on = nullptr) {
  f.Sql("INSERT INTO orders (id, receipt_no, status, customer_id, clerk, tax, tip, total_incl_tip)"
        " VALUES ('" + uuid + "', 'R-" + uuid.substr(0, 8) + "', '" + status + "', " + customer +
            ", 'Dana', 1.60, 3.00, 24.60)",
        on);
  f.Sql("INSERT INTO order_item VALUES ('" + uuid + "', 1, 'TEA-01', 'Green tea', 2, 4.50), ('" +
            uuid + "', 2, 'MUG-02', 'Mug', 1, 11.00)",
        on);
  f.Sql("INSERT INTO tender VALUES ('" + uuid + "', 'card', 24.60)", on);
  return uuid;
}

std::string Uuid(int n) {
  char text[40];
  // Descending first digits: UUID order is unrelated to commit order here.
  // Letters between the digit groups: no id here can read as a card number
  // (the store masks those, see docs/card-numbers.md).
  std::snprintf(text, sizeof text, "%08x-abcd-4def-8abc-%012d", 0xFFFFFFF - n, n);
  return text;
}

TEST_CASE("UUID orders by commit time: gross totals, tax, tips, lines, phones, refunds linked") {
  TallyFixture f;
  f.Start();
  const std::string first = RingUp(f, Uuid(1));
  const std::string second = RingUp(f, Uuid(2), "paid", "NULL");
  RingUp(f, Uuid(3), "open");  // not a sale yet
  CHECK(f.Poll() == 2);
  auto events = Events(*f.store);
  REQUIRE(events.size() == 2);
  const Event* sale = Find(events, first, "transaction.completed");
  REQUIRE(sale);
  CHECK(sale->subtotal == 2000);  // the net lines
  CHECK(sale->tax == 160);
  CHECK(sale->total == 2160);  // gross, without the tip
  CHECK(sale->tip == 300);
  CHECK(!sale->gross_lines);
  CHECK(sale->line_totals == std::vector<std::int64_t>{900, 1100});
  CHECK(sale->phone == "+12125550147");
  CHECK(Find(events, second, "transaction.completed")->phone.empty());

  // A refund of the first order, rung up as its own order that names it;
  // the open order is paid later; nothing is read twice.
  f.Sql("INSERT INTO orders (id, receipt_no, status, clerk, tax, tip, total_incl_tip, refund_for)"
        " VALUES ('" + Uuid(4) + "', 'R-4', 'refund', 'Dana', -0.36, 0, -4.86, '" + first + "')");
  f.Sql("INSERT INTO order_item VALUES ('" + Uuid(4) + "', 1, 'TEA-01', 'Green tea', -1, 4.50)");
  f.Sql("UPDATE orders SET status = 'paid' WHERE id = '" + Uuid(3) + "'");
  CHECK(f.Poll() == 2);
  events = Events(*f.store);
  REQUIRE(events.size() == 4);
  const Event* refund = Find(events, Uuid(4), "transaction.refunded");
  REQUIRE(refund);
  CHECK(refund->refund_of == first);
  CHECK(refund->total == -486);
  CHECK(refund->tax == -36);
  CHECK(refund->subtotal == -450);
  REQUIRE(Find(events, Uuid(3), "transaction.completed"));
  CHECK(Find(events, Uuid(3), "transaction.completed")->revision == 1);
  CHECK(f.Poll() == 0);
  CHECK(f.source->Health().last_error.empty());
}

TEST_CASE("UUID orders: a transaction that commits late with an earlier commit time is caught") {
  TallyFixture f;
  f.Start();
  for (int i = 1; i <= 3; ++i) RingUp(f, Uuid(i));
  CHECK(f.Poll() == 3);
  // A slow till opens its transaction first (its committed_at is taken
  // now), a fast one commits after it, and the slow one commits last.
  auto slow = f.Connect();
  f.Sql("BEGIN", slow.get());
  RingUp(f, Uuid(10), "paid", "NULL", slow.get());
  RingUp(f, Uuid(11));
  CHECK(f.Poll() == 1);
  f.Sql("COMMIT", slow.get());
  CHECK(f.Poll() == 1);
  auto events = Events(*f.store);
  CHECK(events.size() == 5);
  CHECK(Find(events, Uuid(10), "transaction.completed"));
  CHECK(Find(events, Uuid(11), "transaction.completed"));
  CHECK(f.Poll() == 0);
}

TEST_CASE("parked carts in their own table, without a time: first seen, then abandoned") {
  TallyFixture f;
  f.Start();
  f.Sql("INSERT INTO parked_cart VALUES ('CART-7', '00000000-0000-4000-8000-000000000001', "
        "'\\x00ff', 42.50), ('CART-8', NULL, NULL, 3.00)");
  CHECK(f.Poll() == 0);  // first seen now
  // doctor checks the [held] query like the others.
  auto options = SqlSourceOptionsFrom(ConfigValues(f.config), f.dir.path());
  REQUIRE(options.ok());
  const SqlSourceReport report = CheckSqlSource(*options);
  CHECK_MESSAGE(report.Passed(), report.ToStatus().ToString());
  bool held_checked = false;
  for (const auto& check : report.checks) {
    if (check.name == "query [held]") held_checked = check.detail == "ok, 2 rows";
  }
  CHECK(held_checked);
  f.clock.Advance(std::chrono::minutes(10));
  f.Sql("DELETE FROM parked_cart WHERE cart_ref = 'CART-8'");  // completed or thrown away
  CHECK(f.Poll() == 0);
  f.clock.Advance(std::chrono::minutes(20));
  CHECK(f.Poll() == 1);
  auto events = Events(*f.store);
  REQUIRE(events.size() == 1);
  CHECK(events[0].type == "basket.abandoned");
  CHECK(events[0].pos_id == "held:CART-7");
  CHECK(events[0].total == 4250);
  CHECK(events[0].phone == "+12125550147");
  CHECK(events[0].line_totals.empty());  // the cart's lines are a blob
  f.clock.Advance(std::chrono::minutes(20));
  CHECK(f.Poll() == 0);  // reported once
}

TEST_CASE("gross prices: the subtotal before tax is computed from the total") {
  std::string profile = kProfile;
  profile.replace(profile.find("prices = net"), 12, "prices = gross");
  profile.replace(profile.find("tip_in_total = yes"), 18, "tip_in_total = no");
  TallyFixture f(profile);
  f.Start();
  // Gross lines 2 x 4.86 + 11.88 = 21.60 including 1.60 tax; tip apart.
  f.Sql("INSERT INTO orders (id, receipt_no, status, tax, tip, total_incl_tip) VALUES ('" +
        Uuid(1) + "', 'G-1', 'paid', 1.60, 2.00, 21.60)");
  f.Sql("INSERT INTO order_item VALUES ('" + Uuid(1) + "', 1, 'TEA-01', 'Green tea', 2, 4.86), ('" +
        Uuid(1) + "', 2, 'MUG-02', 'Mug', 1, 11.88)");
  CHECK(f.Poll() == 1);
  auto events = Events(*f.store);
  REQUIRE(events.size() == 1);
  CHECK(events[0].total == 2160);
  CHECK(events[0].subtotal == 2000);
  CHECK(events[0].tip == 200);
  CHECK(events[0].gross_lines);
  CHECK(events[0].line_totals == std::vector<std::int64_t>{972, 1188});
}

TEST_CASE("UUID orders while the agent is killed and PostgreSQL restarts: each order once") {
  if (geteuid() != 0) {
    MESSAGE("skipped: restarting PostgreSQL needs root (CI runs as root)");
    return;
  }
  constexpr int kOrders = 1500;
  TallyFixture f;
  const std::string config = f.dir.File("pos.conf");
  {
    std::ofstream out(config);
    for (const auto& [key, value] : f.config) {
      if (key != "pos.recheck_interval") out << key << " = " << value << "\n";
    }
    out << "pos.poll_interval = 20ms\npos.recheck_interval = 200ms\n";
  }
  const std::string store_path = f.dir.File("runner-store.db");
  const std::string log = f.dir.File("runner.log");

  // The till rings up orders in small transactions; a lost connection (the
  // server restarting) is retried, so every order is committed once.
  std::atomic<int> committed{0};
  std::thread till([&] {
    std::unique_ptr<PosWriter> session = f.Connect();
    for (int n = 1; n <= kOrders;) {
      const std::string id = Uuid(n);
      const std::string amount = std::to_string(10 + n % 7);
      const std::string statements[] = {
          "BEGIN",
          "INSERT INTO orders (id, receipt_no, status, tax, tip, total_incl_tip) VALUES ('" + id +
              "', 'K-" + std::to_string(n) + "', 'paid', 0.80, 0, " + amount +
              ".80) ON CONFLICT (id) DO NOTHING",
          "INSERT INTO order_item VALUES ('" + id + "', 1, 'X', 'Bread', 1, " + amount +
              ") ON CONFLICT DO NOTHING",
          "COMMIT"};
      bool ok = true;
      for (const auto& sql : statements) ok = ok && session->Execute(sql).ok();
      if (ok) {
        committed = n++;
        // A busy till's pace, so the kills below land while orders flow.
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      // The server went away mid-order: reconnect and ring it up again.
      // Poco leaks the connection of a failed connect, so wait until the
      // server answers before connecting.
      const std::string ready =
          "pg_isready -q -h 127.0.0.1 -p " + std::to_string(testing::PostgresPort());
      for (int attempt = 0; attempt < 100; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (testing::Run(ready) != 0) continue;
        auto again = PosWriter::Connect(PosWriter::Kind::kPostgres, f.db->name());
        if (again.ok()) {
          session = std::move(again).value();
          break;
        }
      }
    }
  });

  int kills = 0;
  pid_t pid = testing::StartSourceRunner(config, store_path, log, kOrders, 100);
  bool restarted = false;
  for (const int percent : {15, 35, 55, 75}) {
    while (committed < kOrders * percent / 100) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (percent == 55 && !restarted) {
      std::string output;
      REQUIRE_MESSAGE(
          testing::Run("pg_ctlcluster $(pg_lsclusters -h | awk 'NR==1 {print $1\" \"$2}') restart",
                       &output) == 0,
          output);
      restarted = true;
      continue;
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    REQUIRE(kill(pid, SIGKILL) == 0);
    waitpid(pid, &status, 0);
    ++kills;
    pid = testing::StartSourceRunner(config, store_path, log, kOrders, 100);
  }
  till.join();
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream log_in(log);
  std::string log_text((std::istreambuf_iterator<char>(log_in)), std::istreambuf_iterator<char>());
  REQUIRE_MESSAGE(WIFEXITED(status), log_text);
  REQUIRE_MESSAGE(WEXITSTATUS(status) == 0, log_text);
  CHECK(kills >= 2);
  CHECK(restarted);
  MESSAGE("runner killed ", kills, " times, PostgreSQL restarted once");

  auto store = testing::OpenStore(store_path);
  const auto events = Events(*store);
  std::set<std::string> ids;
  int wrong = 0;
  for (const auto& event : events) {
    ids.insert(event.pos_id);
    const int n = std::stoi(event.pos_id.substr(event.pos_id.size() - 12));
    wrong += event.type != "transaction.completed" || event.revision != 1 ||
             event.total != (10 + n % 7) * 100 + 80 || event.subtotal != (10 + n % 7) * 100;
  }
  CHECK(events.size() == static_cast<size_t>(kOrders));
  CHECK(ids.size() == static_cast<size_t>(kOrders));
  CHECK(wrong == 0);
}

}  // namespace
}  // namespace tillbridge::drivers
