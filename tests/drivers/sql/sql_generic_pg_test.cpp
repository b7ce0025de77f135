// A POS the project has never seen ("Kasse", a German bakery till on
// PostgreSQL, with its own table and column names and one-letter states) is
// connected with nothing but a profile file and config values, as
// docs/pos-profiles.md describes.
#include <doctest/doctest.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "drivers/sql/sql_source.h"
#include "store/transaction_log.h"
#include "tests/drivers/sql/sql_test_util.h"
#include "tests/test_util.h"

namespace tillbridge::drivers {
namespace {

using testing::OutboxEvents;
using testing::PollOnce;
using testing::PosWriter;
using testing::SeenEvent;

constexpr const char* kSchema = R"sql(
CREATE TABLE staff (staff_no serial PRIMARY KEY, display_name text NOT NULL);
CREATE TABLE guests (guest_id serial PRIMARY KEY, mobile text);
CREATE TABLE bon (
  bon_nr       bigserial PRIMARY KEY,
  opened       timestamptz NOT NULL DEFAULT now(),
  zustand      char(1) NOT NULL,            -- A closed, S cancelled, P parked, R return, O open
  kellner      int REFERENCES staff,
  gast         int REFERENCES guests,
  summe_brutto numeric(12,2) NOT NULL DEFAULT 0,
  mwst         numeric(12,2) NOT NULL DEFAULT 0,
  waehrung     char(3) NOT NULL DEFAULT 'EUR',
  aktionscodes text,
  geaendert    timestamptz);
CREATE TABLE bon_pos (bon_nr bigint REFERENCES bon, pos_nr int, artikel text, bezeichnung text,
                      menge numeric(10,3), einzelpreis numeric(12,2), PRIMARY KEY (bon_nr, pos_nr));
CREATE TABLE zahlung (id serial PRIMARY KEY, bon_nr bigint REFERENCES bon, art text,
                      betrag numeric(12,2));
INSERT INTO staff (display_name) VALUES ('Frau Huber');
INSERT INTO guests (mobile) VALUES ('0151 23456789'), ('kein Handy');
)sql";

// What a store's IT person writes by following docs/pos-profiles.md.
constexpr const char* kProfile = R"(# Kasse 4 (bakery till) on PostgreSQL
[profile]
name = kasse
description = Kasse 4 bakery till
connector = postgresql
amounts = major
times = local

[requires]
bon = bon_nr, opened, zustand, kellner, gast, summe_brutto, mwst, waehrung, aktionscodes, geaendert
bon_pos = bon_nr, pos_nr, artikel, bezeichnung, menge, einzelpreis
zahlung = bon_nr, art, betrag
staff = staff_no, display_name
guests = guest_id, mobile

[sales]
query =
    SELECT b.bon_nr, b.zustand, b.opened, b.geaendert, b.summe_brutto, b.mwst,
           b.waehrung, b.aktionscodes, s.display_name, g.mobile
      FROM bon b
      LEFT JOIN staff s ON s.staff_no = b.kellner
      LEFT JOIN guests g ON g.guest_id = b.gast
id = bon_nr
state = zustand
occurred_at = opened
updated_at = geaendert
total = summe_brutto
tax = mwst
currency = waehrung
coupon_codes = aktionscodes
cashier = display_name
customer_phone = mobile

[states]
completed = A
voided = S
held = P
refunded = R
ignore = O

[lines]
query = SELECT bon_nr, pos_nr, artikel, bezeichnung, menge, einzelpreis FROM bon_pos
sale_id = bon_nr
line_no = pos_nr
sku = artikel
description = bezeichnung
quantity = menge
unit_price = einzelpreis

[payments]
query = SELECT bon_nr, art, betrag FROM zahlung
sale_id = bon_nr
type = art
amount = betrag
)";

struct KasseFixture {
  tillbridge::testing::TempDir dir;
  std::unique_ptr<testing::PostgresDatabase> db;
  std::unique_ptr<PosWriter> writer;
  ManualClock clock{*ParseRfc3339("2026-03-02T09:00:00Z")};
  PhoneNormalizer phone{"US"};  // the agent's default; the config says DE
  std::unique_ptr<store::Store> store;
  std::unique_ptr<TransactionSource> source;
  std::map<std::string, std::string> config;

