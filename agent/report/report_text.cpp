#include <algorithm>

#include "agent/report/report_format.h"
#include "agent/report/report_settings.h"

namespace tillbridge::report {

std::string RenderText(const store::RoiReport& report) {
  const std::string& currency = report.currency;
  std::string out = "SMS ROI report for store " + report.store_id + ", " + FirstDay(report) +
                    " to " + LastDay(report) + " (both days included, " +
                    LocalTimeText(report) + ")\n";
  out += "  attribution window " + std::to_string(report.attribution_window_days) +
         " days; one message costs " + FormatCostPerMessage(report.query.cost_per_message_micros) +
         (currency.empty() ? "" : " " + currency) + "\n";
  out += "  " + std::to_string(report.sales) + " sales, " +
         FormatMoney(report.revenue_minor, currency) + " revenue; " +
         std::to_string(report.messages_sent) + " messages sent; " +
         std::to_string(report.attributed_sales) + " attributed sales, " +
         FormatMoney(report.attributed_revenue_minor, currency) +
         (report.attributed_refunded_minor > 0
              ? " (after " + FormatMoney(report.attributed_refunded_minor, currency) + " refunded)"
              : "") +
         "\n\n";
  std::size_t width = 0;
  for (const auto& figure : report.headline) width = std::max(width, figure.label.size());
  for (const auto& figure : report.headline) {
    out += "  " + figure.label + std::string(width - figure.label.size() + 2, ' ') +
           FigureText(figure, currency) + "\n";
    out += "  " + std::string(width + 2, ' ') + "= " + HowComputed(figure, currency) + "\n";
  }
  if (!report.campaigns.empty()) {
    out += "\nCampaigns (messages, attributed sales, attributed revenue, cost):\n";
    for (const auto& campaign : report.campaigns) {
      out += "  " + (campaign.campaign.empty() ? std::string("(no campaign)") : campaign.campaign) +
             ": " + std::to_string(campaign.messages_sent) + ", " +
             std::to_string(campaign.attributed_sales) + ", " +
             FormatMoney(campaign.attributed_revenue_minor, currency) + ", " +
             FormatMoney(campaign.cost_minor, currency) + "\n";
    }
  }
  for (const auto& note : report.notes) out += "note: " + note + "\n";
  out += "\nMore: --format html|csv|json (--out FILE), or the manager page at /manager.\n";
  return out;
}

}  // namespace tillbridge::report
