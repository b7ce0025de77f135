#include "drivers/sql/sale_builder.h"

#include <cctype>
#include <cstdlib>
#include <optional>

#include "common/log.h"
#include "drivers/sql/pos_values.h"

namespace tillbridge::drivers {
namespace {

constexpr std::string_view kLog = "pos";

std::string Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

std::string Text(const SqlRow& row, int index) {
  if (index < 0 || static_cast<size_t>(index) >= row.size() || !row[index]) return "";
  return *row[index];
}

bool Present(const SqlRow& row, int index) {
  return index >= 0 && static_cast<size_t>(index) < row.size() && row[index] &&
         !Trim(*row[index]).empty();
}

// Round half away from zero of a / b for b > 0.
std::int64_t DivideRounded(std::int64_t a, std::int64_t b) {
  const std::int64_t quotient = a / b;
  const std::int64_t remainder = a % b;
  if (std::llabs(remainder) * 2 >= b) return quotient + (a < 0 ? -1 : 1);
  return quotient;
}

struct Parser {
  const BuildContext& context;
  const PendingEvent& event;
  int money_scale;

  void Warn(const std::string& what) const {
    LogWarning(kLog, "source '" + context.source + "': sale " + event.id + ": " + what);
  }

  // E.164, or empty (with a warning) when the POS's text is not a usable
  // number; the record is kept either way.
  std::string Phone(const SqlRow& row, int index) const {
    if (!Present(row, index)) return "";
    const std::string raw = Trim(Text(row, index));
    auto e164 = context.phone.Normalize(raw);
    if (e164.ok()) return *e164;
    // Masked by the logging facade too.
    Warn("customer phone " + MaskPhone(raw) + " is not usable (" + e164.status().message() +
         "); recording it without a phone");
    return "";
  }

  // A whole number of loyalty points, or nullopt (with a warning when the
  // POS's text is not a number) when the column is absent or empty.
  std::optional<std::int64_t> Points(const SqlRow& row, int index, std::string_view field) const {
    if (!Present(row, index)) return std::nullopt;
    auto value = ParseScaledDecimal(*row[index], 0);
    if (!value.ok()) {
      Warn(std::string(field) + " " + value.status().message() + "; leaving it out");
      return std::nullopt;
    }
    return *value;
  }