  KasseFixture() {
    auto created = testing::PostgresDatabase::Create("kasse");
    REQUIRE_MESSAGE(created.ok(), created.status().ToString());
    db = std::move(created).value();
    auto connected = PosWriter::Connect(PosWriter::Kind::kPostgres, db->name());
    REQUIRE_MESSAGE(connected.ok(), connected.status().ToString());
    writer = std::move(connected).value();
    Status schema = db->RunScript(kSchema);
    REQUIRE_MESSAGE(schema.ok(), schema.ToString());
    {
      std::ofstream out(dir.File("kasse.profile"));
      out << kProfile;
      std::ofstream password(dir.File("db.pass"));
      password << testing::kReadOnlyPassword << "\n";
    }
    config = {{"pos.enabled", "true"},
              {"pos.name", "kasse"},
              {"pos.profile", "kasse.profile"},
              {"pos.host", "127.0.0.1"},
              {"pos.port", std::to_string(testing::PostgresPort())},
              {"pos.database", db->name()},
              {"pos.user", testing::kReadOnlyUser},
              {"pos.password_file", "db.pass"},
              {"pos.time_zone", "Europe/Berlin"},
              {"pos.default_region", "DE"},
              {"pos.currency", "EUR"},
              {"pos.start_from", "beginning"},
              {"pos.abandon_after", "20m"},
              {"pos.recheck_interval", "0ms"}};
    store = testing::OpenStore(dir.File("store.db"), &clock);
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

  void Sql(const std::string& sql) {
    Status status = writer->Execute(sql);
    REQUIRE_MESSAGE(status.ok(), status.ToString());
  }
  size_t Poll() {
    auto polled = PollOnce(*source, *store);
    REQUIRE_MESSAGE(polled.ok(), polled.status().ToString());
    return *polled;
  }
  // A bon with two lines (0.250 kg at 24.00/kg, 2 rolls at 0.45) and a payment.
  void RingUp(char state, const char* guest, const char* codes, const char* opened) {
    Sql(std::string("INSERT INTO bon (opened, zustand, kellner, gast, summe_brutto, mwst, "
                    "aktionscodes) VALUES ('") +
        opened + "', '" + state + "', 1, " + guest + ", 6.90, 0.45, " + codes + ")");
    Sql("INSERT INTO bon_pos VALUES (currval('bon_bon_nr_seq'), 1, '4711', 'Bergkaese', 0.250, "
        "24.00),"
        " (currval('bon_bon_nr_seq'), 2, '0815', 'Semmel', 2, 0.45)");
    if (state == 'A')
      Sql("INSERT INTO zahlung (bon_nr, art, betrag) VALUES (currval('bon_bon_nr_seq'), "
          "'EC-Karte', 6.90)");
  }
};

const SeenEvent* Find(const std::vector<SeenEvent>& events, const std::string& pos_id,
                      std::int64_t revision) {
  for (const auto& event : events) {
    if (event.pos_id == pos_id && event.revision == revision) return &event;
  }
  return nullptr;
}

TEST_CASE("an unknown PostgreSQL POS through a profile file: sales, phones, coupons, lines") {
  KasseFixture f;
  f.Start();
  f.RingUp('A', "1", "'SOMMER5, TREUE'", "2026-03-02 08:15:00+01");
  f.RingUp('A', "2", "NULL", "2026-03-02 08:20:00+01");     // guest with an unusable number
  f.RingUp('O', "NULL", "NULL", "2026-03-02 08:25:00+01");  // still open: not a sale yet
  CHECK(f.Poll() == 2);
  auto events = OutboxEvents(*f.store);
  REQUIRE(events.size() == 2);
  const SeenEvent& sale = events[0];
  CHECK(sale.type == "transaction.completed");
  CHECK(sale.pos_id == "1");
  CHECK(sale.total == 690);
  CHECK(sale.tax == 45);
  CHECK(sale.subtotal == 690);  // 6.00 + 0.90 from the lines
  CHECK(sale.currency == "EUR");
  CHECK(sale.cashier == "Frau Huber");
  CHECK(sale.phone == "+4915123456789");
  CHECK(sale.coupons == std::vector<std::string>{"SOMMER5", "TREUE"});
  CHECK(sale.line_quantities == std::vector<std::int64_t>{250, 2000});
  CHECK(sale.line_totals == std::vector<std::int64_t>{600, 90});
  CHECK(sale.line_skus == std::vector<std::string>{"4711", "0815"});
  CHECK(sale.payments[0] == std::pair<std::string, std::int64_t>{"EC-Karte", 690});
  CHECK(sale.occurred_at == "2026-03-02T07:15:00.000Z");
  CHECK(events[1].phone.empty());
  CHECK(events[1].total == 690);

  // The open bon is closed; another is cancelled after the fact.
  f.Sql("UPDATE bon SET zustand = 'A' WHERE bon_nr = 3");
  f.Sql("UPDATE bon SET zustand = 'S', geaendert = '2026-03-02 09:30:00+01' WHERE bon_nr = 1");
  CHECK(f.Poll() == 2);
  events = OutboxEvents(*f.store);
  REQUIRE(events.size() == 4);
  REQUIRE(Find(events, "3", 1));
  CHECK(Find(events, "3", 1)->type == "transaction.completed");
  const SeenEvent* storno = Find(events, "1", 2);
  REQUIRE(storno);
  CHECK(storno->type == "transaction.voided");
  CHECK(storno->occurred_at == "2026-03-02T08:30:00.000Z");  // from geaendert
}

TEST_CASE("unknown POS: parked bons are abandoned, returns refunded, unmapped states ignored") {
  KasseFixture f;
  f.Start();
  f.RingUp('P', "1", "NULL", "2026-03-02 09:55:00+01");  // 08:55Z, parked
  f.RingUp('R', "NULL", "NULL", "2026-03-02 09:56:00+01");
  f.RingUp('X', "NULL", "NULL", "2026-03-02 09:57:00+01");  // a state the profile does not know
  CHECK(f.Poll() == 1);
  f.clock.Set(*ParseRfc3339("2026-03-02T09:15:00Z"));  // 20 minutes after parking
  CHECK(f.Poll() == 1);
  auto events = OutboxEvents(*f.store);
  REQUIRE(events.size() == 2);
  CHECK(Find(events, "2", 1)->type == "transaction.refunded");
  CHECK(Find(events, "2", 1)->total == -690);
  CHECK(Find(events, "1", 1)->type == "basket.abandoned");
  CHECK(Find(events, "1", 1)->phone == "+4915123456789");
  CHECK(!Find(events, "3", 1));
  CHECK(f.source->Health().last_error.empty());
}

// The check of `report` called `name`; a failed stand-in when it is missing.
SqlSourceCheck CheckNamed(const SqlSourceReport& report, const std::string& name) {
  for (const auto& check : report.checks) {
    if (check.name == name) return check;
  }
  return SqlSourceCheck{name, CheckOutcome::kFailed, "(not reported)", "", StatusCode::kNotFound};
}

int FailedChecks(const SqlSourceReport& report) {
  int failed = 0;
  for (const auto& check : report.checks) failed += check.outcome == CheckOutcome::kFailed;
  return failed;
}

TEST_CASE("unknown POS: doctor checks the profile against the database") {
  KasseFixture f;
  f.RingUp('A', "1", "NULL", "2026-03-02 08:15:00+01");
  f.RingUp('P', "2", "NULL", "2026-03-02 08:20:00+01");  // parked: no payment yet
  auto options = SqlSourceOptionsFrom(ConfigValues(f.config), f.dir.path());
  REQUIRE(options.ok());
  const SqlSourceReport ok = CheckSqlSource(*options);
  CHECK_MESSAGE(ok.Passed(), ok.ToStatus().ToString());
  CHECK(ok.ToStatus().ok());
  CHECK(ok.database.find("postgresql://tillbridge_ro@127.0.0.1") == 0);
  CHECK(ok.profile == "kasse");
  // One check per [requires] table and per query, each with what it found.
  CHECK(CheckNamed(ok, "connection").outcome == CheckOutcome::kOk);
  CHECK(CheckNamed(ok, "table bon").detail == "ok, all 10 columns");
  CHECK(CheckNamed(ok, "table guests").detail == "ok, all 2 columns");
  CHECK(CheckNamed(ok, "query [sales]").detail == "ok, 2 rows");
  CHECK(CheckNamed(ok, "query [lines]").detail == "ok, 4 rows");
  CHECK(CheckNamed(ok, "query [payments]").detail == "ok, 1 row");
  CHECK(CheckNamed(ok, "query [coupons]").detail == "not set in this profile");
  const SqlSourceCheck reader = CheckNamed(ok, "user tillbridge_ro");
  CHECK(reader.outcome == CheckOutcome::kOk);
  CHECK(reader.detail == "SELECT only");
  CHECK(ok.checks.size() == 12);  // connection, 5 tables, 5 queries, the user

  // A typo in the mapping and a table the POS does not have.
  std::string profile = kProfile;
  profile.replace(profile.find("quantity = menge"), 16, "quantity = menge_kg");
  profile += "\n";
  profile.insert(profile.find("[sales]"), "gutscheine = code\n");
  {
    std::ofstream out(f.dir.File("kasse.profile"));
    out << profile;
  }
  const SqlSourceReport bad = CheckSqlSource(*options);
  CHECK(!bad.Passed());
  CHECK(FailedChecks(bad) == 2);
  const SqlSourceCheck lines = CheckNamed(bad, "query [lines]");
  CHECK(lines.outcome == CheckOutcome::kFailed);
  CHECK(lines.code == StatusCode::kFailedPrecondition);
  CHECK(lines.detail == "no column 'menge_kg' for quantity");
  CHECK(lines.fix == "map it with quantity = <column> in [lines] to a column the query returns");
  CHECK(CheckNamed(bad, "table gutscheine").detail == "does not exist (or the user cannot see it)");
  CHECK(CheckNamed(bad, "query [sales]").detail == "ok, 2 rows");
  const Status summary = bad.ToStatus();
  CHECK(summary.code() == StatusCode::kFailedPrecondition);
  CHECK_MESSAGE(summary.message().find("query [lines]: no column 'menge_kg' for quantity") !=
                    std::string::npos,
                summary.message());
  CHECK(summary.message().find("table gutscheine: does not exist") != std::string::npos);
  CHECK(summary.message().find("postgresql://tillbridge_ro@127.0.0.1") != std::string::npos);

  // The POS's own user may write: doctor names that, as its own problem.
  auto writer_options = *options;
  writer_options.user = testing::kPosUser;
  writer_options.password = testing::kPosPassword;
  {
    std::ofstream out(f.dir.File("kasse.profile"));
    out << kProfile;
  }
  const SqlSourceReport writable = CheckSqlSource(writer_options);
  REQUIRE(!writable.Passed());
  CHECK(FailedChecks(writable) == 1);
  const SqlSourceCheck user = CheckNamed(writable, "user tillbridge_pos");
  CHECK(user.outcome == CheckOutcome::kFailed);
  CHECK(user.code == StatusCode::kPermissionDenied);
  CHECK_MESSAGE(user.detail.find("this user can write to the POS database (INSERT, UPDATE, "
                                 "DELETE, TRUNCATE on 5 tables: bon, bon_pos, guests, staff, "
                                 "zahlung); give it SELECT only") == 0,
                user.detail);
  CHECK(CheckNamed(writable, "query [lines]").detail == "ok, 4 rows");
  CHECK(writable.ToStatus().code() == StatusCode::kPermissionDenied);
  CHECK(writable.ToStatus().message().find("does not match") == std::string::npos);
}

TEST_CASE("unknown POS with config only: the generic profile plus query overrides") {
  KasseFixture f;
  f.config.erase("pos.profile");
  f.config["pos.profile"] = "generic";
  f.config["pos.connector"] = "postgresql";
  f.config["pos.query.sales"] =
      "SELECT bon_nr AS id, CASE zustand WHEN 'A' THEN 'completed' WHEN 'S' THEN 'voided' "
      "WHEN 'P' THEN 'held' WHEN 'R' THEN 'refunded' ELSE 'ignore' END AS state, "
      "opened AS occurred_at, summe_brutto AS total FROM bon";
  f.config["pos.query.lines"] =
      "SELECT bon_nr AS sale_id, menge AS quantity, einzelpreis AS unit_price FROM bon_pos";
  f.config["pos.query.payments"] =
      "SELECT bon_nr AS sale_id, art AS type, betrag AS amount FROM zahlung";
  f.Start();
  f.RingUp('A', "1", "NULL", "2026-03-02 08:15:00+01");
  CHECK(f.Poll() == 1);
  auto events = OutboxEvents(*f.store);
  REQUIRE(events.size() == 1);
  CHECK(events[0].total == 690);
  CHECK(events[0].line_totals == std::vector<std::int64_t>{600, 90});
  CHECK(events[0].payments[0].first == "EC-Karte");
  CHECK(events[0].phone.empty());  // not mapped in this config
}

}  // namespace
}  // namespace tillbridge::drivers

