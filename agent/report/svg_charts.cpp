#include "agent/report/svg_charts.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "agent/report/report_format.h"

namespace tillbridge::report {
namespace {

constexpr const char* kRevenueColor = "#9aa5b1";
constexpr const char* kAttributedColor = "#0f766e";
constexpr const char* kFunnelColors[] = {"#1d4ed8", "#0f766e", "#b45309"};

std::string Number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  return buffer;
}

std::string Open(const char* chart, int width, int height, const std::string& title,
                 const std::string& desc) {
  const std::string id = std::string("tb-chart-") + chart;
  return "<svg class=\"tb-chart\" data-chart=\"" + std::string(chart) +
         "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 " +
         std::to_string(width) + " " + std::to_string(height) + "\" width=\"" +
         std::to_string(width) + "\" height=\"" + std::to_string(height) + "\" aria-labelledby=\"" +
         id + "-title " + id +
         "-desc\" font-family=\"sans-serif\" "
         "font-size=\"12\">\n<title id=\"" +
         id + "-title\">" + EscapeHtml(title) + "</title>\n<desc id=\"" + id + "-desc\">" +
         EscapeHtml(desc) + "</desc>\n";
}

std::string Text(double x, double y, const std::string& text, const char* anchor = "start",
                 const char* extra = "") {
  return "<text x=\"" + Number(x) + "\" y=\"" + Number(y) + "\" text-anchor=\"" + anchor + "\"" +
         extra + ">" + EscapeHtml(text) + "</text>\n";
}

std::string Rect(double x, double y, double width, double height, const char* fill) {
  return "<rect x=\"" + Number(x) + "\" y=\"" + Number(y) + "\" width=\"" + Number(width) +
         "\" height=\"" + Number(height) + "\" fill=\"" + fill + "\"/>\n";
}

// A horizontal bar with its label on the left and its value on the right.
struct Bar {
  std::string label;
  std::optional<double> share;  // of the longest bar, 0..1; nullopt: no bar (n/a)
  std::string value_text;
  const char* color;
};

std::string Bars(const std::vector<Bar>& bars, double top, double label_width, double bar_width) {
  std::string out;
  double y = top;
  for (const Bar& bar : bars) {
    out += Text(label_width - 8, y + 17, bar.label, "end");
    const double width = bar.share ? std::max(0.0, *bar.share) * bar_width : 0.0;
    if (bar.share) out += Rect(label_width, y, std::max(width, 1.0), 26, bar.color);
    out += Text(label_width + width + 6, y + 17, bar.value_text, "start", " font-weight=\"bold\"");
    y += 38;
  }
  return out;
}

}  // namespace

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const store::Figure* FindFigure(const store::RoiReport& report, std::string_view key) {
  for (const auto& figure : report.headline) {
    if (figure.key == key) return &figure;
  }
  return nullptr;
}

