#include "drivers/sql/pos_profile.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "drivers/sql/builtin_profiles.h"
#include "drivers/sql/profile_text.h"

namespace tillbridge::drivers {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string item = Trim(text.substr(start, comma - start));
    if (!item.empty()) items.push_back(std::move(item));
    start = comma + 1;
  }
  return items;
}

// Column names are spliced into generated SQL, so only plain identifiers are
// accepted; a POS column with another name gets an alias in the query.
bool IsIdentifier(std::string_view text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text.front()))) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool IsQualifiedName(std::string_view text) {
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos) return IsIdentifier(text);
  return IsIdentifier(text.substr(0, dot)) && IsIdentifier(text.substr(dot + 1));
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// Skips leading whitespace and SQL comments, then returns the first word.
std::string FirstSqlWord(std::string_view sql) {
  size_t i = 0;
  for (;;) {
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
    if (sql.substr(i, 2) == "--") {
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (sql.substr(i, 2) == "/*") {
      const size_t close = sql.find("*/", i + 2);
      i = close == std::string_view::npos ? sql.size() : close + 2;
    } else {
      break;
    }
  }
  size_t j = i;
  while (j < sql.size() && std::isalpha(static_cast<unsigned char>(sql[j]))) ++j;
  return Lower(sql.substr(i, j - i));
}

// True when ';' appears outside string literals, quoted names and comments.
bool HasStatementSeparator(std::string_view sql) {
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {
      const size_t close = sql.find(c, i + 1);
      if (close == std::string_view::npos) return false;  // the database reports it
      i = close;
    } else if (sql.substr(i, 2) == "--") {
      const size_t end = sql.find('\n', i);
      if (end == std::string_view::npos) return false;
      i = end;
    } else if (sql.substr(i, 2) == "/*") {
      const size_t end = sql.find("*/", i + 2);
      if (end == std::string_view::npos) return false;
      i = end + 1;
    } else if (c == ';') {
      return true;
    }
  }
  return false;
}

// A single trailing ';' is harmless and common when SQL is pasted in.
void StripTrailingSemicolon(std::string& sql) {
  size_t end = sql.find_last_not_of(" \t\r\n");
  if (end != std::string::npos && sql[end] == ';') sql.erase(end);
  while (!sql.empty() && std::isspace(static_cast<unsigned char>(sql.back()))) sql.pop_back();
}

const ProfileFields* FieldsFor(std::string_view section) {
  if (section == "sales") return &SalesFields();
  if (section == "lines") return &LineFields();
  if (section == "payments") return &PaymentFields();
  if (section == "coupons") return &CouponFields();
  if (section == "held") return &HeldFields();
  return nullptr;
}

ProfileQuery* QueryFor(PosProfile& profile, std::string_view section) {
  if (section == "sales") return &profile.sales;
  if (section == "lines") return &profile.lines;
  if (section == "payments") return &profile.payments;
  if (section == "coupons") return &profile.coupons;
  if (section == "held") return &profile.held;
  return nullptr;
}

Status CheckQuery(const PosProfile& profile, const ProfileQuery& query, std::string_view section) {
  if (query.sql.empty()) return Status::Ok();
  const std::string word = FirstSqlWord(query.sql);
  if (word != "select" && word != "with") {
    return Status::InvalidArgument(profile.origin + ": [" + std::string(section) +
                                   "] query must be a SELECT (or WITH ... SELECT) statement, "
                                   "not '" +
                                   word + "': the agent only reads the POS database");
  }
  if (HasStatementSeparator(query.sql)) {
    // A second statement could write; queries are run wrapped in a subquery,
    // where a ';' would be a syntax error anyway.
    return Status::InvalidArgument(profile.origin + ": [" + std::string(section) +
                                   "] query must be a single statement without ';'");
  }
  return Status::Ok();
}