namespace tillbridge::drivers {
namespace {

TEST_CASE("unknown POS over ODBC (psqlODBC driver) reads the same events") {
#ifndef TILLBRIDGE_WITH_ODBC
  MESSAGE("skipped: this build has no ODBC support (install unixodbc-dev)");
#else
  std::string drivers;
  if (testing::Run("odbcinst -q -d", &drivers) != 0 ||
      drivers.find("PostgreSQL Unicode") == std::string::npos) {
    MESSAGE("skipped: the psqlODBC driver is not installed (package odbc-postgresql)");
    return;
  }
  KasseFixture f;
  f.config["pos.connector"] = "odbc";
  f.config["pos.connection_string"] =
      "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=" +
      std::to_string(testing::PostgresPort()) + ";Database=" + f.db->name() +
      ";Uid=" + testing::kReadOnlyUser + ";Pwd=" + testing::kReadOnlyPassword;
  f.Start();
  f.RingUp('A', "1", "'SOMMER5'", "2026-03-02 08:15:00+01");
  f.RingUp('P', "NULL", "NULL", "2026-03-02 09:50:00+01");  // 10 minutes ago
  CHECK(f.Poll() == 1);
  auto events = OutboxEvents(*f.store);
  REQUIRE(events.size() == 1);
  CHECK(events[0].total == 690);
  CHECK(events[0].phone == "+4915123456789");
  CHECK(events[0].coupons == std::vector<std::string>{"SOMMER5"});
  CHECK(events[0].line_quantities == std::vector<std::int64_t>{250, 2000});
  CHECK(events[0].occurred_at == "2026-03-02T07:15:00.000Z");
  f.Sql("UPDATE bon SET zustand = 'A' WHERE bon_nr = 2");
  CHECK(f.Poll() == 1);
  f.Sql("UPDATE bon SET zustand = 'P' WHERE bon_nr = 2");  // nothing to report
  CHECK(f.Poll() == 0);
#endif
}

}  // namespace
}  // namespace tillbridge::drivers

