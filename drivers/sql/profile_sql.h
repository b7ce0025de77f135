// Builds the statements a POS source runs from a profile's queries. Each
// profile query is wrapped as a derived table, so the user writes a plain
// SELECT and the source adds the id predicates, ordering and limits:
//
//   SELECT CAST(h.id AS TEXT), CAST(h.state AS TEXT), ...
//     FROM (<profile query>) h WHERE h.id > ? ORDER BY h.id LIMIT 500
//
// Every column is cast to text (see PosDatabase).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "drivers/sql/pos_database.h"
#include "drivers/sql/pos_profile.h"

namespace tillbridge::drivers {

// Which detail query.
enum class DetailKind { kLines, kPayments, kCoupons };

class ProfileSql {
 public:
  ProfileSql(const PosProfile& profile, const PosDatabase& db);

  // Sales with id > param 1 (or all, when `after` is false), ascending.
  // With a cursor column: sales after (cursor, id) = (param 1 = param 2,
  // param 3), in (cursor, id) order.
  std::string SalesAfter(bool after, int limit) const;
  // Sales with param 1 <= id <= param 2 (with a cursor column: param 1 <=
  // cursor <= param 2), ascending; only the required fields and the cursor
  // column (a prefix of the full row).
  std::string SalesRange() const;
  // Every row of the [held] query.
  std::string HeldAll() const;
  // Column position of `field` in HeldAll's rows; -1 when not mapped.
  int HeldIndex(const std::string& field) const;
  // The sale with id = param 1.
  std::string SalesById() const;
  // The newest `limit` sales, descending.
  std::string SalesNewest(int limit) const;
  // Rows of a detail query for sale ids in [param 1, param 2].
  std::string DetailRange(DetailKind kind) const;
  // Rows of a detail query for sale id = param 1.
  std::string DetailById(DetailKind kind) const;
  // The statement with no rows that checks a query runs and has `fields`.
  std::string Probe(const ProfileQuery& query, const std::vector<std::string>& fields) const;

  bool HasDetail(DetailKind kind) const { return !QueryOf(kind).sql.empty(); }
  const ProfileQuery& QueryOf(DetailKind kind) const;
  const std::vector<std::string>& SalesFieldList() const { return sales_fields_; }
  const std::vector<std::string>& HeldFieldList() const { return held_fields_; }
  const std::vector<std::string>& DetailFieldList(DetailKind kind) const {
    return detail_fields_.at(kind);
  }
  // Column position of `field` in the rows these statements return; -1 when
  // the profile does not map it.
  int SalesIndex(const std::string& field) const;
  int DetailIndex(DetailKind kind, const std::string& field) const;

 private:
  std::string Select(const ProfileQuery& query, const std::vector<std::string>& fields) const;
  // ORDER BY terms of the sales key: id, or cursor column then id.
  std::string OrderKey(bool descending) const;

  const PosProfile& profile_;
  const PosDatabase& db_;
  std::vector<std::string> sales_fields_;
  std::vector<std::string> range_fields_;
  std::vector<std::string> held_fields_;
  std::map<DetailKind, std::vector<std::string>> detail_fields_;
};

}  // namespace tillbridge::drivers
