#include "drivers/sql/pos_database.h"

#include <Poco/Data/MySQL/Connector.h>
#include <Poco/Data/MySQL/MySQLException.h>
#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/PostgreSQL/PostgreSQLException.h>
#include <Poco/Data/PostgreSQL/SessionHandle.h>
#include <Poco/Data/PostgreSQL/SessionImpl.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#ifdef TILLBRIDGE_WITH_ODBC
#include <Poco/Data/ODBC/Connector.h>
#endif

#include <cctype>
#include <filesystem>
#include <mutex>

#include "common/log.h"

namespace tillbridge::drivers {

struct PosDatabase::Session {
  explicit Session(std::unique_ptr<Poco::Data::Session> s) : session(std::move(s)) {}
  std::unique_ptr<Poco::Data::Session> session;
};

namespace {

void RegisterConnectors() {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::MySQL::Connector::registerConnector();
    Poco::Data::PostgreSQL::Connector::registerConnector();
#ifdef TILLBRIDGE_WITH_ODBC
    Poco::Data::ODBC::Connector::registerConnector();
#endif
  });
}

std::string PocoConnectorKey(SqlConnector connector) {
  switch (connector) {
    case SqlConnector::kSqlite:
      return "SQLite";
    case SqlConnector::kMySql:
      return "MySQL";
    case SqlConnector::kPostgreSql:
      return "PostgreSQL";
    case SqlConnector::kOdbc:
      return "ODBC";
  }
  return "SQLite";
}

// Poco's messages repeat themselves ("MySQL: [MySQL]: ..."); keep one line.
std::string CleanMessage(const Poco::Exception& error) {
  std::string text = error.displayText();
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  while (text.find("  ") != std::string::npos) text.erase(text.find("  "), 1);
  if (text.size() > 400) text = text.substr(0, 400) + "...";
  return text;
}

// The database's own sentence from an error, without the statement text that
// Poco and libpq append and echo ("column h.menge_kg does not exist",
// "Unknown column 'p.cash_refund' in 'field list'"); else the whole message.
std::string DatabaseReason(const Poco::Exception& error) {
  const std::string text = error.displayText();
  for (const char* marker : {"[mysql_stmt_error]: ", "[mysql_error]: ", "ERROR: ", "FATAL: "}) {
    const size_t at = text.find(marker);
    if (at == std::string::npos) continue;
    const size_t start = text.find_first_not_of(' ', at + std::string_view(marker).size());
    if (start == std::string::npos) continue;
    std::string reason = text.substr(start, text.find_first_of("\n\t", start) - start);
    while (!reason.empty() && std::isspace(static_cast<unsigned char>(reason.back()))) {
      reason.pop_back();
    }
    if (reason.empty()) continue;
    if (reason.size() > 400) reason = reason.substr(0, 400) + "...";
    return reason;
  }
  return CleanMessage(error);
}

constexpr std::string_view kRejected = " was rejected by the database: ";

// libpq's default notice processor prints the server's NOTICE and WARNING
// messages to stderr, where an agent run by a service manager or `doctor`
// would show them without context. They go to the debug log instead; errors
// that matter reach the caller as a Status.
void LogPostgresNotice(void* /*unused*/, const char* message) {
  std::string text = message == nullptr ? "" : message;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  LogDebug("pos", "PostgreSQL notice: " + text);
}

