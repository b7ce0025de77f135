// Measured ROI: what the store's SMS messages brought in, for a date range,
// computed from the sales, consent, coupons and engagement the store holds
// and from the attributions stored with each sale (store/attribution.h).
// Every figure carries its numerator, denominator and what each counts, so
// a manager (or an auditor) can check it by hand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace tillbridge::store {

struct StoreCore;

// What to report on.
struct RoiQuery {
  UnixMillis from = 0;  // inclusive, UTC
  UnixMillis to = 0;    // exclusive, UTC; must be after `from`
  // What one SMS costs, in millionths of the currency's major unit
  // (USD 0.0079 = 7900). Campaign cost = messages x this, rounded to the
  // nearest minor unit of the report's currency (cents, yen, fils).
  std::int64_t cost_per_message_micros = 7900;
  // Offset of the store's local time from UTC at `from`, for the daily
  // trend's day boundaries (and the dates printed with it).
  std::int32_t utc_offset_minutes = 0;
  // Where the offset changes inside the range (daylight saving): from `at`
  // on, the offset is `utc_offset_minutes`. Ascending; empty for a fixed
  // offset. A day with a change is a local day of 23 or 25 hours.
  struct OffsetChange {
    UnixMillis at = 0;
    std::int32_t utc_offset_minutes = 0;
  };
  std::vector<OffsetChange> offset_changes;
};

// One figure and how it was computed: value = numerator / denominator.
// Money figures are in minor units of RoiReport::currency; counts have
// denominator 1.
struct Figure {
  std::string key;    // stable, for JSON/CSV: "coupon_redemption_rate"
  std::string label;  // for people: "Coupon redemption rate"
  enum class Unit { kRatio, kMoney, kCount } unit = Unit::kRatio;
  std::int64_t numerator = 0;
  std::int64_t denominator = 0;
  std::string numerator_is;    // "coupons texted in the range and redeemed by its end"
  std::string denominator_is;  // "coupons texted in the range"
  // The numerator divided by the denominator; nullopt when the
  // denominator is 0 (shown as "n/a", never as 0).
  std::optional<double> Value() const;
};

// One campaign (the cloud's campaign id) over the range.
struct CampaignRoi {
  std::string campaign;  // "" for messages the cloud sent without one
  std::string rule;      // the cloud rule that sent it, when it said so
  std::string purpose;   // "marketing" or "transactional", when known
  std::int64_t messages_sent = 0;
  std::int64_t coupons_texted = 0;
  std::int64_t coupons_redeemed = 0;  // of those texted, redeemed by the range's end
  std::int64_t attributed_sales = 0;  // not reversed by a refund or void
  std::int64_t attributed_revenue_minor = 0;  // net of refunds of part of a sale
  std::int64_t cost_minor = 0;  // messages_sent x cost per message
};

// Opt-ins captured at the counter by one cashier (or by one method), and
// the sales that cashier rang up, in the range.
struct OptInRow {
  std::string name;  // cashier id, or the capture method
  std::int64_t opt_ins = 0;
  std::int64_t sales = 0;  // for methods: every sale in the range
};

// One local day of the trend.
struct DayPoint {
  std::string date;  // YYYY-MM-DD in the store's local time
  std::int64_t revenue_minor = 0;
  std::int64_t attributed_revenue_minor = 0;  // net of refunds of part of a sale
  std::int64_t sales = 0;
  std::int64_t attributed_sales = 0;
};

struct RoiReport {
  RoiQuery query;
  std::string store_id;
  std::string currency;  // the range's sales currency ("" when no sale)
  std::int64_t attribution_window_days = 7;
  UnixMillis generated_at = 0;

  // Totals over the range: sales (latest revision, kind sale, not voided
  // later), their revenue, sales with a phone, distinct customers.
  std::int64_t sales = 0;
  std::int64_t revenue_minor = 0;
  std::int64_t identified_sales = 0;
  std::int64_t customers = 0;
  std::int64_t messages_sent = 0;
  std::int64_t attributed_sales = 0;
  // Attributed revenue is what customers kept: the attributed sales'
  // totals less attributed_refunded_minor, the money refunds of part of
  // them gave back. A sale refunded in full or voided is not attributed.
  std::int64_t attributed_revenue_minor = 0;
  std::int64_t attributed_refunded_minor = 0;
  std::int64_t reversed_attributions = 0;  // attributed sales later refunded in full or voided

  // The headline figures, in this order:
  //   coupon_redemption_rate, subscriber_repeat_rate,
  //   non_subscriber_repeat_rate, aov_attributed, aov_other, aov_uplift,
  //   revenue_per_message, campaign_roi, counter_opt_in_rate.
  std::vector<Figure> headline;
  std::vector<CampaignRoi> campaigns;     // most attributed revenue first
  std::vector<OptInRow> opt_ins_by_cashier;
  std::vector<OptInRow> opt_ins_by_method;
  std::vector<DayPoint> trend;            // every day of the range, oldest first
  // Anything left out and why ("3 sales in EUR are not counted: the report
  // is in USD").
  std::vector<std::string> notes;

  // The headline figure with `key`, or nullptr.
  const Figure* Find(const std::string& key) const;
};

// Reads only. Thread-safe: each Compute reads through a read-only
// connection of its own, in one read transaction, so a long report never
// holds up the register's writes.
class RoiReports {
 public:
  explicit RoiReports(StoreCore& core) : core_(core) {}

  // Computes the report for `query`. InvalidArgument when the range is
  // empty or reversed.
  Result<RoiReport> Compute(const RoiQuery& query);

 private:
  StoreCore& core_;
};

}  // namespace tillbridge::store
