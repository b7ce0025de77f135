// `tillbridge doctor` run as a store's IT person runs it, against real
// PostgreSQL and MariaDB servers: one line per POS database check (each
// [requires] table, each profile query with its row count, the user's
// privileges), a user that can write named as such, and a broken query
// reported once, in the agent's words, with nothing from the database
// libraries on stderr.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "tests/drivers/sql/sql_test_util.h"
#include "tests/test_util.h"

namespace tillbridge::drivers {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE bon (bon_nr bigserial PRIMARY KEY, opened timestamptz NOT NULL DEFAULT now(),
                  zustand char(1) NOT NULL, summe_brutto numeric(12,2) NOT NULL DEFAULT 0);
CREATE TABLE bon_pos (bon_nr bigint REFERENCES bon, pos_nr int, menge numeric(10,3),
                      einzelpreis numeric(12,2), PRIMARY KEY (bon_nr, pos_nr));
CREATE TABLE zahlung (id serial PRIMARY KEY, bon_nr bigint REFERENCES bon, art text,
                      betrag numeric(12,2));
INSERT INTO bon (zustand, summe_brutto) SELECT 'A', 1.50 FROM generate_series(1, 1204);
INSERT INTO bon_pos SELECT bon_nr, 1, 1, 1.50 FROM bon;
INSERT INTO bon_pos SELECT bon_nr, 2, 2, 0.45 FROM bon WHERE bon_nr <= 3;
INSERT INTO zahlung (bon_nr, art, betrag) SELECT bon_nr, 'Bar', 1.50 FROM bon WHERE bon_nr <= 7;
)sql";

constexpr const char* kProfile = R"([profile]
name = kiosk
connector = postgresql

[requires]
bon = bon_nr, opened, zustand, summe_brutto
bon_pos = bon_nr, pos_nr, menge, einzelpreis

[sales]
query = SELECT bon_nr, zustand, opened, summe_brutto FROM bon
id = bon_nr
state = zustand
occurred_at = opened
total = summe_brutto

[states]
completed = A

[lines]
query = SELECT bon_nr, pos_nr, menge, einzelpreis FROM bon_pos
sale_id = bon_nr
line_no = pos_nr
quantity = menge
unit_price = einzelpreis

[payments]
query = SELECT bon_nr, art, betrag FROM zahlung
sale_id = bon_nr
type = art
amount = betrag
)";

struct DoctorRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

size_t Occurrences(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The agent's doctor on a config with an [agent] and a [pos] section built
// from `pos` ("key = value" lines). stdout and stderr are kept apart.
DoctorRun RunDoctor(const tillbridge::testing::TempDir& dir, const std::string& pos) {
  {
    std::ofstream config(dir.File("tillbridge.ini"));
    config << "[agent]\ndata_dir = data\nstore_id = doctor-test\n\n[api]\nenabled = false\n\n"
           << "[pos]\nenabled = true\n"
           << pos;
  }
  const std::string binary = std::string(TILLBRIDGE_BINARY_DIR) + "/agent/tillbridge";
  DoctorRun run;
  std::string ignored;
  run.exit_code = testing::Run("(" + binary + " doctor --config " + dir.File("tillbridge.ini") +
                                   " >" + dir.File("out.txt") + " 2>" + dir.File("err.txt") + ")",
                               &ignored);
  run.out = ReadFile(dir.File("out.txt"));
  run.err = ReadFile(dir.File("err.txt"));
  return run;
}

// The line of `out` that starts (after indentation) with `prefix`.
std::string LineStarting(const std::string& out, const std::string& prefix) {
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    const size_t start = line.find_first_not_of(' ');
    if (start != std::string::npos && line.compare(start, prefix.size(), prefix) == 0) {
      return line.substr(start);
    }
  }
  return "";
}

struct KioskPos {
  tillbridge::testing::TempDir dir;
  std::unique_ptr<testing::PostgresDatabase> db;

  KioskPos() {
    auto created = testing::PostgresDatabase::Create("doctor");
    REQUIRE_MESSAGE(created.ok(), created.status().ToString());
    db = std::move(created).value();
    Status schema = db->RunScript(kSchema);
    REQUIRE_MESSAGE(schema.ok(), schema.ToString());
    WriteProfile(kProfile);
  }
  void WriteProfile(const std::string& text) const {
    std::ofstream out(dir.File("kiosk.profile"));
    out << text;
  }
  std::string Pos(const std::string& user, const std::string& password) const {
    return "profile = kiosk.profile\nhost = 127.0.0.1\nport = " +
           std::to_string(testing::PostgresPort()) + "\ndatabase = " + db->name() +
           "\nuser = " + user + "\npassword = " + password + "\ntime_zone = UTC\n";
  }
};