Result<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::NotFound("cannot read POS profile file '" + path.string() +
                            "' (pos.profile is neither a built-in profile nor a readable file)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > 1024 * 1024) {
    return Status::InvalidArgument("POS profile file '" + path.string() + "' is over 1 MiB");
  }
  return text.str();
}

}  // namespace

std::optional<PosState> ParseCanonicalState(std::string_view word) {
  const std::string value = Lower(Trim(word));
  if (value == "completed" || value == "complete" || value == "sale" || value == "paid") {
    return PosState::kCompleted;
  }
  if (value == "refunded" || value == "refund" || value == "return" || value == "returned") {
    return PosState::kRefunded;
  }
  if (value == "voided" || value == "void" || value == "cancelled" || value == "canceled" ||
      value == "deleted") {
    return PosState::kVoided;
  }
  if (value == "held" || value == "hold" || value == "suspended" || value == "parked") {
    return PosState::kHeld;
  }
  if (value == "ignore" || value == "ignored" || value == "open" || value == "quote") {
    return PosState::kIgnored;
  }
  return std::nullopt;
}

std::optional<PosState> PosProfile::MapState(std::string_view raw) const {
  if (state_values.empty()) return ParseCanonicalState(raw);
  auto it = state_values.find(Lower(Trim(raw)));
  if (it == state_values.end()) return std::nullopt;
  return it->second;
}

const ProfileFields& SalesFields() {
  static const ProfileFields fields{
      {"id", "state", "occurred_at"},
      {"pos_id", "total", "subtotal", "tax", "cashier", "customer_phone", "currency",
       "coupon_codes", "updated_at", "tip", "refund_of", "cursor", "points_earned",
       "points_balance"}};
  return fields;
}

const ProfileFields& LineFields() {
  static const ProfileFields fields{{"sale_id", "quantity", "unit_price"},
                                    {"line_no", "sku", "description", "total", "category"}};
  return fields;
}

const ProfileFields& PaymentFields() {
  static const ProfileFields fields{{"sale_id", "type", "amount"}, {}};
  return fields;
}

const ProfileFields& CouponFields() {
  static const ProfileFields fields{{"sale_id", "code"}, {}};
  return fields;
}

const ProfileFields& HeldFields() {
  static const ProfileFields fields{
      {"id"}, {"occurred_at", "total", "tax", "currency", "cashier", "customer_phone"}};
  return fields;
}

