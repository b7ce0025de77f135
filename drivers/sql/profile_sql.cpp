#include "drivers/sql/profile_sql.h"

#include <algorithm>

namespace tillbridge::drivers {
namespace {

// Required fields first, then the optional fields the profile maps.
std::vector<std::string> MappedFields(const ProfileQuery& query, const ProfileFields& fields) {
  std::vector<std::string> out = fields.required;
  for (const auto& field : fields.optional) {
    if (query.Has(field)) out.push_back(field);
  }
  return out;
}

int IndexOf(const std::vector<std::string>& fields, const std::string& field) {
  auto it = std::find(fields.begin(), fields.end(), field);
  return it == fields.end() ? -1 : static_cast<int>(it - fields.begin());
}

}  // namespace

ProfileSql::ProfileSql(const PosProfile& profile, const PosDatabase& db)
    : profile_(profile), db_(db) {
  sales_fields_ = MappedFields(profile.sales, SalesFields());
  range_fields_ = SalesFields().required;
  if (profile.HasCursorColumn()) {
    // Right after the required fields, so the window re-read's rows (a
    // prefix of the full row) carry it at the same position.
    std::erase(sales_fields_, std::string("cursor"));
    sales_fields_.insert(sales_fields_.begin() + static_cast<long>(range_fields_.size()), "cursor");
    range_fields_.push_back("cursor");
  }
  held_fields_ = MappedFields(profile.held, HeldFields());
  detail_fields_[DetailKind::kLines] = MappedFields(profile.lines, LineFields());
  detail_fields_[DetailKind::kPayments] = MappedFields(profile.payments, PaymentFields());
  detail_fields_[DetailKind::kCoupons] = MappedFields(profile.coupons, CouponFields());
}

const ProfileQuery& ProfileSql::QueryOf(DetailKind kind) const {
  switch (kind) {
    case DetailKind::kLines:
      return profile_.lines;
    case DetailKind::kPayments:
      return profile_.payments;
    case DetailKind::kCoupons:
      return profile_.coupons;
  }
  return profile_.lines;
}

std::string ProfileSql::Select(const ProfileQuery& query,
                               const std::vector<std::string>& fields) const {
  std::string sql = "SELECT ";
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += db_.TextCast("h." + query.Column(fields[i]));
  }
  // The newline ends any trailing "--" comment in the profile's query.
  sql += "\n  FROM (\n" + query.sql + "\n) h";
  return sql;
}

std::string ProfileSql::OrderKey(bool descending) const {
  const std::string direction = descending ? " DESC" : "";
  const std::string id = "h." + profile_.sales.Column("id") + direction;
  if (!profile_.HasCursorColumn()) return id;
  return "h." + profile_.sales.Column("cursor") + direction + ", " + id;
}

std::string ProfileSql::SalesAfter(bool after, int limit) const {
  const std::string id = "h." + profile_.sales.Column("id");
  std::string sql = Select(profile_.sales, sales_fields_);
  if (after && profile_.HasCursorColumn()) {
    const std::string cursor = "h." + profile_.sales.Column("cursor");
    sql += " WHERE (" + cursor + " > " + db_.Placeholder(1) + " OR (" + cursor + " = " +
           db_.Placeholder(2) + " AND " + id + " > " + db_.Placeholder(3) + "))";
  } else if (after) {
    sql += " WHERE " + id + " > " + db_.Placeholder(1);
  } else if (profile_.HasCursorColumn()) {
    sql += " WHERE h." + profile_.sales.Column("cursor") + " IS NOT NULL";
  }
  return sql + " ORDER BY " + OrderKey(false) + " LIMIT " + std::to_string(limit);
}

std::string ProfileSql::SalesRange() const {
  // Only the fields that decide a change: re-reading the window every
  // second must stay cheap; headers of changed sales are read by id.
  const std::string key = "h." + profile_.sales.Column(profile_.HasCursorColumn() ? "cursor" : "id");
  return Select(profile_.sales, range_fields_) + " WHERE " + key + " >= " + db_.Placeholder(1) +
         " AND " + key + " <= " + db_.Placeholder(2) + " ORDER BY " + OrderKey(false);
}

std::string ProfileSql::HeldAll() const { return Select(profile_.held, held_fields_); }

int ProfileSql::HeldIndex(const std::string& field) const { return IndexOf(held_fields_, field); }

std::string ProfileSql::SalesById() const {
  return Select(profile_.sales, sales_fields_) + " WHERE h." + profile_.sales.Column("id") + " = " +
         db_.Placeholder(1);
}

std::string ProfileSql::SalesNewest(int limit) const {
  std::string sql = Select(profile_.sales, sales_fields_);
  if (profile_.HasCursorColumn()) {
    sql += " WHERE h." + profile_.sales.Column("cursor") + " IS NOT NULL";
  }
  return sql + " ORDER BY " + OrderKey(true) + " LIMIT " + std::to_string(limit);
}

std::string ProfileSql::DetailRange(DetailKind kind) const {
  const ProfileQuery& query = QueryOf(kind);
  const std::string sale_id = "h." + query.Column("sale_id");
  std::string sql = Select(query, detail_fields_.at(kind)) + " WHERE " + sale_id +
                    " >= " + db_.Placeholder(1) + " AND " + sale_id + " <= " + db_.Placeholder(2) +
                    " ORDER BY " + sale_id;
  if (kind == DetailKind::kLines && query.Has("line_no")) sql += ", h." + query.Column("line_no");
  return sql;
}

std::string ProfileSql::DetailById(DetailKind kind) const {
  const ProfileQuery& query = QueryOf(kind);
  std::string sql = Select(query, detail_fields_.at(kind)) + " WHERE h." + query.Column("sale_id") +
                    " = " + db_.Placeholder(1);
  if (kind == DetailKind::kLines && query.Has("line_no")) {
    sql += " ORDER BY h." + query.Column("line_no");
  }
  return sql;
}

std::string ProfileSql::Probe(const ProfileQuery& query,
                              const std::vector<std::string>& fields) const {
  return Select(query, fields) + " WHERE 1 = 0";
}

int ProfileSql::SalesIndex(const std::string& field) const { return IndexOf(sales_fields_, field); }

int ProfileSql::DetailIndex(DetailKind kind, const std::string& field) const {
  return IndexOf(detail_fields_.at(kind), field);
}

}  // namespace tillbridge::drivers
