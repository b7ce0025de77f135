// CheckSqlSource: the `tillbridge doctor` view of a POS database source.
#include <algorithm>
#include <cctype>
#include <set>

#include "drivers/sql/pos_database.h"
#include "drivers/sql/pos_profile.h"
#include "drivers/sql/profile_sql.h"
#include "drivers/sql/sql_source.h"

namespace tillbridge::drivers {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
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

// Whether the session's user may change data (the agent needs SELECT only).
Result<bool> UserCanWrite(PosDatabase& db) {
  std::string sql;
  switch (db.connector()) {
    case SqlConnector::kMySql:
      sql =
          "SELECT CAST(COUNT(*) AS CHAR) FROM ("
          " SELECT privilege_type, grantee FROM information_schema.user_privileges"
          // Database-level grants may name a pattern (GRANT ... ON `pos\_%`.*).
          " UNION ALL SELECT privilege_type, grantee FROM information_schema.schema_privileges"
          "  WHERE DATABASE() LIKE table_schema"
          " UNION ALL SELECT privilege_type, grantee FROM information_schema.table_privileges"
          "  WHERE table_schema = DATABASE()) p"
          " WHERE p.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'ALTER', 'DROP')"
          " AND p.grantee = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''',"
          " SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')";
      break;
    case SqlConnector::kPostgreSql:
      sql =
          "SELECT CAST(COUNT(*) AS TEXT) FROM information_schema.tables t WHERE "
          "t.table_schema = ANY (current_schemas(false)) AND "
          "(has_table_privilege(quote_ident(t.table_schema) || '.' || quote_ident(t.table_name), "
          "'INSERT') OR has_table_privilege(quote_ident(t.table_schema) || '.' || "
          "quote_ident(t.table_name), 'UPDATE') OR has_table_privilege(quote_ident(t.table_schema) "
          "|| '.' || quote_ident(t.table_name), 'DELETE'))";
      break;
    default:
      return false;  // SQLite is opened read-only; ODBC cannot be asked portably
  }
  auto rows = db.Query(sql);
  if (!rows.ok()) return rows.status();
  return !rows->empty() && rows->front()[0] && *rows->front()[0] != "0";
}

}  // namespace

Status CheckSqlSource(const SqlSourceOptions& options) {
  auto profile = LoadPosProfile(options);
  if (!profile.ok()) return profile.status();
  const std::optional<SqlConnector> connector =
      options.connector ? options.connector : profile->connector;
  if (!connector) {
    return Status::InvalidArgument("pos.connector is not set and profile '" + profile->name +
                                   "' names no connector");
  }
  auto spec = MakeConnectionSpec(options, *connector);
  if (!spec.ok()) return spec.status();
  const std::string who =
      "POS source '" + options.name + "' (profile " + profile->name + ", " + spec->display + ")";
  auto db = PosDatabase::Connect(*spec);
  if (!db.ok()) return Status(db.status().code(), who + ": " + db.status().message());

  std::vector<std::string> problems;
  for (const auto& [table, columns] : profile->requires_columns) {
    auto existing = ColumnsOf(**db, table);
    if (!existing.ok()) {
      if (existing.status().code() == StatusCode::kUnavailable) {
        return Status::Unavailable(who + ": " + existing.status().message());
      }
      problems.push_back("table " + table + ": " + existing.status().message());
      continue;
    }
    if (!*existing) {
      problems.push_back("table " + table + " does not exist (or the user cannot see it)");
      continue;
    }
    for (const auto& column : columns) {
      if (!(*existing)->count(Lower(column))) {
        problems.push_back("table " + table + ": no column " + column);
      }
    }
  }

  ProfileSql sql(*profile, **db);
  const struct {
    const char* name;
    const ProfileQuery* query;
    const std::vector<std::string>* fields;
  } queries[] = {
      {"sales", &profile->sales, &sql.SalesFieldList()},
      {"lines", &profile->lines, &sql.DetailFieldList(DetailKind::kLines)},
      {"payments", &profile->payments, &sql.DetailFieldList(DetailKind::kPayments)},
      {"coupons", &profile->coupons, &sql.DetailFieldList(DetailKind::kCoupons)},
  };
  for (const auto& item : queries) {
    if (item.query->sql.empty()) continue;
    auto whole = (*db)->Query(sql.Probe(*item.query, *item.fields));
    if (whole.ok()) continue;
    if (whole.status().code() == StatusCode::kUnavailable) {
      return Status::Unavailable(who + ": " + whole.status().message());
    }
    // Name the mapped columns the query lacks, one probe per field.
    std::vector<std::string> missing;
    for (const auto& field : *item.fields) {
      auto one = (*db)->Query(sql.Probe(*item.query, {field}));
      if (!one.ok()) missing.push_back(field);
    }
    if (!missing.empty() && missing.size() < item.fields->size()) {
      for (const auto& field : missing) {
        problems.push_back("query [" + std::string(item.name) + "] has no column '" +
                           item.query->Column(field) + "' for " + field + " (map it with " + field +
                           " = <column> in [" + item.name + "])");
      }
    } else {
      problems.push_back("query [" + std::string(item.name) +
                         "] does not run: " + whole.status().message());
    }
  }

  auto writable = UserCanWrite(**db);
  if (writable.ok() && *writable) {
    problems.push_back(
        "the database user may change data (INSERT/UPDATE/DELETE granted); the "
        "agent needs SELECT only: use a read-only user (docs/pos-profiles.md)");
  }
  if (problems.empty()) return Status::Ok();
  std::string message = who + " does not match: ";
  for (size_t i = 0; i < problems.size(); ++i) message += (i ? "; " : "") + problems[i];
  return Status::FailedPrecondition(message);
}

}  // namespace tillbridge::drivers