Result<PosProfile> ParsePosProfile(std::string_view text, std::string_view origin) {
  auto entries = ParseProfileText(text, origin);
  if (!entries.ok()) return entries.status();
  PosProfile profile;
  profile.origin = std::string(origin);
  const auto where = [&](const ProfileEntry& entry) {
    return std::string(origin) + " line " + std::to_string(entry.line) + ": ";
  };

  for (const ProfileEntry& entry : *entries) {
    const std::string& section = entry.section;
    if (section == "profile") {
      if (entry.key == "name") {
        profile.name = entry.value;
      } else if (entry.key == "description") {
        profile.description = entry.value;
      } else if (entry.key == "connector") {
        const std::string value = Lower(entry.value);
        if (value == "sqlite")
          profile.connector = SqlConnector::kSqlite;
        else if (value == "mysql" || value == "mariadb")
          profile.connector = SqlConnector::kMySql;
        else if (value == "postgresql" || value == "postgres")
          profile.connector = SqlConnector::kPostgreSql;
        else if (value == "odbc")
          profile.connector = SqlConnector::kOdbc;
        else
          return Status::InvalidArgument(
              where(entry) + "connector must be sqlite, mysql, postgresql or odbc, got '" +
              entry.value + "'");
      } else if (entry.key == "amounts") {
        const std::string value = Lower(entry.value);
        if (value == "major")
          profile.amounts = AmountUnit::kMajor;
        else if (value == "minor")
          profile.amounts = AmountUnit::kMinor;
        else
          return Status::InvalidArgument(
              where(entry) + "amounts must be 'major' (12.50) or 'minor' (1250), got '" +
              entry.value + "'");
      } else if (entry.key == "times") {
        const std::string value = Lower(entry.value);
        if (value == "local")
          profile.times = TimeBasis::kLocal;
        else if (value == "utc")
          profile.times = TimeBasis::kUtc;
        else
          return Status::InvalidArgument(where(entry) + "times must be 'local' or 'utc', got '" +
                                         entry.value + "'");
      } else if (entry.key == "prices") {
        const std::string value = Lower(entry.value);
        if (value != "net" && value != "gross") {
          return Status::InvalidArgument(
              where(entry) + "prices must be 'net' (tax is added on top of the line prices) or "
                             "'gross' (line prices include tax), got '" +
              entry.value + "'");
        }
        profile.prices_include_tax = value == "gross";
      } else if (entry.key == "tip_in_total") {
        const std::string value = Lower(entry.value);
        if (value != "yes" && value != "no" && value != "true" && value != "false") {
          return Status::InvalidArgument(where(entry) + "tip_in_total must be 'yes' or 'no', got '" +
                                         entry.value + "'");
        }
        profile.tip_in_total = value == "yes" || value == "true";
      } else {
        return Status::InvalidArgument(where(entry) + "unknown key '" + entry.key +
                                       "' in [profile] (known: name, description, connector, "
                                       "amounts, times, prices, tip_in_total)");
      }
    } else if (section == "requires") {
      if (!IsQualifiedName(entry.key)) {
        return Status::InvalidArgument(where(entry) + "'" + entry.key + "' is not a table name");
      }
      std::vector<std::string> columns = SplitList(entry.value);
      for (const auto& column : columns) {
        if (!IsIdentifier(column)) {
          return Status::InvalidArgument(where(entry) + "'" + column + "' is not a column name");
        }
      }
      profile.requires_columns.emplace_back(entry.key, std::move(columns));
    } else if (section == "states") {
      auto state = ParseCanonicalState(entry.key);
      if (!state) {
        return Status::InvalidArgument(
            where(entry) + "unknown state '" + entry.key +
            "' in [states] (use completed, refunded, voided, held, ignore)");
      }
      for (const auto& raw : SplitList(entry.value)) {
        auto [it, inserted] = profile.state_values.emplace(Lower(raw), *state);
        if (!inserted && it->second != *state) {
          return Status::InvalidArgument(where(entry) + "value '" + raw +
                                         "' is mapped to two different states");
        }
      }
    } else if (const ProfileFields* fields = FieldsFor(section)) {
      ProfileQuery* query = QueryFor(profile, section);
      if (entry.key == "query") {
        query->sql = entry.value;
        StripTrailingSemicolon(query->sql);
        query->line = entry.line;
        continue;
      }
      if (section == "sales" && entry.key == "id_type") {
        const std::string value = Lower(entry.value);
        if (value != "integer" && value != "text") {
          return Status::InvalidArgument(
              where(entry) + "id_type must be 'integer' or 'text', got '" + entry.value + "'");
        }
        profile.integer_ids = value == "integer";
        continue;
      }
      if (section == "sales" && entry.key == "cursor_type") {
        const std::string value = Lower(entry.value);
        if (value != "integer" && value != "text" && value != "timestamp") {
          return Status::InvalidArgument(where(entry) +
                                         "cursor_type must be 'timestamp', 'integer' or 'text', "
                                         "got '" +
                                         entry.value + "'");
        }
        profile.integer_cursor = value == "integer";
        continue;
      }
      const bool known =
          std::count(fields->required.begin(), fields->required.end(), entry.key) +
              std::count(fields->optional.begin(), fields->optional.end(), entry.key) >
          0;
      if (!known) {
        std::vector<std::string> all = fields->required;
        all.insert(all.end(), fields->optional.begin(), fields->optional.end());
        if (section == "sales") all.insert(all.begin(), {"id_type", "cursor_type"});
        return Status::InvalidArgument(where(entry) + "unknown field '" + entry.key + "' in [" +
                                       section + "] (known: query, " + Join(all) + ")");
      }
      if (!IsIdentifier(entry.value)) {
        return Status::InvalidArgument(
            where(entry) + "[" + section + "] " + entry.key + " = '" + entry.value +
            "': a column name must be letters, digits and '_' (give the column an alias with AS "
            "in the query)");
      }
      query->columns[entry.key] = entry.value;
    } else {
      return Status::InvalidArgument(where(entry) + "unknown section [" + section +
                                     "] (known: profile, requires, sales, lines, payments, "
                                     "coupons, held, states)");
    }
  }

  // Required fields that are not mapped are read from a column of the same
  // name, so a query that aliases its columns needs no mapping at all.
  for (const char* section : {"sales", "lines", "payments", "coupons", "held"}) {
    ProfileQuery* query = QueryFor(profile, section);
    for (const auto& field : FieldsFor(section)->required) {
      query->columns.emplace(field, field);
    }
    TB_RETURN_IF_ERROR(CheckQuery(profile, *query, section));
  }
  if (profile.name.empty()) profile.name = std::string(origin);
  return profile;
}

