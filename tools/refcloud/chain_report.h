// The chain view of the reference cloud (GET /admin/report): per store
// location and for the whole chain, sales, revenue, messages, coupons,
// repeat purchases and the sales the messages brought, each figure with its
// numerator and denominator. Attribution follows the agent's rule
// (docs/messages.md, "Chain report"): the message that carried a coupon the
// sale redeemed, else the latest attributable message to the same phone in
// the 7 days before the sale; a refund linked to the sale reverses it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "tools/refcloud/cloud_db.h"

namespace tillbridge::refcloud {

// What to report on.
struct ChainReportQuery {
  UnixMillis from = 0;  // inclusive
  UnixMillis to = 0;    // exclusive
  // One SMS's cost in millionths of the currency unit (0.0079 = 7900).
  std::int64_t cost_per_message_micros = 7900;
  std::int64_t attribution_window_days = 7;
};

// value = numerator / denominator; no value when the denominator is 0.
struct ReportFigure {
  std::string key;
  std::int64_t numerator = 0;
  std::int64_t denominator = 0;
  std::string numerator_is;
  std::string denominator_is;
  std::optional<double> Value() const;
};

// One store location, or the chain ("store_id" "*").
struct LocationFigures {
  std::string store_id;
  std::int64_t sales = 0;
  std::int64_t revenue_minor = 0;
  std::int64_t messages_sent = 0;
  std::int64_t coupons_texted = 0;
  std::int64_t coupons_redeemed = 0;
  std::int64_t customers = 0;         // phones with >= 1 sale
  std::int64_t repeat_customers = 0;  // phones with >= 2 sales
  std::int64_t attributed_sales = 0;
  std::int64_t attributed_revenue_minor = 0;   // net of refunds of part of a sale
  std::int64_t attributed_refunded_minor = 0;  // what those refunds gave back
  std::int64_t other_sales = 0;
  std::int64_t other_revenue_minor = 0;
  std::int64_t reversed_attributions = 0;  // attributed, then refunded in full
  std::int64_t cost_minor = 0;             // messages_sent x cost, rounded
  // coupon_redemption_rate, repeat_purchase_rate, aov_attributed,
  // aov_other, aov_uplift, revenue_per_message, roi.
  std::vector<ReportFigure> figures;
  // The figure called `key`, or nullptr.
  const ReportFigure* Find(const std::string& key) const;
};

// The whole report: one entry per store location that had a sale or a
// message in the range, and the chain's totals.
struct ChainReport {
  ChainReportQuery query;
  std::string currency;
  std::vector<LocationFigures> locations;  // by store id
  LocationFigures chain;
  std::vector<std::string> notes;
};

// Computes the report from every stored event of the types
// transaction.completed/refunded/voided and coupon.redeemed (with their
// documents) and every message. Pure: no clock, no database.
ChainReport BuildChainReport(const ChainReportQuery& query, const std::vector<EventRecord>& events,
                             const std::vector<MessageRecord>& messages);

// The report as the admin route answers it.
std::string ChainReportJson(const ChainReport& report);

// "0.0079" -> 7900. InvalidArgument for anything but a plain decimal with
// at most six decimals.
Result<std::int64_t> ParseCostMicros(const std::string& text);

}  // namespace tillbridge::refcloud
