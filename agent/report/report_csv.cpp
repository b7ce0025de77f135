#include <cstdio>
#include <initializer_list>

#include "agent/report/report_format.h"
#include "agent/report/report_settings.h"

namespace tillbridge::report {
namespace {

// One cell: text (guarded against formula injection) or a number we
// wrote ourselves (never guarded, so "-1.50" stays a number).
struct Cell {
  std::string text;
  bool is_text = true;
};

Cell Text(std::string text) { return Cell{std::move(text), true}; }
Cell Number(std::int64_t value) { return Cell{std::to_string(value), false}; }
Cell Number(std::string value) { return Cell{std::move(value), false}; }

std::string Escape(const Cell& cell) {
  std::string text = cell.text;
  // A spreadsheet runs a cell starting with these as a formula
  // (=HYPERLINK(...)); campaign and cashier names come from outside.
  if (cell.is_text && !text.empty() &&
      (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' || text[0] == '\t' ||
       text[0] == '\r')) {
    text.insert(text.begin(), '\'');
  }
  const bool quote = text.find_first_of(",\"\r\n") != std::string::npos ||
                     (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!quote) return text;
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void Row(std::string& out, std::initializer_list<Cell> cells) {
  bool first = true;
  for (const Cell& cell : cells) {
    if (!first) out += ',';
    first = false;
    out += Escape(cell);
  }
  out += "\r\n";
}

// Money as a plain decimal in the report's currency ("123.45"), so a
// spreadsheet reads it as a number; the currency is in the header.
Cell Money(std::int64_t minor, const std::string& currency) {
  std::string text = FormatMoney(minor, currency);
  if (!currency.empty()) text.resize(text.size() - currency.size() - 1);
  return Number(std::move(text));
}

Cell Value(const store::Figure& figure, const std::string& currency) {
  const std::optional<double> value = FigureValue(figure, currency);
  if (!value) return Text("n/a");
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.10g", *value);
  return Number(std::string(buffer));
}

}  // namespace

std::string RenderCsv(const store::RoiReport& report) {
  const std::string& currency = report.currency;
  const std::string money_unit = currency.empty() ? "" : " (" + currency + ")";
  std::string out;
  Row(out, {Text("section"), Text("store_id"), Text("currency"), Text("first_day"),
            Text("last_day"), Text("utc_offset"), Text("attribution_window_days"),
            Text("cost_per_message"), Text("generated_at")});
  Row(out, {Text("report"), Text(report.store_id), Text(currency), Text(FirstDay(report)),
            Text(LastDay(report)), Text(LocalTimeText(report)),
            Number(report.attribution_window_days),
            Number(FormatCostPerMessage(report.query.cost_per_message_micros)),
            Text(FormatRfc3339(report.generated_at))});
  out += "\r\n";
  Row(out,
      {Text("section"), Text("key"), Text("label"), Text("unit"), Text("value"), Text("display"),
       Text("numerator"), Text("denominator"), Text("numerator_is"), Text("denominator_is")});
  for (const auto& figure : report.headline) {
    Row(out, {Text("figure"), Text(figure.key), Text(figure.label), Text(UnitName(figure.unit)),
              Value(figure, currency), Text(FigureText(figure, currency)), Number(figure.numerator),
              Number(figure.denominator), Text(figure.numerator_is), Text(figure.denominator_is)});
  }
  out += "\r\n";
  Row(out, {Text("section"), Text("campaign"), Text("rule"), Text("purpose"), Text("messages_sent"),
            Text("coupons_texted"), Text("coupons_redeemed"), Text("attributed_sales"),
            Text("attributed_revenue" + money_unit), Text("cost" + money_unit)});
  for (const auto& campaign : report.campaigns) {
    Row(out,
        {Text("campaign"), Text(campaign.campaign), Text(campaign.rule), Text(campaign.purpose),
         Number(campaign.messages_sent), Number(campaign.coupons_texted),
         Number(campaign.coupons_redeemed), Number(campaign.attributed_sales),
         Money(campaign.attributed_revenue_minor, currency), Money(campaign.cost_minor, currency)});
  }
  out += "\r\n";
  Row(out, {Text("section"), Text("name"), Text("opt_ins"), Text("sales")});
  for (const auto& row : report.opt_ins_by_cashier) {
    Row(out, {Text("cashier"), Text(row.name), Number(row.opt_ins), Number(row.sales)});
  }
  for (const auto& row : report.opt_ins_by_method) {
    Row(out, {Text("method"), Text(row.name), Number(row.opt_ins), Number(row.sales)});
  }
  out += "\r\n";
  Row(out, {Text("section"), Text("date"), Text("revenue" + money_unit),
            Text("attributed_revenue" + money_unit), Text("sales"), Text("attributed_sales")});
  for (const auto& day : report.trend) {
    Row(out, {Text("day"), Text(day.date), Money(day.revenue_minor, currency),
              Money(day.attributed_revenue_minor, currency), Number(day.sales),
              Number(day.attributed_sales)});
  }
  if (!report.notes.empty()) {
    out += "\r\n";
    Row(out, {Text("section"), Text("note")});
    for (const auto& note : report.notes) Row(out, {Text("note"), Text(note)});
  }
  return out;
}

}  // namespace tillbridge::report