Result<PosProfile> LoadPosProfile(const SqlSourceOptions& options) {
  Result<PosProfile> parsed = Status::Internal("unset");
  if (auto builtin = BuiltinProfileText(options.profile)) {
    parsed = ParsePosProfile(*builtin, "built-in profile '" + options.profile + "'");
  } else {
    std::filesystem::path path(options.profile);
    if (path.is_relative() && !options.base_dir.empty()) path = options.base_dir / path;
    if (options.profile.find('/') == std::string::npos &&
        options.profile.find('\\') == std::string::npos &&
        options.profile.find('.') == std::string::npos && !std::filesystem::exists(path)) {
      std::string names;
      for (auto name : BuiltinProfileNames())
        names += (names.empty() ? "" : ", ") + std::string(name);
      return Status::InvalidArgument("pos.profile: no built-in profile named '" + options.profile +
                                     "' (built-in: " + names + "; or give a profile file path)");
    }
    auto text = ReadFile(path);
    if (!text.ok()) return text.status();
    parsed = ParsePosProfile(*text, path.string());
  }
  if (!parsed.ok()) return parsed.status();
  PosProfile profile = std::move(parsed).value();

  const std::pair<const std::string*, ProfileQuery*> overrides[] = {
      {&options.sales_query, &profile.sales},
      {&options.lines_query, &profile.lines},
      {&options.payments_query, &profile.payments},
      {&options.coupons_query, &profile.coupons},
      {&options.held_query, &profile.held}};
  const char* const names[] = {"sales", "lines", "payments", "coupons", "held"};
  for (size_t i = 0; i < std::size(names); ++i) {
    if (overrides[i].first->empty()) continue;
    overrides[i].second->sql = *overrides[i].first;
    StripTrailingSemicolon(overrides[i].second->sql);
    overrides[i].second->line = 0;
    auto status = CheckQuery(profile, *overrides[i].second, names[i]);
    if (!status.ok()) {
      return Status::InvalidArgument("pos.query." + std::string(names[i]) + ": " +
                                     status.message());
    }
  }

  if (profile.sales.sql.empty()) {
    return Status::InvalidArgument(
        profile.origin +
        " has no [sales] query. Fill in the [sales], [lines] and [payments] "
        "queries in a copy of drivers/sql/profiles/generic.profile and set pos.profile to its "
        "path, or set pos.query.sales (see docs/pos-profiles.md)");
  }
  if (profile.lines.sql.empty() && !profile.sales.Has("total")) {
    return Status::InvalidArgument(profile.origin +
                                   ": map [sales] total or give a [lines] query, otherwise "
                                   "every sale would have a total of 0");
  }
  return profile;
}

}  // namespace tillbridge::drivers
