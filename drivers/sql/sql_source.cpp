#include "drivers/sql/sql_source.h"

#include <algorithm>
#include <thread>

#include "common/log.h"
#include "common/platform/files.h"
#include "drivers/sql/sql_source_impl.h"

namespace tillbridge::drivers {
namespace {

constexpr std::string_view kLog = "pos";

}  // namespace

std::string_view SqlConnectorName(SqlConnector connector) {
  switch (connector) {
    case SqlConnector::kSqlite:
      return "sqlite";
    case SqlConnector::kMySql:
      return "mysql";
    case SqlConnector::kPostgreSql:
      return "postgresql";
    case SqlConnector::kOdbc:
      return "odbc";
  }
  return "sqlite";
}

SqlSource::SqlSource(SqlSourceOptions options, PosProfile profile, SqlConnector connector,
                     PosConnectionSpec connection, TimeZone zone, const PhoneNormalizer& phone,
                     std::unique_ptr<PhoneNormalizer> own_phone, const Clock& clock)
    : options_(std::move(options)),
      profile_(std::move(profile)),
      connection_(std::move(connection)),
      zone_(std::move(zone)),
      own_phone_(std::move(own_phone)),
      phone_(own_phone_ ? *own_phone_ : phone),
      clock_(clock),
      polls_(MetricsRegistry::Global().GetCounter(
          "tillbridge_pos_polls_total{source=\"" + options_.name + "\"}",
          "Poll calls on the POS database source")),
      reads_(MetricsRegistry::Global().GetCounter(
          "tillbridge_pos_reads_total{source=\"" + options_.name + "\"}",
          "Times the source read sales from the POS database (idle SQLite polls read none)")),
      records_(MetricsRegistry::Global().GetCounter(
          "tillbridge_pos_records_total{source=\"" + options_.name + "\"}",
          "Transaction records read from the POS database")),
      errors_(MetricsRegistry::Global().GetCounter(
          "tillbridge_pos_errors_total{source=\"" + options_.name + "\"}",
          "Failed reads of the POS database")) {
  connection_.connector = connector;
}

SqlSource::~SqlSource() = default;

SourceHealth SqlSource::Health() const {
  std::lock_guard lock(health_mutex_);
  return health_;
}

Status SqlSource::Fail(Status status) {
  errors_.Increment();
  std::string message = status.message();
  const std::string prefix = "POS source '" + options_.name + "'";
  if (message.rfind(prefix, 0) != 0) {
    message = prefix + " (profile " + profile_.name + "): " + message;
  }
  // A broken connection is dropped so the next call reconnects, except one
  // that is revived in place (PostgreSQL).
  if (db_ && db_->broken() && !db_->CanRevive()) {
    sql_.reset();
    db_.reset();
  }
  {
    std::lock_guard lock(health_mutex_);
    if (message != health_.last_error) LogError(kLog, message);
    health_.last_error = message;
    health_.connected = db_ != nullptr && !db_->broken();
  }
  was_failing_ = true;
  return Status(status.code(), message);
}

void SqlSource::Recovered() {
  std::lock_guard lock(health_mutex_);
  if (was_failing_) {
    LogInfo(kLog, "POS source '" + options_.name + "': reading " + connection_.display +
                      " again after: " + health_.last_error);
  }
  was_failing_ = false;
  health_.last_error.clear();
  health_.connected = true;
}

bool SqlSource::SqliteFileReplaced() {
  const std::string& path = options_.connection_string.empty() ? options_.database : std::string();
  if (connection_.connector != SqlConnector::kSqlite || path.empty() ||
      path.rfind("file:", 0) == 0) {
    return false;
  }
  std::filesystem::path file(path);
  if (file.is_relative() && !options_.base_dir.empty()) file = options_.base_dir / file;
  const std::string identity = platform::FileIdentity(file.string());
  if (file_identity_.empty()) {
    file_identity_ = identity;
    return false;
  }
  return identity != file_identity_;
}

Status SqlSource::EnsureConnected() {
  if (db_ && !db_->broken()) {
    if (!SqliteFileReplaced()) return Status::Ok();
    LogInfo(kLog, "POS source '" + options_.name + "': " + connection_.display +
                      " was replaced; reopening it");
  } else if (db_ && db_->CanRevive()) {
    Status revived = db_->Revive();
    if (!revived.ok()) return Fail(revived);
    last_data_version_.reset();
    recheck_pending_ = true;
    std::lock_guard lock(health_mutex_);
    health_.connected = true;
    return Status::Ok();
  }
  sql_.reset();
  db_.reset();
  file_identity_.clear();
  SqliteFileReplaced();  // remember the file now being opened
  auto db = PosDatabase::Connect(connection_);
  if (!db.ok()) {
    file_identity_.clear();
    return Fail(db.status());
  }
  db_ = std::move(db).value();
  sql_ = std::make_unique<ProfileSql>(profile_, *db_);
  last_data_version_.reset();
  recheck_pending_ = true;
  {
    std::lock_guard lock(health_mutex_);
    health_.connected = true;
  }
  return Status::Ok();
}

Status SqlSource::Open() {
  TB_RETURN_IF_ERROR(EnsureConnected());
  // Run each query once with no rows, so a schema that does not match the
  // profile is reported now, naming the query, rather than at the first poll.
  const std::pair<const char*, const ProfileQuery*> queries[] = {{"sales", &profile_.sales},
                                                                 {"lines", &profile_.lines},
                                                                 {"payments", &profile_.payments},
                                                                 {"coupons", &profile_.coupons},
                                                                 {"held", &profile_.held}};
  const std::vector<std::string>* fields[] = {
      &sql_->SalesFieldList(), &sql_->DetailFieldList(DetailKind::kLines),
      &sql_->DetailFieldList(DetailKind::kPayments), &sql_->DetailFieldList(DetailKind::kCoupons),
      &sql_->HeldFieldList()};
  for (size_t i = 0; i < std::size(queries); ++i) {
    if (queries[i].second->sql.empty()) continue;
    auto probe = db_->Query(sql_->Probe(*queries[i].second, *fields[i]));
    if (!probe.ok()) {
      const Status& error = probe.status();
      if (error.code() == StatusCode::kUnavailable) return Fail(error);
      return Fail(Status::FailedPrecondition(
          "the database does not match profile '" + profile_.name + "': [" + queries[i].first +
          "] query failed (run `tillbridge doctor` for every mismatch): " + error.message()));
    }
  }
  Recovered();
  return Status::Ok();
}

Result<Batch> SqlSource::Poll(const Cursor& cursor_text, std::chrono::milliseconds wait) {
  polls_.Increment();
  SourceCursor base;
  bool same_cursor = have_output_ && cursor_text == last_output_cursor_;
  if (same_cursor && last_output_state_) {
    base = *last_output_state_;
  } else {
    auto decoded = DecodeCursor(cursor_text);
    if (!decoded.ok()) return Fail(Status::FailedPrecondition(decoded.status().message()));
    base = std::move(decoded).value();
  }
  const bool server = connection_.connector != SqlConnector::kSqlite;
  const auto deadline = std::chrono::steady_clock::now() + wait;

  for (;;) {
    TB_RETURN_IF_ERROR(EnsureConnected());
    const UnixMillis now = clock_.NowMillis();
    std::optional<std::int64_t> version;
    bool changed = true;
    if (!server) {
      auto current = db_->DataVersion();
      if (!current.ok()) return Fail(current.status());
      version = *current;
      changed = !last_data_version_ || *last_data_version_ != *version;
    }
    if (changed || server) recheck_pending_ = true;
    bool due = false;
    for (const auto* list : {&base.window, &base.held, &base.baskets}) {
      for (const auto& sale : *list) {
        due = due || AbandonDue(sale, now, options_.abandon_after.count());
      }
    }
    const auto steady = std::chrono::steady_clock::now();
    const bool recheck_time = steady - last_recheck_ >= options_.recheck_interval;
    const bool force = !same_cursor || !base.started;
    // An idle SQLite database costs one PRAGMA per poll: nothing is read
    // unless another connection committed or time made a basket abandoned.
    if (force || changed || due || more_waiting_ || (recheck_pending_ && recheck_time)) {
      const bool recheck = force || (recheck_pending_ && recheck_time);
      SourceCursor next = base;
      auto records = Tick(next, recheck);
      if (!records.ok()) return Fail(records.status());
      Recovered();
      if (recheck) {
        last_recheck_ = steady;
        recheck_pending_ = server;
      }
      last_data_version_ = version;
      std::string text = EncodeCursor(next);
      last_output_cursor_ = text;
      last_output_state_ = next;
      have_output_ = true;
      if (!records->empty() || text != cursor_text) {
        records_.Increment(static_cast<std::int64_t>(records->size()));
        return Batch{std::move(records).value(), std::move(text)};
      }
      base = std::move(next);
      same_cursor = true;
    }
    const auto remaining = deadline - std::chrono::steady_clock::now();
    if (remaining <= std::chrono::steady_clock::duration::zero()) {
      return Batch{{}, cursor_text};
    }
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(remaining, options_.poll_interval));
  }
}

