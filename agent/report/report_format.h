// The store manager's ROI report (store/roi_report.h) rendered for people
// and programs: a terminal summary, JSON, CSV and one self-contained HTML
// page with charts. Pure functions of the report: no I/O, no clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/roi_report.h"

namespace tillbridge::report {

// Minor units to "123.45 USD" (digits per ISO 4217; "-0.50 EUR"; without a
// currency code when `currency` is empty).
std::string FormatMoney(std::int64_t minor, const std::string& currency);
// Decimal places of `currency`'s minor unit (2 unless ISO 4217 says 0 or 3).
int MinorDigits(const std::string& currency);
// A figure's value as shown: "25.0%", "12.34 USD", "17", or "n/a" when its
// denominator is 0.
std::string FigureText(const store::Figure& figure, const std::string& currency);
// How a figure was computed, in words and numbers:
// "6 coupons texted in the range and redeemed by its end ÷ 24 coupons texted in the range".
std::string HowComputed(const store::Figure& figure, const std::string& currency);
// The figure's value: a ratio as a fraction (0.25 for 25%), money in the
// currency's major units (31.17 for 3117 cents), a count as is; nullopt
// when its denominator is 0.
std::optional<double> FigureValue(const store::Figure& figure, const std::string& currency);
// "ratio", "money" or "count".
const char* UnitName(store::Figure::Unit unit);
// The range's local dates: first day, and last day included.
std::string FirstDay(const store::RoiReport& report);
std::string LastDay(const store::RoiReport& report);
// The range's local time: "UTC-05:00", or with a daylight-saving change
// inside it "UTC-05:00, UTC-04:00 from 2026-03-08 03:00" (local times).
std::string LocalTimeText(const store::RoiReport& report);

// A summary for the terminal: the range, the headline figures each with
// how it was computed, the campaigns and the notes.
std::string RenderText(const store::RoiReport& report);
// Every figure with key, label, unit, value (null when n/a), numerator,
// denominator and what each counts; campaigns, opt-ins, trend, notes.
std::string RenderJson(const store::RoiReport& report);
// RFC 4180 CSV (CRLF, quoted where needed), one row per figure, then the
// campaigns, opt-ins by cashier and by method, and the trend, each section
// with its own header row. Text cells that a spreadsheet would run as a
// formula (leading = + - @, tab or CR) are prefixed with an apostrophe.
std::string RenderCsv(const store::RoiReport& report);
// One self-contained page (inline CSS, inline SVG charts, no scripts, no
// external files) that works offline.
std::string RenderHtml(const store::RoiReport& report);
// The page's body alone (no <html>, no <style>): for the manager page,
// which styles it with ReportCss() served from its own origin.
std::string RenderHtmlFragment(const store::RoiReport& report);
// The stylesheet of the page and the fragment.
const std::string& ReportCss();

}  // namespace tillbridge::report