std::string TrendChart(const store::RoiReport& report) {
  const std::string& currency = report.currency;
  constexpr double kWidth = 720, kHeight = 280, kLeft = 90, kRight = 20, kTop = 40, kBottom = 40;
  std::int64_t top_value = 0, revenue = 0, attributed = 0;
  for (const auto& day : report.trend) {
    top_value = std::max({top_value, day.revenue_minor, day.attributed_revenue_minor});
    revenue += day.revenue_minor;
    attributed += day.attributed_revenue_minor;
  }
  const std::string summary = "Revenue by day from " + FirstDay(report) + " to " + LastDay(report) +
                              ": " + FormatMoney(revenue, currency) + " in all, of which " +
                              FormatMoney(attributed, currency) +
                              " from sales attributed to text messages.";
  std::string out = Open("trend", static_cast<int>(kWidth), static_cast<int>(kHeight),
                         "Attributed revenue and total revenue by day", summary);
  const double plot_width = kWidth - kLeft - kRight, plot_height = kHeight - kTop - kBottom;
  const double scale = top_value > 0 ? plot_height / static_cast<double>(top_value) : 0.0;
  const std::size_t days = report.trend.size();
  const auto x_of = [&](std::size_t i) {
    return days <= 1 ? kLeft + plot_width / 2
                     : kLeft + plot_width * static_cast<double>(i) / static_cast<double>(days - 1);
  };
  const auto y_of = [&](std::int64_t value) {
    return kTop + plot_height - static_cast<double>(value) * scale;
  };
  // Grid lines at zero, half and the highest day, labelled with amounts.
  for (const std::int64_t value : {std::int64_t{0}, top_value / 2, top_value}) {
    const double y = y_of(value);
    out += "<line x1=\"" + Number(kLeft) + "\" y1=\"" + Number(y) + "\" x2=\"" +
           Number(kWidth - kRight) + "\" y2=\"" + Number(y) + "\" stroke=\"#d9dee3\"/>\n";
    out += Text(kLeft - 6, y + 4, FormatMoney(value, currency), "end");
    if (top_value == 0) break;
  }
  if (days > 0) {
    out += Text(kLeft, kHeight - 14, report.trend.front().date, "start");
    if (days > 1) out += Text(kWidth - kRight, kHeight - 14, report.trend.back().date, "end");
  }
  struct Line {
    const char* name;
    const char* color;
    std::int64_t store::DayPoint::*field;
    std::int64_t total;
  };
  const Line lines[] = {{"Total revenue", kRevenueColor, &store::DayPoint::revenue_minor, revenue},
                        {"Attributed revenue", kAttributedColor,
                         &store::DayPoint::attributed_revenue_minor, attributed}};
  double legend_x = kLeft;
  for (const Line& line : lines) {
    std::string points;
    for (std::size_t i = 0; i < days; ++i) {
      points += (i ? " " : "") + Number(x_of(i)) + "," + Number(y_of(report.trend[i].*line.field));
    }
    if (days > 1) {
      out += "<polyline data-series=\"" + EscapeHtml(line.name) + "\" fill=\"none\" stroke=\"" +
             line.color + "\" stroke-width=\"2\" points=\"" + points + "\"/>\n";
    }
    for (std::size_t i = 0; i < days; ++i) {
      const auto& day = report.trend[i];
      out +=
          "<circle cx=\"" + Number(x_of(i)) + "\" cy=\"" + Number(y_of(day.*line.field)) +
          "\" r=\"3\" fill=\"" + line.color + "\"><title>" +
          EscapeHtml(day.date + " " + line.name + ": " + FormatMoney(day.*line.field, currency)) +
          "</title></circle>\n";
    }
    out += Rect(legend_x, 12, 12, 12, line.color);
    out +=
        Text(legend_x + 18, 22, std::string(line.name) + ": " + FormatMoney(line.total, currency));
    legend_x += 300;
  }
  return out + "</svg>\n";
}

std::string FunnelChart(const store::RoiReport& report) {
  std::int64_t texted = 0, redeemed = 0;
  if (const store::Figure* rate = FindFigure(report, "coupon_redemption_rate")) {
    texted = rate->denominator;
    redeemed = rate->numerator;
  } else {
    for (const auto& campaign : report.campaigns) {
      texted += campaign.coupons_texted;
      redeemed += campaign.coupons_redeemed;
    }
  }
  const std::int64_t values[] = {texted, redeemed, report.attributed_sales};
  const char* labels[] = {"Coupons texted", "Coupons redeemed", "Attributed sales"};
  const std::int64_t longest = std::max({texted, redeemed, report.attributed_sales});
  std::vector<Bar> bars;
  std::string desc;
  for (int i = 0; i < 3; ++i) {
    std::optional<double> share = 0.0;
    if (longest > 0) share = static_cast<double>(values[i]) / static_cast<double>(longest);
    bars.push_back(Bar{labels[i], share, std::to_string(values[i]), kFunnelColors[i]});
    desc += std::string(i ? ", " : "") + labels[i] + " " + std::to_string(values[i]);
  }
  std::string out = Open("funnel", 720, 140, "Redemption funnel", desc + ".");
  out += Bars(bars, 12, 150, 470);
  return out + "</svg>\n";
}

std::string RepeatRateChart(const store::RoiReport& report) {
  struct Group {
    const char* label;
    const char* key;
    const char* color;
  };
  const Group groups[] = {{"SMS subscribers", "subscriber_repeat_rate", kAttributedColor},
                          {"Other customers", "non_subscriber_repeat_rate", kRevenueColor}};
  std::vector<Bar> bars;
  std::string desc = "Repeat rate: ";
  for (const Group& group : groups) {
    const store::Figure* figure = FindFigure(report, group.key);
    std::optional<double> value = figure ? FigureValue(*figure, report.currency) : std::nullopt;
    std::string text = "n/a";
    if (figure && value) {
      text = FigureText(*figure, report.currency) + " (" + std::to_string(figure->numerator) +
             " of " + std::to_string(figure->denominator) + ")";
    }
    bars.push_back(Bar{group.label,
                       value ? std::optional<double>(std::min(*value, 1.0)) : std::nullopt, text,
                       group.color});
    desc += std::string(group.label) + " " + text + (&group == &groups[0] ? "; " : ".");
  }
  std::string out = Open("repeat", 720, 100, "Repeat rate: subscribers and other customers", desc);
  out += Bars(bars, 12, 150, 400);
  return out + "</svg>\n";
}

}  // namespace tillbridge::report
