// The pos.* configuration keys and their conversion to SqlSourceOptions.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "common/time_zone.h"
#include "drivers/sql/pos_profile.h"
#include "drivers/sql/sql_source.h"

namespace tillbridge::drivers {
namespace {

constexpr std::int64_t kSecond = 1000;

const ConfigKeySpec* FindSpec(std::string_view key) {
  for (const auto& spec : SqlSourceConfigKeys()) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

// The configured value, or the declared default when absent.
std::string Value(const ConfigValues& values, std::string_view key) {
  if (values.Has(key)) return values.GetString(key);
  const ConfigKeySpec* spec = FindSpec(key);
  return spec ? spec->default_value : std::string();
}

Status KeyError(std::string_view key, const std::string& why) {
  return Status::InvalidArgument(std::string(key) + ": " + why);
}

Result<std::chrono::milliseconds> Duration(const ConfigValues& values, std::string_view key) {
  const std::string text = Value(values, key);
  const ConfigKeySpec* spec = FindSpec(key);
  if (spec) {
    Status status = ValidateConfigValue(*spec, text);
    if (!status.ok()) return KeyError(key, status.message());
  }
  auto parsed = ParseDuration(text);
  if (!parsed.ok()) return KeyError(key, parsed.status().message());
  return *parsed;
}

Result<std::int64_t> Int(const ConfigValues& values, std::string_view key) {
  const std::string text = Value(values, key);
  const ConfigKeySpec* spec = FindSpec(key);
  if (spec) {
    Status status = ValidateConfigValue(*spec, text);
    if (!status.ok()) return KeyError(key, status.message());
  }
  return std::stoll(text);
}

}  // namespace

const std::vector<ConfigKeySpec>& SqlSourceConfigKeys() {
  static const std::vector<ConfigKeySpec> keys = {
      {"pos.enabled", ConfigType::kBool, "false", "Read transactions from the POS database."},
      {"pos.name", ConfigType::kString, "pos",
       "Name of this source; keys its cursor in the store and appears in events."},
      {"pos.profile", ConfigType::kString, "demo",
       "POS profile: built-in ospos, demo or generic, or the path of a profile file "
       "(docs/pos-profiles.md)."},
      {"pos.connector",
       ConfigType::kEnum,
       "",
       "Database connector; empty uses the profile's (ospos: mysql, demo: sqlite).",
       {"sqlite", "mysql", "postgresql", "odbc"}},
      {"pos.connection_string", ConfigType::kSecret, "",
       "Full connector string; overrides host, port, database, user and password. "
       "ODBC needs it (DSN=...)."},
      {"pos.host", ConfigType::kString, "127.0.0.1", "Database server host (mysql, postgresql)."},
      {"pos.port",
       ConfigType::kInt,
       "0",
       "Database server port; 0 uses 3306 (mysql) or 5432 "
       "(postgresql).",
       {},
       0,
       65535},
      {"pos.database", ConfigType::kString, "",
       "Database name on the server, or the POS's SQLite file (relative to the config file)."},
      {"pos.user", ConfigType::kString, "", "Database user; give it SELECT only."},
      {"pos.password", ConfigType::kSecret, "", "Database password (or use pos.password_file)."},
      {"pos.password_file", ConfigType::kPath, "",
       "File whose first line is the database password."},
      {"pos.connect_timeout",
       ConfigType::kDuration,
       "5s",
       "Timeout for connecting to the POS "
       "database.",
       {},
       1 * kSecond,
       300 * kSecond},
      {"pos.poll_interval",
       ConfigType::kDuration,
       "250ms",
       "How often the POS database is checked for new sales.",
       {},
       10,
       60 * kSecond},
      {"pos.recheck_interval",
       ConfigType::kDuration,
       "1s",
       "How often recent sales are re-read for voids, refunds and held baskets completed.",
       {},
       0,
       600 * kSecond},
      {"pos.abandon_after",
       ConfigType::kDuration,
       "30m",
       "A held (suspended) sale not completed for this long is reported as basket.abandoned.",
       {},
       1 * kSecond,
       30LL * 24 * 3600 * kSecond},
      {"pos.held_max_age",
       ConfigType::kDuration,
       "7d",
       "Held sales older than this are no longer watched for completion.",
       {},
       60 * kSecond,
       365LL * 24 * 3600 * kSecond},
      {"pos.gap_timeout",
       ConfigType::kDuration,
       "10m",
       "How long skipped sale ids are watched for a transaction that commits late.",
       {},
       0,
       24LL * 3600 * kSecond},
      {"pos.batch_size", ConfigType::kInt, "500", "Most new sales read per poll.", {}, 1, 10000},
      {"pos.lookback_sales",
       ConfigType::kInt,
       "500",
       "How many recent sales are re-read for later voids and refunds.",
       {},
       0,
       20000},
      {"pos.start_from",
       ConfigType::kEnum,
       "now",
       "On the very first start: report only new sales (now) or every sale in the database "
       "(beginning).",
       {"now", "beginning"}},
      {"pos.time_zone", ConfigType::kString, "local",
       "Time zone of the POS's local times: local (this computer's: /etc/localtime, or on "
       "Windows the zone set in Settings, daylight saving included), UTC, an offset (+02:00) "
       "or an IANA name (Europe/Berlin)."},
      {"pos.zoneinfo_dir", ConfigType::kPath, kDefaultZoneinfoDir,
       "Folder of the IANA time zone database, for IANA names (Windows has none: use local "
       "there, or a folder copied from a Linux machine)."},
      {"pos.currency", ConfigType::kString, "USD",
       "ISO 4217 currency of the POS when the profile reads none."},
      {"pos.default_region", ConfigType::kString, "",
       "Region (US, GB, DE, ...) for customer phone numbers without a country code; empty uses "
       "the agent's."},
      {"pos.query.sales", ConfigType::kString, "", "Replaces the profile's [sales] query."},
      {"pos.query.lines", ConfigType::kString, "", "Replaces the profile's [lines] query."},
      {"pos.query.payments", ConfigType::kString, "", "Replaces the profile's [payments] query."},
      {"pos.query.coupons", ConfigType::kString, "", "Replaces the profile's [coupons] query."},
      {"pos.query.held", ConfigType::kString, "",
       "Replaces the profile's [held] query (held baskets kept in a table of their own)."},
  };
  return keys;
}

Result<SqlSourceOptions> SqlSourceOptionsFrom(const ConfigValues& values,
                                              const std::filesystem::path& base_dir) {
  SqlSourceOptions options;
  options.base_dir = base_dir;
  for (const auto& [key, value] : values.all()) {
    if (key.rfind("pos.", 0) != 0) continue;
    const ConfigKeySpec* spec = FindSpec(key);
    if (!spec) return KeyError(key, "unknown key");
    if (spec->type == ConfigType::kEnum && value.empty()) continue;
    Status status = ValidateConfigValue(*spec, value);
    if (!status.ok()) return KeyError(key, status.message());
  }

  options.name = Value(values, "pos.name");
  if (options.name.empty()) return KeyError("pos.name", "must not be empty");
  options.profile = Value(values, "pos.profile");
  const std::string connector = Value(values, "pos.connector");
  if (connector == "sqlite")
    options.connector = SqlConnector::kSqlite;
  else if (connector == "mysql")
    options.connector = SqlConnector::kMySql;
  else if (connector == "postgresql")
    options.connector = SqlConnector::kPostgreSql;
  else if (connector == "odbc")
    options.connector = SqlConnector::kOdbc;
  options.connection_string = Value(values, "pos.connection_string");
  options.host = Value(values, "pos.host");
  auto port = Int(values, "pos.port");
  if (!port.ok()) return port.status();
  options.port = static_cast<int>(*port);
  options.database = Value(values, "pos.database");
  options.user = Value(values, "pos.user");
  options.password = Value(values, "pos.password");
  const std::string password_file = Value(values, "pos.password_file");
  if (!password_file.empty()) {
    if (!options.password.empty()) {
      return KeyError("pos.password_file",
                      "set either pos.password or pos.password_file, not both");
    }
    std::filesystem::path path(password_file);
    if (path.is_relative()) path = base_dir / path;
    std::ifstream in(path);
    if (!in) return KeyError("pos.password_file", "cannot read '" + path.string() + "'");
    std::getline(in, options.password);
    if (!options.password.empty() && options.password.back() == '\r') options.password.pop_back();
    if (options.password.empty()) {
      return KeyError("pos.password_file", path.string() + ": the first line is empty");
    }
  }

  for (auto [key, target] : {std::pair{"pos.connect_timeout", &options.connect_timeout},
                             std::pair{"pos.poll_interval", &options.poll_interval},
                             std::pair{"pos.recheck_interval", &options.recheck_interval},
                             std::pair{"pos.abandon_after", &options.abandon_after},
                             std::pair{"pos.held_max_age", &options.held_max_age},
                             std::pair{"pos.gap_timeout", &options.gap_timeout}}) {
    auto duration = Duration(values, key);
    if (!duration.ok()) return duration.status();
    *target = *duration;
  }
  auto batch = Int(values, "pos.batch_size");
  if (!batch.ok()) return batch.status();
  options.batch_size = static_cast<int>(*batch);
  auto lookback = Int(values, "pos.lookback_sales");
  if (!lookback.ok()) return lookback.status();
  options.lookback_sales = static_cast<int>(*lookback);
  options.start_from =
      Value(values, "pos.start_from") == "beginning" ? StartFrom::kBeginning : StartFrom::kNow;

  options.time_zone = Value(values, "pos.time_zone");
  options.zoneinfo_dir = Value(values, "pos.zoneinfo_dir");
  if (auto zone = TimeZone::Load(options.time_zone, options.zoneinfo_dir); !zone.ok()) {
    return KeyError("pos.time_zone", zone.status().message());
  }
  options.currency = Value(values, "pos.currency");
  const bool currency_ok =
      options.currency.size() == 3 &&
      std::all_of(options.currency.begin(), options.currency.end(),
                  [](char c) { return std::isupper(static_cast<unsigned char>(c)); });
  if (!currency_ok) {
    return KeyError("pos.currency",
                    "expected an ISO 4217 code such as USD or EUR, got '" + options.currency + "'");
  }
  options.default_region = Value(values, "pos.default_region");
  if (!options.default_region.empty() && !PhoneNormalizer::IsKnownRegion(options.default_region)) {
    return KeyError("pos.default_region", "'" + options.default_region +
                                              "' is not a known region code (use e.g. US, GB, DE)");
  }
  options.sales_query = Value(values, "pos.query.sales");
  options.lines_query = Value(values, "pos.query.lines");
  options.payments_query = Value(values, "pos.query.payments");
  options.coupons_query = Value(values, "pos.query.coupons");
  options.held_query = Value(values, "pos.query.held");

  // Load the profile now so that a bad profile is reported against its key
  // when the configuration is read, not when the source starts.
  auto profile = LoadPosProfile(options);
  if (!profile.ok()) return KeyError("pos.profile", profile.status().message());
  if (!options.connector && !profile->connector) {
    return KeyError("pos.connector",
                    "not set, and profile '" + profile->name + "' names no connector");
  }
  return options;
}

}  // namespace tillbridge::drivers