// libpq conninfo values: single-quoted with \ and ' escaped.
std::string PgValue(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

// A SQLite path as a read-only URI: file:/path?mode=ro (RFC 3986 escaping for
// the characters that would end the path).
std::string SqliteReadOnlyUri(const std::string& target) {
  std::string base = target;
  std::string query;
  if (base.rfind("file:", 0) == 0) {
    const size_t question = base.find('?');
    if (question != std::string::npos) {
      query = base.substr(question + 1);
      base = base.substr(0, question);
    }
    // Drop any caller-given mode; read-only is not negotiable.
    std::string kept;
    size_t start = 0;
    while (start <= query.size()) {
      size_t amp = query.find('&', start);
      if (amp == std::string::npos) amp = query.size();
      const std::string part = query.substr(start, amp - start);
      if (!part.empty() && part.rfind("mode=", 0) != 0) kept += (kept.empty() ? "" : "&") + part;
      start = amp + 1;
    }
    return base + "?" + (kept.empty() ? "" : kept + "&") + "mode=ro";
  }
  std::string path;
  for (char c : base) {
    if (c == '\\') c = '/';
    if (c == '%' || c == '?' || c == '#' || c == ' ') {
      static const char* const kHex = "0123456789ABCDEF";
      path += '%';
      path += kHex[(static_cast<unsigned char>(c) >> 4) & 0xF];
      path += kHex[static_cast<unsigned char>(c) & 0xF];
    } else {
      path += c;
    }
  }
  if (path.size() >= 2 && std::isalpha(static_cast<unsigned char>(path[0])) && path[1] == ':') {
    path = "/" + path;  // Windows drive letter: file:/C:/...
  }
  return "file:" + path + "?mode=ro";
}

}  // namespace

Result<PosConnectionSpec> MakeConnectionSpec(const SqlSourceOptions& options,
                                             SqlConnector connector) {
  PosConnectionSpec spec;
  spec.connector = connector;
  spec.connect_timeout = options.connect_timeout;
  const std::string& raw = options.connection_string;
  switch (connector) {
    case SqlConnector::kSqlite: {
      std::string target = raw.empty() ? options.database : raw;
      if (target.empty()) {
        return Status::InvalidArgument(
            "pos.database: the SQLite file of the POS is not set (pos.database = /path/to/pos.db)");
      }
      if (raw.empty() && target.rfind("file:", 0) != 0) {
        std::filesystem::path path(target);
        if (path.is_relative() && !options.base_dir.empty()) path = options.base_dir / path;
        target = path.string();
      }
      spec.connection_string = SqliteReadOnlyUri(target);
      spec.display = "sqlite:" + target;
      if (target.rfind("file:", 0) != 0) spec.sqlite_file = target;
      return spec;
    }
    case SqlConnector::kMySql: {
      const int port = options.port > 0 ? options.port : 3306;
      if (raw.empty()) {
        if (options.database.empty()) {
          return Status::InvalidArgument(
              "pos.database: the MySQL/MariaDB database name is not set");
        }
        for (const std::string* value :
             {&options.host, &options.database, &options.user, &options.password}) {
          if (value->find(';') != std::string::npos) {
            return Status::InvalidArgument(
                "pos.host/database/user/password must not contain ';' for the mysql connector "
                "(set pos.connection_string instead)");
          }
        }
        spec.connection_string = "host=" + options.host + ";port=" + std::to_string(port) +
                                 ";db=" + options.database + ";user=" + options.user +
                                 ";password=" + options.password +
                                 ";compress=false;auto-reconnect=false;secure-auth=true";
        spec.display = "mysql://" + options.user + "@" + options.host + ":" + std::to_string(port) +
                       "/" + options.database;
      } else {
        spec.connection_string = raw;
        spec.display = "mysql (pos.connection_string)";
      }
      return spec;
    }
    case SqlConnector::kPostgreSql: {
      const int port = options.port > 0 ? options.port : 5432;
      const auto seconds = std::max<std::int64_t>(
          2, std::chrono::duration_cast<std::chrono::seconds>(options.connect_timeout).count());
      if (raw.empty()) {
        if (options.database.empty()) {
          return Status::InvalidArgument("pos.database: the PostgreSQL database name is not set");
        }
        spec.connection_string =
            "host=" + PgValue(options.host) + " port=" + std::to_string(port) +
            " dbname=" + PgValue(options.database) + " user=" + PgValue(options.user) +
            " password=" + PgValue(options.password) +
            " connect_timeout=" + std::to_string(seconds) + " application_name='tillbridge'";
        spec.display = "postgresql://" + options.user + "@" + options.host + ":" +
                       std::to_string(port) + "/" + options.database;
      } else {
        spec.connection_string = raw;
        spec.display = "postgresql (pos.connection_string)";
      }
      return spec;
    }
    case SqlConnector::kOdbc: {
#ifndef TILLBRIDGE_WITH_ODBC
      return Status::InvalidArgument(
          "pos.connector = odbc, but this build has no ODBC support (build with unixODBC)");
#else
      if (raw.empty()) {
        return Status::InvalidArgument(
            "pos.connection_string: the ODBC connector needs a connection string such as "
            "DSN=pos;UID=reader;PWD=... or Driver={...};Server=...");
      }
      spec.connection_string = raw;
      spec.display = "odbc (pos.connection_string)";
      return spec;
#endif
    }
  }
  return Status::InvalidArgument("unknown connector");
}

