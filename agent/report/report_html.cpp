#include <initializer_list>

#include "agent/report/report_format.h"
#include "agent/report/report_settings.h"
#include "agent/report/svg_charts.h"

namespace tillbridge::report {
namespace {

std::string Cell(const std::string& text, bool number = false) {
  return std::string(number ? "<td class=\"num\">" : "<td>") + EscapeHtml(text) + "</td>";
}

std::string Head(std::initializer_list<const char*> names) {
  std::string out = "<thead><tr>";
  for (const char* name : names) out += std::string("<th scope=\"col\">") + name + "</th>";
  return out + "</tr></thead>";
}

std::string OptInTable(const char* caption, const char* first_column,
                       const std::vector<store::OptInRow>& rows) {
  std::string out = "<table class=\"tb-table\"><caption>" + std::string(caption) + "</caption>" +
                    Head({first_column, "Opt-ins", "Sales"}) + "<tbody>";
  for (const auto& row : rows) {
    out += "<tr>" + Cell(row.name.empty() ? "(unknown)" : row.name) +
           Cell(std::to_string(row.opt_ins), true) + Cell(std::to_string(row.sales), true) +
           "</tr>";
  }
  if (rows.empty()) out += "<tr><td colspan=\"3\">None in this range.</td></tr>";
  return out + "</tbody></table>\n";
}

}  // namespace

const std::string& ReportCss() {
  static const std::string css =
      R"(.tb-report{font-family:system-ui,sans-serif;color:#1f2933;max-width:1100px;margin:0 auto;padding:16px}
.tb-report h1{font-size:1.5rem;margin:0 0 4px}
.tb-report h2{font-size:1.15rem;margin:28px 0 8px}
.tb-report .tb-range{color:#52606d;margin:0 0 16px}
.tb-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:12px}
.tb-card{border:1px solid #d9dee3;border-radius:8px;padding:12px;background:#fff}
.tb-card h3{font-size:.9rem;font-weight:600;margin:0;color:#52606d}
.tb-card .tb-value{font-size:1.6rem;font-weight:700;margin:6px 0}
.tb-card .tb-how{font-size:.8rem;color:#52606d;margin:0}
.tb-chart{max-width:100%;height:auto;display:block;margin:8px 0}
.tb-table{border-collapse:collapse;margin:8px 0;min-width:50%}
.tb-table caption{text-align:left;font-weight:600;padding:4px 0}
.tb-table th,.tb-table td{border-bottom:1px solid #d9dee3;padding:4px 10px;text-align:left}
.tb-table td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.tb-notes li{margin:4px 0}
)";
  return css;
}

std::string RenderHtmlFragment(const store::RoiReport& report) {
  const std::string& currency = report.currency;
  std::string out = "<article class=\"tb-report\" data-first-day=\"" + FirstDay(report) +
                    "\" data-last-day=\"" + LastDay(report) + "\">\n";
  out += "<h1>What text messages brought in</h1>\n";
  out += "<p class=\"tb-range\">Store " + EscapeHtml(report.store_id) + ", " + FirstDay(report) +
         " to " + LastDay(report) + " (both days included, " + LocalTimeText(report) +
         "). A sale is credited to the text " +
         "message that carried the coupon it redeemed, else to the last one its customer was " +
         "sent at most " + std::to_string(report.attribution_window_days) +
         " days before it. One message costs " +
         EscapeHtml(FormatCostPerMessage(report.query.cost_per_message_micros) +
                    (currency.empty() ? "" : " " + currency)) +
         ". " + std::to_string(report.sales) + " sales, " +
         EscapeHtml(FormatMoney(report.revenue_minor, currency)) + " revenue; " +
         std::to_string(report.messages_sent) + " messages sent.</p>\n";

  out += "<section class=\"tb-cards\" aria-label=\"Headline figures\">\n";
  for (const auto& figure : report.headline) {
    out += "<div class=\"tb-card\" data-key=\"" + EscapeHtml(figure.key) + "\"><h3>" +
           EscapeHtml(figure.label) + "</h3><p class=\"tb-value\">" +
           EscapeHtml(FigureText(figure, currency)) +
           "</p><p class=\"tb-how\">How computed: " + EscapeHtml(HowComputed(figure, currency)) +
           "</p></div>\n";
  }
  out += "</section>\n";

  out += "<h2>Revenue by day</h2>\n" + TrendChart(report);
  out += "<h2>From coupon to sale</h2>\n" + FunnelChart(report);
  out += "<h2>Do subscribers come back more often?</h2>\n" + RepeatRateChart(report);

  out += "<h2>Campaigns</h2>\n<table class=\"tb-table\" id=\"tb-campaigns\">" +
         Head({"Campaign", "Rule", "Purpose", "Messages", "Coupons texted", "Redeemed",
               "Attributed sales", "Attributed revenue", "Cost"}) +
         "<tbody>";
  for (const auto& campaign : report.campaigns) {
    out += "<tr>" + Cell(campaign.campaign.empty() ? "(no campaign)" : campaign.campaign) +
           Cell(campaign.rule) + Cell(campaign.purpose) +
           Cell(std::to_string(campaign.messages_sent), true) +
           Cell(std::to_string(campaign.coupons_texted), true) +
           Cell(std::to_string(campaign.coupons_redeemed), true) +
           Cell(std::to_string(campaign.attributed_sales), true) +
           Cell(FormatMoney(campaign.attributed_revenue_minor, currency), true) +
           Cell(FormatMoney(campaign.cost_minor, currency), true) + "</tr>";
  }
  if (report.campaigns.empty()) out += "<tr><td colspan=\"9\">No messages in this range.</td></tr>";
  out += "</tbody></table>\n";

  out += "<h2>Opt-ins at the counter</h2>\n";
  out += OptInTable("By cashier", "Cashier", report.opt_ins_by_cashier);
  out += OptInTable("By method", "Method", report.opt_ins_by_method);

  out += "<h2>Day by day</h2>\n<table class=\"tb-table\" id=\"tb-trend\">" +
         Head({"Date", "Sales", "Revenue", "Attributed sales", "Attributed revenue"}) + "<tbody>";
  for (const auto& day : report.trend) {
    out += "<tr>" + Cell(day.date) + Cell(std::to_string(day.sales), true) +
           Cell(FormatMoney(day.revenue_minor, currency), true) +
           Cell(std::to_string(day.attributed_sales), true) +
           Cell(FormatMoney(day.attributed_revenue_minor, currency), true) + "</tr>";
  }
  out += "</tbody></table>\n";

  if (!report.notes.empty()) {
    out += "<h2>Notes</h2>\n<ul class=\"tb-notes\">";
    for (const auto& note : report.notes) out += "<li>" + EscapeHtml(note) + "</li>";
    out += "</ul>\n";
  }
  out += "<p class=\"tb-range\">Generated " + FormatRfc3339(report.generated_at) +
         " by the Tillbridge agent from the sales and messages it holds.</p>\n";
  return out + "</article>\n";
}

std::string RenderHtml(const store::RoiReport& report) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<title>SMS ROI report " +
         FirstDay(report) + " to " + LastDay(report) + " - " + EscapeHtml(report.store_id) +
         "</title>\n<style>\nbody{margin:0;background:#f5f7fa}\n" + ReportCss() +
         "</style>\n</head>\n<body>\n" + RenderHtmlFragment(report) + "</body>\n</html>\n";
}

}  // namespace tillbridge::report
