// A read-only connection to a POS database. Wraps Poco::Data (SQLite, MySQL /
// MariaDB, PostgreSQL and, where built, ODBC) so that no Poco type leaves
// drivers/sql/pos_database.cpp. Results come back as text: callers CAST
// every column they read (TextCast), which keeps decimals exact and avoids
// connector-specific type mapping.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "drivers/sql/sql_source.h"

namespace tillbridge::drivers {

struct PosConnectionSpec {
  SqlConnector connector = SqlConnector::kSqlite;
  std::string connection_string;  // connector syntax; may hold the password
  std::string display;            // for messages and logs: never the password
  std::string sqlite_file;        // SQLite given as a plain path: that file
  std::chrono::milliseconds connect_timeout{5000};
};

// Builds the connection for `connector` from the options: the SQLite file is
// opened through a read-only URI (mode=ro); servers get read-only sessions.
Result<PosConnectionSpec> MakeConnectionSpec(const SqlSourceOptions& options,
                                             SqlConnector connector);

// A bound query parameter.
struct SqlParam {
  bool is_int = false;
  std::int64_t int_value = 0;
  std::string text;
  static SqlParam Int(std::int64_t value) { return SqlParam{true, value, {}}; }
  static SqlParam Text(std::string value) { return SqlParam{false, 0, std::move(value)}; }
};

using SqlRow = std::vector<std::optional<std::string>>;  // nullopt = NULL

// One connection. Not thread-safe. After an Unavailable error the object is
// broken() and must be replaced by a new Connect().
class PosDatabase {
 public:
  // Connects and makes the session read-only. Unavailable with the cause
  // (refused, unknown database, bad password, missing file) on failure.
  static Result<std::unique_ptr<PosDatabase>> Connect(const PosConnectionSpec& spec);
  ~PosDatabase();
  PosDatabase(const PosDatabase&) = delete;
  PosDatabase& operator=(const PosDatabase&) = delete;

  // Runs a query and returns its rows as text. Unavailable when the
  // connection is lost or the database is locked; FailedPrecondition when
  // the database rejects the statement (unknown table or column, syntax).
  Result<std::vector<SqlRow>> Query(const std::string& sql,
                                    const std::vector<SqlParam>& params = {});
  // Starts / ends a read-only snapshot so that several queries see one
  // consistent state (no-op for ODBC).
  Status BeginSnapshot();
  void EndSnapshot();
  // SQLite's PRAGMA data_version (changes when another connection commits);
  // nullopt for server databases.
  Result<std::optional<std::int64_t>> DataVersion();

  // Re-establishes a broken connection in place (Unavailable while the
  // server is still down). Only PostgreSQL supports it: Poco frees a
  // PostgreSQL connection only while it is healthy, so a dead one is revived
  // rather than dropped. Other connectors get FailedPrecondition and are
  // replaced by a new Connect().
  Status Revive();
  bool CanRevive() const { return spec_.connector == SqlConnector::kPostgreSql; }

  bool broken() const { return broken_; }
  SqlConnector connector() const { return spec_.connector; }
  const std::string& display() const { return spec_.display; }

  // Dialect helpers for building SQL: 1-based parameter placeholder, and an
  // expression cast to text.
  std::string Placeholder(int index) const;
  std::string TextCast(std::string_view expression) const;

 private:
  struct Session;
  PosDatabase(PosConnectionSpec spec, std::unique_ptr<Session> session);
  Status Execute(const std::string& sql);
  Status Setup();
  // PostgreSQL: PQreset on the session's connection; true when it is up.
  bool ResetPostgres();
  Status Classify(std::string_view what, std::string_view error, bool connection_error);

  PosConnectionSpec spec_;
  std::unique_ptr<Session> session_;
  bool broken_ = false;
  bool in_snapshot_ = false;
};

// The database's own words in a statement error from PosDatabase::Query
// ("column h.menge_kg does not exist"), without the connection and the
// statement; other messages are returned whole.
std::string RejectionReason(const Status& status);

}  // namespace tillbridge::drivers