PosDatabase::PosDatabase(PosConnectionSpec spec, std::unique_ptr<Session> session)
    : spec_(std::move(spec)), session_(std::move(session)) {}

PosDatabase::~PosDatabase() {
  // Poco 1.11 only PQfinish()es a PostgreSQL connection whose status is OK,
  // so a dead one would leak: try once to bring it back so it can be freed.
  if (broken_ && CanRevive()) ResetPostgres();
  try {
    if (session_ && session_->session) session_->session->close();
  } catch (const Poco::Exception&) {
    // Closing a dead connection can throw; there is nothing left to release.
  }
}

bool PosDatabase::ResetPostgres() {
  try {
    auto* impl = dynamic_cast<Poco::Data::PostgreSQL::SessionImpl*>(session_->session->impl());
    return impl != nullptr && impl->handle().reset();
  } catch (const Poco::Exception&) {
    return false;
  }
}

Status PosDatabase::Revive() {
  if (!broken_) return Status::Ok();
  if (!CanRevive()) {
    return Status::FailedPrecondition(spec_.display + ": connection cannot be revived");
  }
  if (!ResetPostgres()) {
    return Status::Unavailable("cannot connect to " + spec_.display + ": server not reachable");
  }
  broken_ = false;
  in_snapshot_ = false;
  return Setup();
}

Result<std::unique_ptr<PosDatabase>> PosDatabase::Connect(const PosConnectionSpec& spec) {
  RegisterConnectors();
  if (!spec.sqlite_file.empty()) {
    // Poco retries opening a missing SQLite file until the timeout; a
    // missing file is reported at once instead.
    std::error_code error;
    if (!std::filesystem::is_regular_file(spec.sqlite_file, error)) {
      return Status::Unavailable("cannot open " + spec.display + ": " +
                                 (std::filesystem::exists(spec.sqlite_file, error)
                                      ? "not a regular file"
                                      : "no such file"));
    }
  }
  // For SQLite the timeout only bounds Poco's retries of a file it cannot
  // open, so one second is plenty.
  const auto seconds =
      spec.connector == SqlConnector::kSqlite
          ? std::size_t{1}
          : static_cast<std::size_t>(std::max<std::int64_t>(
                1, std::chrono::duration_cast<std::chrono::seconds>(spec.connect_timeout).count()));
  std::unique_ptr<Poco::Data::Session> session;
  try {
    session = std::make_unique<Poco::Data::Session>(PocoConnectorKey(spec.connector),
                                                    spec.connection_string, seconds);
  } catch (const Poco::Exception& error) {
    return Status::Unavailable("cannot connect to " + spec.display + ": " + CleanMessage(error));
  }
  if (spec.connector == SqlConnector::kPostgreSql) {
    // Set once per connection: PQreset (Revive) keeps the processor.
    try {
      auto* impl = dynamic_cast<Poco::Data::PostgreSQL::SessionImpl*>(session->impl());
      if (impl != nullptr) PQsetNoticeProcessor(impl->handle(), &LogPostgresNotice, nullptr);
    } catch (const Poco::Exception&) {
      // A connection without a handle fails at the first statement instead.
    }
  }
  std::unique_ptr<PosDatabase> db(
      new PosDatabase(spec, std::make_unique<Session>(std::move(session))));
  Status setup = db->Setup();
  if (!setup.ok()) return setup;
  if (spec.connector == SqlConnector::kSqlite) {
    // Opening a SQLite file is lazy; read the schema now so that a missing or
    // unreadable file fails here rather than on the first poll.
    auto probe = db->Query("SELECT count(*) FROM sqlite_master");
    if (!probe.ok()) {
      return Status::Unavailable("cannot read " + spec.display + ": " + probe.status().message());
    }
  }
  return db;
}