namespace tillbridge::drivers {
namespace {

TEST_CASE("PostgreSQL restarted between polls: Unavailable, then each bon exactly once") {
  if (geteuid() != 0) {
    MESSAGE("skipped: restarting PostgreSQL needs root (CI runs as root)");
    return;
  }
  KasseFixture f;
  f.Start();
  const auto ring_up = [&](int count) {
    for (int i = 0; i < count; ++i) f.RingUp('A', "1", "NULL", "2026-03-02 08:15:00+01");
  };
  ring_up(60);
  CHECK(f.Poll() == 60);
  std::string output;
  REQUIRE_MESSAGE(testing::Run("pg_ctlcluster $(pg_lsclusters -h | awk 'NR==1 {print $1\" \"$2}') "
                               "restart",
                               &output) == 0,
                  output);
  // The source's connection died with the server: the next poll says so,
  // naming the source, and a later one reconnects.
  auto failed = PollOnce(*f.source, *f.store);
  REQUIRE(!failed.ok());
  CHECK(failed.status().code() == StatusCode::kUnavailable);
  CHECK(failed.status().message().find("POS source 'kasse'") != std::string::npos);
  CHECK(!f.source->Health().connected);
  auto reconnected = PosWriter::Connect(PosWriter::Kind::kPostgres, f.db->name());
  REQUIRE(reconnected.ok());
  f.writer = std::move(reconnected).value();
  ring_up(40);
  REQUIRE(testing::Pump(
              *f.source, *f.store, [&] { return *f.store->transactions().Count() >= 100; },
              std::chrono::seconds(30))
              .ok());
  auto events = OutboxEvents(*f.store);
  CHECK(events.size() == 100);
  std::set<std::string> ids;
  for (const auto& event : events) ids.insert(event.pos_id);
  CHECK(ids.size() == 100);
  CHECK(f.source->Health().last_error.empty());
}

}  // namespace
}  // namespace tillbridge::drivers
