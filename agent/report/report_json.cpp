#include <charconv>

#include "agent/api/json.h"
#include "agent/report/report_format.h"
#include "agent/report/report_settings.h"

namespace tillbridge::report {
namespace {

// A small pretty-printing JSON writer for people reading the file: the
// report's shape is fixed, so commas and indentation are all it tracks.
class Writer {
 public:
  Writer& Open(char bracket) {
    Separate();
    out_ += bracket;
    first_ = true;
    ++depth_;
    return *this;
  }
  Writer& Close(char bracket) {
    --depth_;
    if (!first_) Newline();
    out_ += bracket;
    first_ = false;
    return *this;
  }
  Writer& Key(std::string_view key) {
    Separate();
    Quote(key);
    out_ += ": ";
    after_key_ = true;
    return *this;
  }
  Writer& String(std::string_view text) {
    Separate();
    Quote(text);
    return *this;
  }
  Writer& Int(std::int64_t value) {
    Separate();
    out_ += std::to_string(value);
    return *this;
  }
  Writer& Double(std::optional<double> value) {
    Separate();
    if (!value) {
      out_ += "null";
      return *this;
    }
    // Shortest text that reads back as the same double.
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, *value);
    out_.append(buffer, result.ptr);
    return *this;
  }
  std::string Take() { return std::move(out_) + "\n"; }

 private:
  void Newline() {
    out_ += '\n';
    out_.append(static_cast<std::size_t>(depth_) * 2, ' ');
  }
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (depth_ == 0) return;
    if (!first_) out_ += ',';
    Newline();
    first_ = false;
  }
  // The API's escaping: valid UTF-8 out whatever comes in, and '<', '>'
  // and '&' escaped, so the JSON can sit inside an HTML page unchanged.
  void Quote(std::string_view text) { agent::AppendJsonString(out_, text); }

  std::string out_;
  int depth_ = 0;
  bool first_ = true;
  bool after_key_ = false;
};

void Rows(Writer& json, const char* key, const std::vector<store::OptInRow>& rows) {
  json.Key(key).Open('[');
  for (const auto& row : rows) {
    json.Open('{');
    json.Key("name").String(row.name);
    json.Key("opt_ins").Int(row.opt_ins);
    json.Key("sales").Int(row.sales);
    json.Close('}');
  }
  json.Close(']');
}

}  // namespace

std::string RenderJson(const store::RoiReport& report) {
  const std::string& currency = report.currency;
  Writer json;
  json.Open('{');
  json.Key("report").String("tillbridge-roi");
  json.Key("store_id").String(report.store_id);
  json.Key("currency").String(currency);
  json.Key("generated_at").String(FormatRfc3339(report.generated_at));
  json.Key("query").Open('{');
  json.Key("from").String(FormatRfc3339(report.query.from));
  json.Key("to").String(FormatRfc3339(report.query.to));
  json.Key("first_day").String(FirstDay(report));
  json.Key("last_day").String(LastDay(report));
  json.Key("to_is").String("exclusive; last_day is the last local day included");
  json.Key("utc_offset").String(FormatUtcOffset(report.query.utc_offset_minutes));
  // Daylight-saving changes inside the range: the offset from each instant on.
  json.Key("utc_offset_changes").Open('[');
  for (const auto& change : report.query.offset_changes) {
    json.Open('{');
    json.Key("at").String(FormatRfc3339(change.at));
    json.Key("utc_offset").String(FormatUtcOffset(change.utc_offset_minutes));
    json.Close('}');
  }
  json.Close(']');
  json.Key("cost_per_message").String(FormatCostPerMessage(report.query.cost_per_message_micros));
  json.Key("cost_per_message_micros").Int(report.query.cost_per_message_micros);
  json.Close('}');
  json.Key("window").Open('{');
  json.Key("attribution_window_days").Int(report.attribution_window_days);
  json.Close('}');
  json.Key("totals").Open('{');
  json.Key("sales").Int(report.sales);
  json.Key("revenue_minor").Int(report.revenue_minor);
  json.Key("identified_sales").Int(report.identified_sales);
  json.Key("customers").Int(report.customers);
  json.Key("messages_sent").Int(report.messages_sent);
  json.Key("attributed_sales").Int(report.attributed_sales);
  json.Key("attributed_revenue_minor").Int(report.attributed_revenue_minor);
  json.Key("attributed_refunded_minor").Int(report.attributed_refunded_minor);
  json.Key("reversed_attributions").Int(report.reversed_attributions);
  json.Close('}');
  json.Key("headline").Open('[');
  for (const auto& figure : report.headline) {
    json.Open('{');
    json.Key("key").String(figure.key);
    json.Key("label").String(figure.label);
    json.Key("unit").String(UnitName(figure.unit));
    json.Key("value").Double(FigureValue(figure, currency));
    json.Key("display").String(FigureText(figure, currency));
    json.Key("numerator").Int(figure.numerator);
    json.Key("denominator").Int(figure.denominator);
    json.Key("numerator_is").String(figure.numerator_is);
    json.Key("denominator_is").String(figure.denominator_is);
    json.Key("how_computed").String(HowComputed(figure, currency));
    json.Close('}');
  }
  json.Close(']');
  json.Key("campaigns").Open('[');
  for (const auto& campaign : report.campaigns) {
    json.Open('{');
    json.Key("campaign").String(campaign.campaign);
    json.Key("rule").String(campaign.rule);
    json.Key("purpose").String(campaign.purpose);
    json.Key("messages_sent").Int(campaign.messages_sent);
    json.Key("coupons_texted").Int(campaign.coupons_texted);
    json.Key("coupons_redeemed").Int(campaign.coupons_redeemed);
    json.Key("attributed_sales").Int(campaign.attributed_sales);
    json.Key("attributed_revenue_minor").Int(campaign.attributed_revenue_minor);
    json.Key("cost_minor").Int(campaign.cost_minor);
    json.Close('}');
  }
  json.Close(']');
  json.Key("opt_ins").Open('{');
  Rows(json, "by_cashier", report.opt_ins_by_cashier);
  Rows(json, "by_method", report.opt_ins_by_method);
  json.Close('}');
  json.Key("trend").Open('[');
  for (const auto& day : report.trend) {
    json.Open('{');
    json.Key("date").String(day.date);
    json.Key("revenue_minor").Int(day.revenue_minor);
    json.Key("attributed_revenue_minor").Int(day.attributed_revenue_minor);
    json.Key("sales").Int(day.sales);
    json.Key("attributed_sales").Int(day.attributed_sales);
    json.Close('}');
  }
  json.Close(']');
  json.Key("notes").Open('[');
  for (const auto& note : report.notes) json.String(note);
  json.Close(']');
  json.Close('}');
  return json.Take();
}

}  // namespace tillbridge::report