Result<std::unique_ptr<TransactionSource>> MakeSqlSource(const SqlSourceOptions& options,
                                                         const PhoneNormalizer& phone,
                                                         const Clock& clock) {
  if (options.name.empty()) return Status::InvalidArgument("pos.name must not be empty");
  if (options.batch_size < 1 || options.batch_size > 100000) {
    return Status::InvalidArgument("pos.batch_size must be between 1 and 100000");
  }
  if (options.lookback_sales < 0 || options.lookback_sales > 100000) {
    return Status::InvalidArgument("pos.lookback_sales must be between 0 and 100000");
  }
  if (options.poll_interval.count() <= 0) {
    return Status::InvalidArgument("pos.poll_interval must be positive");
  }
  auto profile = LoadPosProfile(options);
  if (!profile.ok()) return profile.status();
  std::optional<SqlConnector> connector =
      options.connector ? options.connector : profile->connector;
  if (!connector) {
    return Status::InvalidArgument("pos.connector is not set and profile '" + profile->name +
                                   "' names no connector (sqlite, mysql, postgresql)");
  }
  auto connection = MakeConnectionSpec(options, *connector);
  if (!connection.ok()) return connection.status();
  TimeZone zone;
  if (profile->times == TimeBasis::kLocal) {
    auto loaded = TimeZone::Load(options.time_zone, options.zoneinfo_dir);
    if (!loaded.ok()) return Status::InvalidArgument("pos.time_zone: " + loaded.status().message());
    zone = std::move(loaded).value();
  }
  std::unique_ptr<PhoneNormalizer> own_phone;
  if (!options.default_region.empty()) {
    if (!PhoneNormalizer::IsKnownRegion(options.default_region)) {
      return Status::InvalidArgument("pos.default_region '" + options.default_region +
                                     "' is not a known region code (use e.g. US, GB, DE)");
    }
    own_phone = std::make_unique<PhoneNormalizer>(options.default_region);
  }
  return std::unique_ptr<TransactionSource>(
      new SqlSource(options, std::move(profile).value(), *connector, std::move(connection).value(),
                    std::move(zone), phone, std::move(own_phone), clock));
}

}  // namespace tillbridge::drivers