Status PosDatabase::Setup() {
  // Belt and braces on top of the read-only user / URI: the session itself
  // refuses writes, so a mistaken query override cannot change the POS.
  std::vector<std::string> statements;
  switch (spec_.connector) {
    case SqlConnector::kSqlite:
      try {
        session_->session->setConnectionTimeout(2);  // busy timeout while a writer commits
      } catch (const Poco::Exception&) {
      }
      statements = {"PRAGMA query_only = 1"};
      break;
    case SqlConnector::kMySql:
      statements = {"SET NAMES utf8mb4",
                    "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"};
      break;
    case SqlConnector::kPostgreSql:
      statements = {"SET client_encoding = 'UTF8'", "SET default_transaction_read_only = on"};
      break;
    case SqlConnector::kOdbc:
      break;
  }
  for (const auto& sql : statements) {
    Status status = Execute(sql);
    if (!status.ok()) {
      return Status::Unavailable("connected to " + spec_.display +
                                 " but could not prepare the session (" + sql +
                                 "): " + status.message());
    }
  }
  return Status::Ok();
}

Status PosDatabase::Classify(std::string_view what, std::string_view error, bool connection_error) {
  if (!connection_error && spec_.connector != SqlConnector::kSqlite) {
    // A statement error on a server may really be a dropped connection; a
    // trivial query tells the two apart. Inside a snapshot the failed
    // transaction is left first (PostgreSQL refuses every statement until
    // then); outside one there is nothing to roll back, and a ROLLBACK would
    // only earn a "no transaction in progress" warning.
    if (in_snapshot_) {
      in_snapshot_ = false;
      try {
        Poco::Data::Statement rollback(*session_->session);
        rollback << "ROLLBACK";
        rollback.execute();
      } catch (const Poco::Exception&) {
      }
    }
    try {
      Poco::Data::Statement probe(*session_->session);
      probe << "SELECT 1";
      probe.execute();
    } catch (const Poco::Exception&) {
      connection_error = true;
    }
  }
  if (connection_error) {
    broken_ = true;
    return Status::Unavailable(spec_.display + ": " + std::string(what) +
                               " failed: " + std::string(error));
  }
  return Status::FailedPrecondition(spec_.display + ": " + std::string(what) +
                                    std::string(kRejected) + std::string(error));
}

Status PosDatabase::Execute(const std::string& sql) {
  if (broken_) return Status::Unavailable(spec_.display + ": connection lost");
  try {
    Poco::Data::Statement statement(*session_->session);
    statement << sql;
    statement.execute();
    return Status::Ok();
  } catch (const Poco::Data::SQLite::DBLockedException& error) {
    return Status::Unavailable(spec_.display +
                               " is locked by another program: " + CleanMessage(error));
  } catch (const Poco::Data::SQLite::TableLockedException& error) {
    return Status::Unavailable(spec_.display +
                               " is locked by another program: " + CleanMessage(error));
  } catch (const Poco::Data::MySQL::ConnectionException& error) {
    return Classify("'" + sql + "'", CleanMessage(error), true);
  } catch (const Poco::Data::PostgreSQL::ConnectionException& error) {
    return Classify("'" + sql + "'", CleanMessage(error), true);
  } catch (const Poco::Exception& error) {
    return Classify("'" + sql + "'", DatabaseReason(error), false);
  }
}

