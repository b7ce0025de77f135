// CheckSqlSource: the `tillbridge doctor` view of a POS database source.
#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "drivers/sql/pos_database.h"
#include "drivers/sql/pos_profile.h"
#include "drivers/sql/profile_sql.h"
#include "drivers/sql/sql_source.h"

namespace tillbridge::drivers {
namespace {

// The profile's queries that doctor runs, in the order it reports them. A
// query section added to PosProfile needs one row here to be checked.
struct ProfileQueryRow {
  const char* section;
  ProfileQuery PosProfile::*query;
  const ProfileFields& (*fields)();
};
constexpr ProfileQueryRow kProfileQueries[] = {
    {"sales", &PosProfile::sales, &SalesFields},
    {"lines", &PosProfile::lines, &LineFields},
    {"payments", &PosProfile::payments, &PaymentFields},
    {"coupons", &PosProfile::coupons, &CouponFields},
    {"held", &PosProfile::held, &HeldFields},
};

constexpr const char* kReadOnlyHelp = "docs/pos-profiles.md, section \"Read-only access\"";

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string Join(const std::vector<std::string>& items, const std::string& separator = ", ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// "1 row", "10,482 rows".
std::string RowCount(const std::string& digits) {
  std::string grouped;
  const size_t size = digits.size();
  for (size_t i = 0; i < size; ++i) {
    if (i > 0 && (size - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped + (digits == "1" ? " row" : " rows");
}

// At most `limit` names, then how many more.
std::string FewOf(const std::vector<std::string>& names, size_t limit = 6) {
  if (names.size() <= limit) return Join(names);
  std::vector<std::string> head(names.begin(), names.begin() + static_cast<long>(limit));
  return Join(head) + " and " + std::to_string(names.size() - limit) + " more";
}

SqlSourceCheck PassedCheck(std::string name, std::string detail) {
  return SqlSourceCheck{std::move(name), CheckOutcome::kOk, std::move(detail), "", StatusCode::kOk};
}

SqlSourceCheck WarningCheck(std::string name, std::string detail, std::string fix) {
  return SqlSourceCheck{std::move(name), CheckOutcome::kWarning, std::move(detail), std::move(fix),
                        StatusCode::kOk};
}

SqlSourceCheck FailedCheck(std::string name, const Status& why, std::string fix) {
  return SqlSourceCheck{std::move(name), CheckOutcome::kFailed, why.message(), std::move(fix),
                        why.code()};
}

SqlSourceCheck ConnectionLost(const Status& why) {
  return FailedCheck(
      "connection", why,
      "check that the database server runs and that pos.host, pos.port, pos.database, "
      "pos.user and the password are right");
}

// Lower-cased column names of `table`, or nullopt when it does not exist.
Result<std::optional<std::set<std::string>>> ColumnsOf(PosDatabase& db, const std::string& table) {
  std::string schema;
  std::string name = table;
  if (const size_t dot = table.find('.'); dot != std::string::npos) {
    schema = table.substr(0, dot);
    name = table.substr(dot + 1);
  }
  std::string sql;
  std::vector<SqlParam> params;
  switch (db.connector()) {
    case SqlConnector::kSqlite:
      sql = "SELECT CAST(name AS TEXT) FROM pragma_table_info(?)";
      params = {SqlParam::Text(name)};
      break;
    case SqlConnector::kMySql:
      sql =
          "SELECT CAST(column_name AS CHAR) FROM information_schema.columns WHERE "
          "table_schema = " +
          std::string(schema.empty() ? "DATABASE()" : "?") + " AND table_name = ?";
      if (!schema.empty()) params.push_back(SqlParam::Text(schema));
      params.push_back(SqlParam::Text(name));
      break;
    case SqlConnector::kPostgreSql:
      sql = schema.empty()
                ? "SELECT CAST(column_name AS TEXT) FROM information_schema.columns WHERE "
                  "table_schema = ANY (current_schemas(false)) AND table_name = $1"
                : "SELECT CAST(column_name AS TEXT) FROM information_schema.columns WHERE "
                  "table_schema = $2 AND table_name = $1";
      params.push_back(SqlParam::Text(name));
      if (!schema.empty()) params.push_back(SqlParam::Text(schema));
      break;
    case SqlConnector::kOdbc:
      return Status::FailedPrecondition("table checks are not available over ODBC");
  }
  auto rows = db.Query(sql, params);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<std::set<std::string>>();
  std::set<std::string> columns;
  for (const auto& row : *rows) {
    if (!row.empty() && row[0]) columns.insert(Lower(*row[0]));
  }
  return std::optional<std::set<std::string>>(std::move(columns));
}

// The [requires] tables, one check each. False when the connection was lost
// (the last check says so).
bool CheckTables(PosDatabase& db, const PosProfile& profile, std::vector<SqlSourceCheck>& out) {
  if (profile.requires_columns.empty()) return true;
  if (db.connector() == SqlConnector::kOdbc) {
    out.push_back(WarningCheck("tables", "the [requires] tables are not checked over ODBC",
                               "the query checks below still show a missing table or column"));
    return true;
  }
  for (const auto& [table, columns] : profile.requires_columns) {
    const std::string name = "table " + table;
    auto existing = ColumnsOf(db, table);
    if (!existing.ok()) {
      if (existing.status().code() == StatusCode::kUnavailable) {
        out.push_back(ConnectionLost(existing.status()));
        return false;
      }
      out.push_back(FailedCheck(name, existing.status(), "see docs/pos-profiles.md, [requires]"));
      continue;
    }
    if (!*existing) {
      out.push_back(FailedCheck(
          name, Status::FailedPrecondition("does not exist (or the user cannot see it)"),
          "check the table's name in [requires] of the profile, and that the user may SELECT it"));
      continue;
    }
    std::vector<std::string> missing;
    for (const auto& column : columns) {
      if (!(*existing)->count(Lower(column))) missing.push_back(column);
    }
    if (missing.empty()) {
      out.push_back(PassedCheck(
          name, columns.size() == 1 ? "ok, 1 column"
                                    : "ok, all " + std::to_string(columns.size()) + " columns"));
    } else {
      out.push_back(FailedCheck(
          name,
          Status::FailedPrecondition(
              std::string(missing.size() == 1 ? "no column " : "no columns ") + Join(missing)),
          "the profile needs these columns: check the names in [requires], or whether the "
          "POS's version matches the profile"));
    }
  }
  return true;
}

// The mapped fields of a query: required ones first, then mapped optional ones.
std::vector<std::string> MappedFields(const ProfileQuery& query, const ProfileFields& fields) {
  std::vector<std::string> out = fields.required;
  for (const auto& field : fields.optional) {
    if (query.Has(field)) out.push_back(field);
  }
  return out;
}

// One profile query: that it runs, has every mapped column, and its row
// count. False when the connection was lost.
bool CheckQuery(PosDatabase& db, const ProfileSql& sql, const ProfileQueryRow& row,
                const PosProfile& profile, std::vector<SqlSourceCheck>& out) {
  const std::string section = row.section;
  const std::string name = "query [" + section + "]";
  const ProfileQuery& query = profile.*row.query;
  if (query.sql.empty()) {
    out.push_back(PassedCheck(name, "not set in this profile"));
    return true;
  }
  auto count = db.Query("SELECT " + db.TextCast("COUNT(*)") + " FROM (\n" + query.sql + "\n) h");
  if (!count.ok()) {
    if (count.status().code() == StatusCode::kUnavailable) {
      out.push_back(ConnectionLost(count.status()));
      return false;
    }
    out.push_back(FailedCheck(
        name, Status::FailedPrecondition("does not run: " + RejectionReason(count.status())),
        "correct the query in [" + section + "] of the profile (or pos.query." + section + ")"));
    return true;
  }
  const std::vector<std::string> fields = MappedFields(query, row.fields());
  auto whole = db.Query(sql.Probe(query, fields));
  if (!whole.ok()) {
    if (whole.status().code() == StatusCode::kUnavailable) {
      out.push_back(ConnectionLost(whole.status()));
      return false;
    }
    // The query runs, so a mapped column is missing: one probe per field
    // names each of them.
    std::vector<std::string> missing;
    std::vector<std::string> fixes;
    for (const auto& field : fields) {
      auto one = db.Query(sql.Probe(query, {field}));
      if (one.ok()) continue;
      if (one.status().code() == StatusCode::kUnavailable) {
        out.push_back(ConnectionLost(one.status()));
        return false;
      }
      missing.push_back("no column '" + query.Column(field) + "' for " + field);
      fixes.push_back(field + " = <column>");
    }
    if (missing.empty()) {
      out.push_back(
          FailedCheck(name,
                      Status::FailedPrecondition("does not run with its mapped columns: " +
                                                 RejectionReason(whole.status())),
                      "check the column mappings in [" + section + "]"));
    } else {
      out.push_back(FailedCheck(name, Status::FailedPrecondition(Join(missing, "; ")),
                                "map " + (fixes.size() == 1 ? "it" : std::string("them")) +
                                    " with " + Join(fixes) + " in [" + section +
                                    "] to a column the query returns"));
    }
    return true;
  }
  const std::string digits =
      !count->empty() && !count->front().empty() && count->front()[0] ? *count->front()[0] : "0";
  out.push_back(PassedCheck(name, "ok, " + RowCount(digits)));
  return true;
}

// The session's user name as the database knows it.
std::string CurrentUser(PosDatabase& db, const std::string& configured) {
  std::string sql;
  switch (db.connector()) {
    case SqlConnector::kMySql:
      sql = "SELECT CAST(SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AS CHAR)";
      break;
    case SqlConnector::kPostgreSql:
      sql = "SELECT CAST(current_user AS TEXT)";
      break;
    default:
      return configured;
  }
  auto rows = db.Query(sql);
  if (rows.ok() && !rows->empty() && !rows->front().empty() && rows->front()[0]) {
    return *rows->front()[0];
  }
  return configured;
}

// The write privileges of the session's user, as (privilege, where) pairs;
// empty when it can only read.
Result<std::vector<std::pair<std::string, std::string>>> WritePrivileges(PosDatabase& db) {
  std::string sql;
  switch (db.connector()) {
    case SqlConnector::kMySql:
      sql =
          "SELECT CAST(p.privilege_type AS CHAR), CAST(p.scope AS CHAR) FROM ("
          " SELECT privilege_type, grantee, 'all databases' AS scope"
          "  FROM information_schema.user_privileges"
          // Database-level grants may name a pattern (GRANT ... ON `pos\_%`.*).
          " UNION ALL SELECT privilege_type, grantee, CONCAT(table_schema, '.*')"
          "  FROM information_schema.schema_privileges WHERE DATABASE() LIKE table_schema"
          " UNION ALL SELECT privilege_type, grantee, table_name"
          "  FROM information_schema.table_privileges WHERE table_schema = DATABASE()"
          " UNION ALL SELECT privilege_type, grantee, table_name"
          "  FROM information_schema.column_privileges WHERE table_schema = DATABASE()) p"
          " WHERE p.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'ALTER',"
          " 'INDEX', 'TRIGGER', 'CREATE VIEW')"
          " AND p.grantee = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''',"
          " SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')";
      break;
    case SqlConnector::kPostgreSql:
      sql =
          "SELECT CAST(p.privilege AS TEXT), CAST(t.table_name AS TEXT)"
          " FROM information_schema.tables t"
          " CROSS JOIN (VALUES ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE')) p(privilege)"
          " WHERE t.table_schema = ANY (current_schemas(false))"
          " AND has_table_privilege(quote_ident(t.table_schema) || '.' ||"
          " quote_ident(t.table_name), p.privilege)"
          " UNION ALL SELECT 'SUPERUSER', 'every table' FROM pg_roles"
          " WHERE rolname = current_user AND rolsuper";
      break;
    default:
      return Status::FailedPrecondition("not available for this connector");
  }
  auto rows = db.Query(sql);
  if (!rows.ok()) return rows.status();
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& row : *rows) {
    if (row.size() >= 2 && row[0] && row[1]) out.emplace_back(*row[0], *row[1]);
  }
  return out;
}

// "INSERT, UPDATE, DELETE on 5 tables: bon, bon_pos, ..." from (privilege,
// where) pairs, privileges in a fixed order.
std::string DescribePrivileges(const std::vector<std::pair<std::string, std::string>>& grants) {
  static const char* const kOrder[] = {"SUPERUSER", "INSERT",  "UPDATE",     "DELETE",
                                       "TRUNCATE",  "CREATE",  "DROP",       "ALTER",
                                       "INDEX",     "TRIGGER", "CREATE VIEW"};
  std::set<std::string> kinds;
  std::vector<std::string> places;
  for (const auto& [privilege, place] : grants) {
    kinds.insert(privilege);
    if (std::find(places.begin(), places.end(), place) == places.end()) places.push_back(place);
  }
  std::vector<std::string> ordered;
  for (const char* kind : kOrder) {
    if (kinds.count(kind)) ordered.push_back(kind);
  }
  std::vector<std::string> tables;
  std::vector<std::string> others;
  for (const auto& place : places) {
    const bool table =
        place != "all databases" && place != "every table" && place.find(".*") == std::string::npos;
    (table ? tables : others).push_back(place);
  }
  std::sort(tables.begin(), tables.end());
  std::vector<std::string> where = others;
  if (!tables.empty()) {
    where.push_back(tables.size() == 1
                        ? "table " + tables.front()
                        : std::to_string(tables.size()) + " tables: " + FewOf(tables));
  }
  return Join(ordered) + " on " + Join(where, ", ");
}

SqlSourceCheck CheckUser(PosDatabase& db, const SqlSourceOptions& options) {
  switch (db.connector()) {
    case SqlConnector::kSqlite:
      return PassedCheck("access", "the file is opened read-only (mode=ro, PRAGMA query_only)");
    case SqlConnector::kOdbc:
      return WarningCheck(
          "user", "privileges are not checked over ODBC",
          "make sure the ODBC user may only SELECT (" + std::string(kReadOnlyHelp) + ")");
    case SqlConnector::kMySql:
    case SqlConnector::kPostgreSql:
      break;
  }
  const std::string user = CurrentUser(db, options.user);
  const std::string name = "user " + user;
  auto grants = WritePrivileges(db);
  if (!grants.ok()) {
    if (grants.status().code() == StatusCode::kUnavailable) return ConnectionLost(grants.status());
    return WarningCheck(name, "could not read its privileges: " + grants.status().message(),
                        "make sure it may only SELECT (" + std::string(kReadOnlyHelp) + ")");
  }
  if (grants->empty()) return PassedCheck(name, "SELECT only");
  return FailedCheck(
      name,
      Status::PermissionDenied("this user can write to the POS database (" +
                               DescribePrivileges(*grants) + "); give it SELECT only"),
      "create a user for the agent that may only SELECT (" + std::string(kReadOnlyHelp) +
          ") and set pos.user to it");
}

}  // namespace

bool SqlSourceReport::Passed() const {
  return std::none_of(checks.begin(), checks.end(), [](const SqlSourceCheck& check) {
    return check.outcome == CheckOutcome::kFailed;
  });
}

Status SqlSourceReport::ToStatus() const {
  static const StatusCode kSeverity[] = {StatusCode::kUnavailable, StatusCode::kInvalidArgument,
                                         StatusCode::kPermissionDenied,
                                         StatusCode::kFailedPrecondition};
  std::vector<std::string> failures;
  std::set<StatusCode> codes;
  for (const auto& check : checks) {
    if (check.outcome != CheckOutcome::kFailed) continue;
    failures.push_back(check.name + ": " + check.detail);
    codes.insert(check.code);
  }
  if (failures.empty()) return Status::Ok();
  StatusCode code = *codes.begin();
  for (StatusCode candidate : kSeverity) {
    if (codes.count(candidate)) {
      code = candidate;
      break;
    }
  }
  return Status(code, source + ": " + Join(failures, "; "));
}

SqlSourceReport CheckSqlSource(const SqlSourceOptions& options) {
  SqlSourceReport report;
  report.source = "POS source '" + options.name + "' (profile " + options.profile + ")";
  report.profile = options.profile;
  const auto config_failure = [&](const char* name, const Status& why, std::string fix) {
    report.checks.push_back(
        FailedCheck(name, Status(StatusCode::kInvalidArgument, why.message()), std::move(fix)));
    return report;
  };
  auto profile = LoadPosProfile(options);
  if (!profile.ok()) {
    return config_failure("profile", profile.status(),
                          "correct the profile or pos.profile (docs/pos-profiles.md)");
  }
  const std::optional<SqlConnector> connector =
      options.connector ? options.connector : profile->connector;
  if (!connector) {
    return config_failure("connector",
                          Status::InvalidArgument("pos.connector is not set and profile '" +
                                                  profile->name + "' names no connector"),
                          "set pos.connector (sqlite, mysql, postgresql or odbc)");
  }
  auto spec = MakeConnectionSpec(options, *connector);
  if (!spec.ok()) return config_failure("connection", spec.status(), "correct the pos.* keys");
  report.source =
      "POS source '" + options.name + "' (profile " + profile->name + ", " + spec->display + ")";
  report.profile = profile->name;
  report.database = spec->display;

  auto db = PosDatabase::Connect(*spec);
  if (!db.ok()) {
    report.checks.push_back(ConnectionLost(db.status()));
    return report;
  }
  report.checks.push_back(PassedCheck("connection", connector == SqlConnector::kSqlite
                                                        ? "opened read-only"
                                                        : "connected, session read-only"));

  if (!CheckTables(**db, *profile, report.checks)) return report;
  const ProfileSql sql(*profile, **db);
  for (const auto& row : kProfileQueries) {
    if (!CheckQuery(**db, sql, row, *profile, report.checks)) return report;
  }
  report.checks.push_back(CheckUser(**db, options));
  return report;
}

}  // namespace tillbridge::drivers