  std::int64_t Money(const SqlRow& row, int index, std::string_view field) const {
    if (!Present(row, index)) return 0;
    auto value = ParseScaledDecimal(*row[index], money_scale);
    if (!value.ok()) {
      Warn(std::string(field) + " " + value.status().message() + "; using 0");
      return 0;
    }
    return *value;
  }
};

std::string CurrencyOf(const BuildContext& context, const PendingEvent& event, const SqlRow& row,
                       int index) {
  if (!Present(row, index)) return context.default_currency;
  const std::string code = Trim(Text(row, index));
  const bool valid = code.size() == 3 && std::isupper(static_cast<unsigned char>(code[0])) &&
                     std::isupper(static_cast<unsigned char>(code[1])) &&
                     std::isupper(static_cast<unsigned char>(code[2]));
  if (valid) return code;
  LogWarning(kLog, "source '" + context.source + "': sale " + event.id + ": currency '" +
                       code.substr(0, 20) + "' is not an ISO 4217 code; using " +
                       context.default_currency);
  return context.default_currency;
}

}  // namespace

Result<UnixMillis> PosTimeToUtc(const BuildContext& context, std::string_view text) {
  auto parsed = ParsePosTimestamp(text);
  if (!parsed.ok()) return parsed.status();
  if (parsed->utc || context.profile.times == TimeBasis::kUtc) return parsed->millis;
  const std::int64_t seconds =
      parsed->millis >= 0 ? parsed->millis / 1000 : -((-parsed->millis + 999) / 1000);
  const std::int64_t fraction = parsed->millis - seconds * 1000;
  return context.zone.LocalToUtc(seconds) * 1000 + fraction;
}

store::Transaction BuildTransaction(const BuildContext& context, const PendingEvent& event,
                                    const SaleDetails& details, UnixMillis now) {
  const ProfileSql& sql = context.sql;
  const SqlRow& header = event.header;
  store::Transaction txn;
  txn.source = context.source;
  txn.pos_id = Present(header, sql.SalesIndex("pos_id"))
                   ? Trim(Text(header, sql.SalesIndex("pos_id")))
                   : event.id;
  txn.revision = event.revision;
  switch (event.kind) {
    case EmittedKind::kRefund:
      txn.kind = store::TransactionKind::kRefund;
      break;
    case EmittedKind::kVoid:
      txn.kind = store::TransactionKind::kVoid;
      break;
    case EmittedKind::kAbandoned:
      txn.kind = store::TransactionKind::kAbandoned;
      break;
    default:
      txn.kind = store::TransactionKind::kSale;
      break;
  }

  txn.currency = CurrencyOf(context, event, header, sql.SalesIndex("currency"));
  const Parser parse{
      context, event,
      context.profile.amounts == AmountUnit::kMajor ? CurrencyExponent(txn.currency) : 0};

  // When did it happen: the sale's own time, except for changes noticed
  // later, which happened when the POS says (updated_at) or when noticed.
  UnixMillis occurred = now;
  int index = -1;
  if (event.first_seen) {
    index = sql.SalesIndex("occurred_at");
  } else if (Present(header, sql.SalesIndex("updated_at"))) {
    index = sql.SalesIndex("updated_at");
  } else if (event.kind == EmittedKind::kSale) {
    // A held basket completed: POSes stamp the completion time on the sale.
    index = sql.SalesIndex("occurred_at");
  }
  if (event.kind == EmittedKind::kAbandoned) {
    occurred = event.held_since > 0
                   ? std::min<UnixMillis>(event.held_since + context.abandon_after_ms, now)
                   : now;
  } else if (index >= 0 && Present(header, index)) {
    auto utc = PosTimeToUtc(context, *header[index]);
    if (utc.ok()) {
      occurred = *utc;
    } else {
      parse.Warn("time " + utc.status().message() + "; using the time it was read");
    }
  }
  txn.occurred_at = occurred;

  txn.cashier = Trim(Text(header, sql.SalesIndex("cashier")));
  txn.customer_phone = parse.Phone(header, sql.SalesIndex("customer_phone"));

  if (Present(header, sql.SalesIndex("coupon_codes"))) {
    const std::string codes = Text(header, sql.SalesIndex("coupon_codes"));
    size_t start = 0;
    while (start <= codes.size()) {
      size_t comma = codes.find(',', start);
      if (comma == std::string::npos) comma = codes.size();
      std::string code = Trim(std::string_view(codes).substr(start, comma - start));
      if (!code.empty()) txn.coupon_codes.push_back(std::move(code));
      start = comma + 1;
    }
  }
  if (auto it = details.coupons.find(event.id); it != details.coupons.end()) {
    const int code_index = sql.DetailIndex(DetailKind::kCoupons, "code");
    for (const SqlRow& row : it->second) {
      std::string code = Trim(Text(row, code_index));
      if (!code.empty()) txn.coupon_codes.push_back(std::move(code));
    }
  }

  std::int64_t line_sum = 0;
  if (auto it = details.lines.find(event.id); it != details.lines.end()) {
    const auto col = [&](const char* field) { return sql.DetailIndex(DetailKind::kLines, field); };
    for (const SqlRow& row : it->second) {
      store::TransactionLine line;
      line.sku = Trim(Text(row, col("sku")));
      line.description = Trim(Text(row, col("description")));
      line.category = Trim(Text(row, col("category")));
      line.quantity_milli = 0;
      if (Present(row, col("quantity"))) {
        auto quantity = ParseScaledDecimal(*row[col("quantity")], 3);
        if (quantity.ok()) {
          line.quantity_milli = *quantity;
        } else {
          parse.Warn("line quantity " + quantity.status().message() + "; using 0");
        }
      }
      line.unit_price_minor = parse.Money(row, col("unit_price"), "line unit price");
      if (Present(row, col("total"))) {
        line.total_minor = parse.Money(row, col("total"), "line total");
      } else {
        const bool overflow =
            line.unit_price_minor != 0 &&
            std::llabs(line.quantity_milli) > INT64_MAX / std::llabs(line.unit_price_minor);
        line.total_minor =
            overflow ? 0 : DivideRounded(line.quantity_milli * line.unit_price_minor, 1000);
        if (overflow) parse.Warn("line total is too large; using 0");
      }
      line_sum += line.total_minor;
      txn.lines.push_back(std::move(line));
    }
  }
  if (auto it = details.payments.find(event.id); it != details.payments.end()) {
    const auto col = [&](const char* field) {
      return sql.DetailIndex(DetailKind::kPayments, field);
    };
    for (const SqlRow& row : it->second) {
      store::Payment payment;
      payment.type = Trim(Text(row, col("type")));
      payment.amount_minor = parse.Money(row, col("amount"), "payment amount");
      txn.payments.push_back(std::move(payment));
    }
  }

  txn.tax_minor = parse.Money(header, sql.SalesIndex("tax"), "tax");
  txn.tip_minor = parse.Money(header, sql.SalesIndex("tip"), "tip");
  txn.line_prices_include_tax = context.profile.prices_include_tax;
  const bool has_subtotal = Present(header, sql.SalesIndex("subtotal"));
  const bool has_total = Present(header, sql.SalesIndex("total"));
  std::optional<std::int64_t> pos_total;
  if (has_total) {
    pos_total = parse.Money(header, sql.SalesIndex("total"), "total");
    // A tip is money for the staff, not a sale: totals are reported without it.
    if (context.profile.tip_in_total) *pos_total -= txn.tip_minor;
  }
  if (context.profile.prices_include_tax) {
    // Gross line prices: the lines add up to the total, the tax is inside it.
    txn.total_minor = pos_total ? *pos_total : line_sum;
    txn.subtotal_minor = has_subtotal ? parse.Money(header, sql.SalesIndex("subtotal"), "subtotal")
                                      : txn.total_minor - txn.tax_minor;
  } else {
    txn.subtotal_minor =
        has_subtotal ? parse.Money(header, sql.SalesIndex("subtotal"), "subtotal") : line_sum;
    txn.total_minor = pos_total ? *pos_total : txn.subtotal_minor + txn.tax_minor;
  }
  if (Present(header, sql.SalesIndex("refund_of"))) {
    txn.refund_of = Trim(Text(header, sql.SalesIndex("refund_of")));
  }
  // Points belong to the sale as completed; a void or refund of it is the
  // POS's business to take back from the balance.
  if (txn.kind == store::TransactionKind::kSale) {
    txn.loyalty_points_earned =
        parse.Points(header, sql.SalesIndex("points_earned"), "points earned");
    txn.loyalty_balance = parse.Points(header, sql.SalesIndex("points_balance"), "points balance");
  }

  // Refunds are reported as money going back to the customer (negative),
  // whichever sign the POS stores them with.
  if (txn.kind == store::TransactionKind::kRefund && txn.total_minor > 0) {
    txn.total_minor = -txn.total_minor;
    txn.subtotal_minor = -txn.subtotal_minor;
    txn.tax_minor = -txn.tax_minor;
    txn.tip_minor = -std::llabs(txn.tip_minor);
    for (auto& line : txn.lines) {
      line.quantity_milli = -std::llabs(line.quantity_milli);
      line.total_minor = -std::llabs(line.total_minor);
    }
    for (auto& payment : txn.payments) payment.amount_minor = -std::llabs(payment.amount_minor);
  }
  return txn;
}

}  // namespace tillbridge::drivers