Result<std::vector<SqlRow>> PosDatabase::Query(const std::string& sql,
                                               const std::vector<SqlParam>& params) {
  if (broken_) return Status::Unavailable(spec_.display + ": connection lost");
  const auto summary = [&] {
    // One line, indentation of multi-line profile queries folded.
    std::string text;
    for (char c : sql) {
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
      if (c == ' ' && (text.empty() || text.back() == ' ')) continue;
      text += c;
      if (text.size() > 120) break;
    }
    const bool cut = text.size() > 120;
    if (cut) text.resize(120);
    return "query '" + text + (cut ? "...'" : "'");
  };
  try {
    Poco::Data::Statement statement(*session_->session);
    statement << sql;
    // Bindings hold references, so the values live in vectors sized up front.
    std::vector<Poco::Int64> ints(params.size());
    std::vector<std::string> texts(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      if (params[i].is_int) {
        ints[i] = params[i].int_value;
        statement, Poco::Data::Keywords::use(ints[i]);
      } else {
        texts[i] = params[i].text;
        statement, Poco::Data::Keywords::use(texts[i]);
      }
    }
    statement.execute();
    Poco::Data::RecordSet records(statement);
    const std::size_t columns = records.columnCount();
    const std::size_t rows = records.rowCount();
    std::vector<SqlRow> out;
    out.reserve(rows);
    for (std::size_t r = 0; r < rows; ++r) {
      SqlRow row(columns);
      for (std::size_t c = 0; c < columns; ++c) {
        const Poco::Dynamic::Var& value = records.value(c, r);
        if (!value.isEmpty()) row[c] = value.convert<std::string>();
      }
      out.push_back(std::move(row));
    }
    return out;
  } catch (const Poco::Data::SQLite::DBLockedException& error) {
    return Status::Unavailable(spec_.display +
                               " is locked by another program: " + CleanMessage(error));
  } catch (const Poco::Data::SQLite::TableLockedException& error) {
    return Status::Unavailable(spec_.display +
                               " is locked by another program: " + CleanMessage(error));
  } catch (const Poco::Data::SQLite::CantOpenDBFileException& error) {
    return Classify(summary(), CleanMessage(error), true);
  } catch (const Poco::Data::SQLite::IOErrorException& error) {
    return Classify(summary(), CleanMessage(error), true);
  } catch (const Poco::Data::MySQL::ConnectionException& error) {
    return Classify(summary(), CleanMessage(error), true);
  } catch (const Poco::Data::PostgreSQL::ConnectionException& error) {
    return Classify(summary(), CleanMessage(error), true);
  } catch (const Poco::Exception& error) {
    return Classify(summary(), DatabaseReason(error), false);
  }
}

Status PosDatabase::BeginSnapshot() {
  std::string sql;
  switch (spec_.connector) {
    case SqlConnector::kSqlite:
      sql = "BEGIN";
      break;
    case SqlConnector::kMySql:
      sql = "START TRANSACTION READ ONLY";
      break;
    case SqlConnector::kPostgreSql:
      sql = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
      break;
    case SqlConnector::kOdbc:
      return Status::Ok();
  }
  TB_RETURN_IF_ERROR(Execute(sql));
  in_snapshot_ = true;
  return Status::Ok();
}

void PosDatabase::EndSnapshot() {
  if (!in_snapshot_ || broken_) return;
  in_snapshot_ = false;
  // The snapshot only read; ending it cannot lose anything, so a failure
  // here is left for the next statement to report.
  (void)Execute("COMMIT");
}

Result<std::optional<std::int64_t>> PosDatabase::DataVersion() {
  if (spec_.connector != SqlConnector::kSqlite) return std::optional<std::int64_t>();
  auto rows = Query("PRAGMA data_version");
  if (!rows.ok()) return rows.status();
  if (rows->empty() || rows->front().empty() || !rows->front()[0]) {
    return Status::Internal("PRAGMA data_version returned nothing");
  }
  try {
    return std::optional<std::int64_t>(std::stoll(*rows->front()[0]));
  } catch (const std::exception&) {
    return Status::Internal("PRAGMA data_version returned '" + *rows->front()[0] + "'");
  }
}

std::string RejectionReason(const Status& status) {
  const std::string& message = status.message();
  const size_t at = message.find(kRejected);
  return at == std::string::npos ? message : message.substr(at + kRejected.size());
}

std::string PosDatabase::Placeholder(int index) const {
  if (spec_.connector == SqlConnector::kPostgreSql) return "$" + std::to_string(index);
  return "?";
}

std::string PosDatabase::TextCast(std::string_view expression) const {
  switch (spec_.connector) {
    case SqlConnector::kMySql:
      return "CAST(" + std::string(expression) + " AS CHAR)";
    case SqlConnector::kOdbc:
      return "CAST(" + std::string(expression) + " AS VARCHAR(4000))";
    case SqlConnector::kSqlite:
    case SqlConnector::kPostgreSql:
      return "CAST(" + std::string(expression) + " AS TEXT)";
  }
  return std::string(expression);
}

}  // namespace tillbridge::drivers