TEST_CASE("doctor on PostgreSQL lists each table and query with its row count, and the user") {
  KioskPos pos;
  const DoctorRun run =
      RunDoctor(pos.dir, pos.Pos(testing::kReadOnlyUser, testing::kReadOnlyPassword));
  INFO(run.out, run.err);
  CHECK(run.exit_code == 0);
  CHECK(LineStarting(run.out, "ok    POS database postgresql://tillbridge_ro@127.0.0.1:")
            .find("(source 'pos', profile kiosk)") != std::string::npos);
  CHECK(LineStarting(run.out, "ok    connection") ==
        "ok    connection: connected, session read-only");
  CHECK(LineStarting(run.out, "ok    table bon:") == "ok    table bon: ok, all 4 columns");
  CHECK(LineStarting(run.out, "ok    table bon_pos:") == "ok    table bon_pos: ok, all 4 columns");
  CHECK(LineStarting(run.out, "ok    query [sales]") == "ok    query [sales]: ok, 1,204 rows");
  CHECK(LineStarting(run.out, "ok    query [lines]") == "ok    query [lines]: ok, 1,207 rows");
  CHECK(LineStarting(run.out, "ok    query [payments]") == "ok    query [payments]: ok, 7 rows");
  CHECK(LineStarting(run.out, "ok    query [coupons]") ==
        "ok    query [coupons]: not set in this profile");
  CHECK(LineStarting(run.out, "ok    user tillbridge_ro") ==
        "ok    user tillbridge_ro: SELECT only");
  CHECK(run.out.find("all checks passed") != std::string::npos);
  CHECK(run.err.empty());
}

TEST_CASE("doctor on PostgreSQL names a user that can write, apart from the schema checks") {
  KioskPos pos;
  const DoctorRun run = RunDoctor(pos.dir, pos.Pos(testing::kPosUser, testing::kPosPassword));
  INFO(run.out, run.err);
  CHECK(run.exit_code == 1);
  const std::string user = LineStarting(run.out, "FAIL  user tillbridge_pos:");
  CHECK(user.find("this user can write to the POS database") != std::string::npos);
  CHECK(user.find("give it SELECT only") != std::string::npos);
  CHECK(user.find("INSERT, UPDATE, DELETE, TRUNCATE on 3 tables: bon, bon_pos, zahlung") !=
        std::string::npos);
  // Everything else matches: the user is the one failure, not a schema mismatch.
  CHECK(LineStarting(run.out, "ok    query [sales]") == "ok    query [sales]: ok, 1,204 rows");
  CHECK(run.out.find("1 check(s) failed") != std::string::npos);
  CHECK(run.out.find("does not match") == std::string::npos);
  CHECK(run.err.empty());
}

TEST_CASE("doctor on PostgreSQL reports a broken query once, with nothing on stderr") {
  KioskPos pos;
  // A mapping typo in [lines] and a table name the POS does not have in
  // [payments]: each is one line, in the agent's words.
  std::string profile = kProfile;
  profile.replace(profile.find("quantity = menge"), 16, "quantity = menge_kg");
  profile.replace(profile.find("FROM zahlung"), 12, "FROM zahlungen");
  pos.WriteProfile(profile);
  const DoctorRun run =
      RunDoctor(pos.dir, pos.Pos(testing::kReadOnlyUser, testing::kReadOnlyPassword));
  INFO(run.out, run.err);
  CHECK(run.exit_code == 1);
  CHECK(LineStarting(run.out, "FAIL  query [lines]") ==
        "FAIL  query [lines]: no column 'menge_kg' for quantity");
  CHECK(LineStarting(run.out, "fix: map it with quantity") ==
        "fix: map it with quantity = <column> in [lines] to a column the query returns");
  CHECK(LineStarting(run.out, "FAIL  query [payments]") ==
        "FAIL  query [payments]: does not run: relation \"zahlungen\" does not exist");
  CHECK(Occurrences(run.out + run.err, "menge_kg") == 1);
  CHECK(Occurrences(run.out + run.err, "zahlungen") == 1);
  CHECK(LineStarting(run.out, "ok    query [sales]") == "ok    query [sales]: ok, 1,204 rows");
  CHECK(run.out.find("2 check(s) failed") != std::string::npos);
  // libpq prints server notices on stderr unless told otherwise; a ROLLBACK
  // outside a transaction used to earn one per probe.
  CHECK(run.err.find("no transaction in progress") == std::string::npos);
  CHECK(run.err.empty());
}

