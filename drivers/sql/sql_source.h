// The POS database source: reads sales from a POS's own database (SQLite,
// MySQL/MariaDB, PostgreSQL) through a POS profile that maps the POS's
// schema to store::Transaction. Profiles are data (drivers/sql/profiles/,
// or a file of the user's), so a new POS needs no recompiling. See
// docs/pos-profiles.md for the profile format and the change-detection design.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/config_spec.h"
#include "common/phone.h"
#include "common/status.h"
#include "common/time_zone.h"
#include "drivers/transaction_source.h"

namespace tillbridge::drivers {

// Which Poco::Data connector reaches the POS database.
enum class SqlConnector { kSqlite, kMySql, kPostgreSql, kOdbc };

// "sqlite", "mysql", "postgresql", "odbc".
std::string_view SqlConnectorName(SqlConnector connector);

// Where a source starts when the store holds no cursor for it yet.
enum class StartFrom {
  kNow,        // only sales made after the first start are reported
  kBeginning,  // every sale in the POS database is reported once
};

// Typed `pos.*` options. Built by SqlSourceOptionsFrom; tests may fill it in
// directly.
struct SqlSourceOptions {
  std::string name = "pos";  // source key in the store
  // Built-in profile name (ospos, demo, generic) or a profile file path.
  std::string profile = "demo";
  // Empty: the profile's default connector.
  std::optional<SqlConnector> connector;
  // Full connector string; when set, host/port/database/user/password are
  // ignored. SQLite: a file path or file: URI (opened read-only regardless).
  std::string connection_string;
  std::string host = "127.0.0.1";
  int port = 0;          // 0: the connector's default (3306, 5432)
  std::string database;  // database name, or the SQLite file path
  std::string user;
  std::string password;  // never logged
  std::chrono::milliseconds connect_timeout{5000};

  std::chrono::milliseconds poll_interval{250};
  std::chrono::milliseconds recheck_interval{1000};
  std::chrono::milliseconds abandon_after{30 * 60 * 1000};
  std::chrono::milliseconds held_max_age{7LL * 24 * 3600 * 1000};
  std::chrono::milliseconds gap_timeout{10 * 60 * 1000};
  int batch_size = 500;
  int lookback_sales = 500;
  StartFrom start_from = StartFrom::kNow;

  // "UTC", a fixed offset ("+02:00", "-0530"), an IANA name
  // ("Europe/Berlin") or "local" (this machine's zone).
  std::string time_zone = "local";
  std::string zoneinfo_dir = kDefaultZoneinfoDir;
  std::string currency = "USD";  // when the profile reads no currency
  // Region for phone numbers without a country code; empty uses the
  // PhoneNormalizer handed to MakeSqlSource.
  std::string default_region;

  // Replace the profile's queries (empty keeps the profile's).
  std::string sales_query;
  std::string lines_query;
  std::string payments_query;
  std::string coupons_query;
  std::string held_query;

  // Folder that relative profile paths resolve against.
  std::filesystem::path base_dir;
};

// The `pos.*` keys with types, defaults and descriptions (for validation,
// --help and docs/config.md).
const std::vector<ConfigKeySpec>& SqlSourceConfigKeys();

// Builds options from validated config values. Relative paths (profile file,
// SQLite database, password_file) resolve against `base_dir`. Errors name
// the key and say what is wrong.
Result<SqlSourceOptions> SqlSourceOptionsFrom(const ConfigValues& values,
                                              const std::filesystem::path& base_dir);

// Creates a POS database source. Loads and validates the profile and the time
// zone (InvalidArgument naming the problem); does not connect: Open() does.
// `phone` and `clock` must outlive the source.
Result<std::unique_ptr<TransactionSource>> MakeSqlSource(const SqlSourceOptions& options,
                                                         const PhoneNormalizer& phone,
                                                         const Clock& clock);

// How one `tillbridge doctor` check of a POS database came out. A warning
// is worth reading but does not fail doctor.
enum class CheckOutcome { kOk, kWarning, kFailed };

// One line of the doctor's report on a POS database: a connection, a
// [requires] table, a profile query or the database user's privileges.
struct SqlSourceCheck {
  std::string name;  // "connection", "table bon", "query [sales]", "user tillbridge_ro"
  CheckOutcome outcome = CheckOutcome::kOk;
  std::string detail;  // "ok, 10,482 rows"; "SELECT only"; what is wrong
  std::string fix;     // what to do about a warning or failure
  // For a failure: Unavailable (the database cannot be reached),
  // InvalidArgument (config or profile), FailedPrecondition (the database
  // does not match the profile), PermissionDenied (the user can write).
  StatusCode code = StatusCode::kOk;
};

// What CheckSqlSource found, check by check, in the order they ran.
struct SqlSourceReport {
  // "POS source 'pos' (profile ospos, mysql://tillbridge_ro@10.0.0.5:3306/ospos)";
  // never the password.
  std::string source;
  std::string profile;   // the profile's name (pos.profile until it loads)
  std::string database;  // "mysql://tillbridge_ro@10.0.0.5:3306/ospos"; empty until known
  std::vector<SqlSourceCheck> checks;

  // True when no check failed (warnings pass).
  bool Passed() const;
  // Ok when no check failed; otherwise one Status naming the source and
  // every failure, with the code of the most serious one (Unavailable first,
  // then InvalidArgument, PermissionDenied, FailedPrecondition).
  Status ToStatus() const;
};

// For `tillbridge doctor`: connects read-only and checks, each as its own
// SqlSourceCheck: the connection; every [requires] table and its columns;
// every profile query (that it runs, has each mapped column, and how many
// rows it returns); and whether the user can only read. Stops after the
// connection check when the database cannot be reached. Never throws and
// never writes to the POS database.
SqlSourceReport CheckSqlSource(const SqlSourceOptions& options);

}  // namespace tillbridge::drivers
