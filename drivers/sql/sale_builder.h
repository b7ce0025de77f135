// Turns the text rows read through a profile into store::Transaction records:
// money to minor units, POS local time to UTC, phone numbers to E.164. A
// value that cannot be used is logged and left empty or zero; the record is
// never dropped.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/phone.h"
#include "common/time_zone.h"
#include "drivers/sql/pos_database.h"
#include "drivers/sql/pos_profile.h"
#include "drivers/sql/profile_sql.h"
#include "drivers/sql/sale_tracker.h"
#include "store/model.h"

namespace tillbridge::drivers {

// An event decided by the tracker, with the sale's header row.
struct PendingEvent {
  std::string id;
  EmittedKind kind = EmittedKind::kSale;
  std::int64_t revision = 1;
  SqlRow header;
  bool first_seen = true;  // false: a change to a sale read before
  UnixMillis held_since = 0;
};

// Detail rows keyed by sale id.
struct SaleDetails {
  std::map<std::string, std::vector<SqlRow>> lines;
  std::map<std::string, std::vector<SqlRow>> payments;
  std::map<std::string, std::vector<SqlRow>> coupons;
};

struct BuildContext {
  const std::string& source;
  const PosProfile& profile;
  const ProfileSql& sql;
  const TimeZone& zone;
  const PhoneNormalizer& phone;
  const std::string& default_currency;
  std::int64_t abandon_after_ms;
};

// Converts a POS timestamp to UTC millis using the profile's time basis and
// the configured zone.
Result<UnixMillis> PosTimeToUtc(const BuildContext& context, std::string_view text);

store::Transaction BuildTransaction(const BuildContext& context, const PendingEvent& event,
                                    const SaleDetails& details, UnixMillis now);

// The pos_id of a basket from a [held] query: "held:<basket id>", so it can
// never be taken for a sale with the same number.
std::string HeldBasketPosId(std::string_view basket_id);

// The basket.abandoned record of a basket read by the [held] query (`row`
// as ProfileSql::HeldAll returns it). It carries the basket's total, tax,
// cashier and phone, and no lines.
store::Transaction BuildHeldBasket(const BuildContext& context, const std::string& basket_id,
                                   const SqlRow& row, UnixMillis held_since, UnixMillis now);

}  // namespace tillbridge::drivers