namespace tillbridge::drivers {

std::string HeldBasketPosId(std::string_view basket_id) {
  return "held:" + std::string(basket_id);
}

store::Transaction BuildHeldBasket(const BuildContext& context, const std::string& basket_id,
                                   const SqlRow& row, UnixMillis held_since, UnixMillis now) {
  const ProfileSql& sql = context.sql;
  PendingEvent event;
  event.id = "in [held] " + basket_id;
  event.kind = EmittedKind::kAbandoned;
  store::Transaction txn;
  txn.source = context.source;
  txn.pos_id = HeldBasketPosId(basket_id);
  txn.revision = 1;
  txn.kind = store::TransactionKind::kAbandoned;
  txn.occurred_at = std::min<UnixMillis>(held_since + context.abandon_after_ms, now);
  txn.currency = CurrencyOf(context, event, row, sql.HeldIndex("currency"));
  const Parser parse{
      context, event,
      context.profile.amounts == AmountUnit::kMajor ? CurrencyExponent(txn.currency) : 0};
  txn.cashier = Trim(Text(row, sql.HeldIndex("cashier")));
  txn.customer_phone = parse.Phone(row, sql.HeldIndex("customer_phone"));
  txn.tax_minor = parse.Money(row, sql.HeldIndex("tax"), "tax");
  txn.total_minor = parse.Money(row, sql.HeldIndex("total"), "total");
  txn.line_prices_include_tax = context.profile.prices_include_tax;
  // The basket's lines are not readable: only its totals are reported.
  txn.subtotal_minor = txn.total_minor - txn.tax_minor;
  return txn;
}

}  // namespace tillbridge::drivers