TEST_CASE("doctor on MariaDB (OSPOS): row counts, a user that can write, a broken query once") {
  auto created = testing::OsposDatabase::Create("doctor_cli");
  REQUIRE_MESSAGE(created.ok(), created.status().ToString());
  const std::unique_ptr<testing::OsposDatabase> db = std::move(created).value();
  auto connected = testing::PosWriter::Connect(testing::PosWriter::Kind::kMariaDb, db->name());
  REQUIRE_MESSAGE(connected.ok(), connected.status().ToString());
  const std::unique_ptr<testing::PosWriter> writer = std::move(connected).value();
  for (int i = 0; i < 3; ++i) {
    REQUIRE(writer
                ->Execute("INSERT INTO ospos_sales (sale_time, employee_id, comment, "
                          "sale_status, sale_type) VALUES (NOW(), 1, '', 0, 0)")
                .ok());
  }
  tillbridge::testing::TempDir dir;
  const auto pos = [&](const std::string& user, const std::string& password) {
    return "profile = ospos\nhost = 127.0.0.1\nport = " + std::to_string(testing::MariaDbPort()) +
           "\ndatabase = " + db->name() + "\nuser = " + user + "\npassword = " + password +
           "\ntime_zone = America/New_York\n";
  };

  const DoctorRun good = RunDoctor(dir, pos(testing::kReadOnlyUser, testing::kReadOnlyPassword));
  CHECK_MESSAGE(good.exit_code == 0, good.out, good.err);
  CHECK(LineStarting(good.out, "ok    POS database mysql://tillbridge_ro@127.0.0.1:")
            .find("(source 'pos', profile ospos)") != std::string::npos);
  CHECK(LineStarting(good.out, "ok    table ospos_sales:")
            .rfind("ok    table ospos_sales: ok, all ", 0) == 0);
  CHECK(LineStarting(good.out, "ok    query [sales]") == "ok    query [sales]: ok, 3 rows");
  CHECK(LineStarting(good.out, "ok    query [lines]").rfind("ok    query [lines]: ok, ", 0) == 0);
  CHECK(LineStarting(good.out, "ok    query [payments]").rfind("ok    query [payments]: ok, ", 0) ==
        0);
  CHECK(LineStarting(good.out, "ok    user tillbridge_ro") ==
        "ok    user tillbridge_ro: SELECT only");
  CHECK(good.err.empty());

  const DoctorRun writable = RunDoctor(dir, pos(testing::kPosUser, testing::kPosPassword));
  INFO(writable.out, writable.err);
  CHECK(writable.exit_code == 1);
  const std::string user = LineStarting(writable.out, "FAIL  user tillbridge_pos:");
  CHECK(user.find("this user can write to the POS database (INSERT, UPDATE, DELETE") !=
        std::string::npos);
  CHECK(user.find("give it SELECT only") != std::string::npos);
  CHECK(writable.out.find("1 check(s) failed") != std::string::npos);
  CHECK(writable.out.find("does not match") == std::string::npos);
  CHECK(writable.err.empty());

  REQUIRE(writer->Execute("ALTER TABLE ospos_sales_payments DROP COLUMN cash_refund").ok());
  const DoctorRun broken = RunDoctor(dir, pos(testing::kReadOnlyUser, testing::kReadOnlyPassword));
  INFO(broken.out, broken.err);
  CHECK(broken.exit_code == 1);
  CHECK(LineStarting(broken.out, "FAIL  table ospos_sales_payments") ==
        "FAIL  table ospos_sales_payments: no column cash_refund");
  const std::string payments = LineStarting(broken.out, "FAIL  query [payments]");
  CHECK(payments.rfind("FAIL  query [payments]: does not run: Unknown column '", 0) == 0);
  CHECK(payments.find("cash_refund") != std::string::npos);
  CHECK(Occurrences(payments, "SELECT") <= 1);  // the statement is not echoed
  // Once for the table, once for the query: the statement text is not echoed.
  CHECK(Occurrences(broken.out + broken.err, "cash_refund") == 2);
  CHECK(broken.out.find("2 check(s) failed") != std::string::npos);
  CHECK(broken.err.empty());
}

}  // namespace
}  // namespace tillbridge::drivers
