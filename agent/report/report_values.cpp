#include <cmath>
#include <cstdio>

#include "agent/report/report_format.h"
#include "agent/report/report_settings.h"
#include "common/currency.h"

namespace tillbridge::report {

int MinorDigits(const std::string& currency) { return tillbridge::CurrencyMinorDigits(currency); }

std::string FormatMoney(std::int64_t minor, const std::string& currency) {
  const int digits = MinorDigits(currency);
  std::int64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  // Magnitude as unsigned, so the most negative amount formats too.
  const std::uint64_t magnitude =
      minor < 0 ? 0 - static_cast<std::uint64_t>(minor) : static_cast<std::uint64_t>(minor);
  std::string out = minor < 0 ? "-" : "";
  out += std::to_string(magnitude / static_cast<std::uint64_t>(scale));
  if (digits > 0) {
    std::string fraction = std::to_string(magnitude % static_cast<std::uint64_t>(scale));
    out += "." + std::string(static_cast<std::size_t>(digits) - fraction.size(), '0') + fraction;
  }
  if (!currency.empty()) out += " " + currency;
  return out;
}

std::optional<double> FigureValue(const store::Figure& figure, const std::string& currency) {
  if (figure.denominator == 0) return std::nullopt;
  double value = static_cast<double>(figure.numerator) / static_cast<double>(figure.denominator);
  if (figure.unit == store::Figure::Unit::kMoney) {
    for (int i = 0; i < MinorDigits(currency); ++i) value /= 10.0;
  }
  return value;
}

const char* UnitName(store::Figure::Unit unit) {
  switch (unit) {
    case store::Figure::Unit::kRatio:
      return "ratio";
    case store::Figure::Unit::kMoney:
      return "money";
    case store::Figure::Unit::kCount:
      return "count";
  }
  return "ratio";
}

std::string FigureText(const store::Figure& figure, const std::string& currency) {
  if (figure.denominator == 0) return "n/a";
  const double value_minor =
      static_cast<double>(figure.numerator) / static_cast<double>(figure.denominator);
  const std::optional<double> value = value_minor;
  if (!value) return "n/a";
  switch (figure.unit) {
    case store::Figure::Unit::kRatio: {
      char buffer[64];
      std::snprintf(buffer, sizeof buffer, "%.1f%%", *value * 100.0);
      return buffer;
    }
    case store::Figure::Unit::kMoney:
      return FormatMoney(static_cast<std::int64_t>(std::llround(*value)), currency);
    case store::Figure::Unit::kCount:
      return std::to_string(static_cast<std::int64_t>(std::llround(*value)));
  }
  return "n/a";
}

std::string HowComputed(const store::Figure& figure, const std::string& currency) {
  // A money figure divides an amount by a count (revenue by sales or by
  // messages). Two ratios divide amounts: ROI (net revenue by cost) and
  // the uplift (difference of average sales by the other average).
  const bool amounts = figure.key == "campaign_roi" || figure.key == "aov_uplift";
  const bool money_numerator = amounts || figure.unit == store::Figure::Unit::kMoney;
  const std::string numerator =
      money_numerator ? FormatMoney(figure.numerator, currency) : std::to_string(figure.numerator);
  if (figure.unit == store::Figure::Unit::kCount && figure.denominator == 1) {
    return numerator + " " + figure.numerator_is;
  }
  const std::string denominator =
      amounts ? FormatMoney(figure.denominator, currency) : std::to_string(figure.denominator);
  std::string out = numerator + " " + figure.numerator_is + " \u00f7 " + denominator + " " +
                    figure.denominator_is;
  if (figure.denominator == 0) out += " (none, so n/a)";
  return out;
}

std::string FirstDay(const store::RoiReport& report) {
  return FormatDate(LocalDay(report.query.from, report.query.utc_offset_minutes));
}

std::string LocalTimeText(const store::RoiReport& report) {
  std::string out = "UTC" + FormatUtcOffset(report.query.utc_offset_minutes);
  for (const auto& change : report.query.offset_changes) {
    std::string local =
        FormatRfc3339(change.at + std::int64_t{change.utc_offset_minutes} * 60'000).substr(0, 16);
    local[10] = ' ';
    out += ", UTC" + FormatUtcOffset(change.utc_offset_minutes) + " from " + local;
  }
  return out;
}

std::string LastDay(const store::RoiReport& report) {
  return FormatDate(LocalDay(report.query.to - 1, OffsetAt(report.query, report.query.to - 1)));
}

}  // namespace tillbridge::report
