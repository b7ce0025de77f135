// Inline SVG charts for the ROI report, drawn as text so the page needs no
// script and no image file. Colours are presentation attributes (fill=,
// stroke=), never style=, which the manager page's CSP would block. Each
// chart has a <title> and <desc> and prints its values as text.
#pragma once

#include <string>
#include <string_view>

#include "store/roi_report.h"

namespace tillbridge::report {

// `text` with & < > " ' escaped, for HTML and SVG text and attributes.
std::string EscapeHtml(std::string_view text);

// The headline figure with `key`, or nullptr.
const store::Figure* FindFigure(const store::RoiReport& report, std::string_view key);

// Attributed revenue against all revenue, one point per day of the trend.
std::string TrendChart(const store::RoiReport& report);
// Coupons texted, then redeemed, then sales attributed to messages.
std::string FunnelChart(const store::RoiReport& report);
// Repeat rate of SMS subscribers against other identified customers.
std::string RepeatRateChart(const store::RoiReport& report);

}  // namespace tillbridge::report
