#include "drivers/printer/receipt_extractor.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <iomanip>
#include <locale>
#include <sstream>

#include "common/card_numbers.h"
#include "common/currency.h"
#include "common/digest.h"

namespace tillbridge::drivers {
namespace {

// Regexes see at most this much of a line, which bounds their run time and
// the recursion depth of std::regex.
constexpr std::size_t kMaxRegexInput = 1024;

std::string Trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  const auto end = text.find_last_not_of(" \t");
  return std::string(text.substr(begin, end - begin + 1));
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto newline = text.find('\n', pos);
    if (newline == std::string_view::npos) newline = text.size();
    lines.push_back(text.substr(pos, std::min(newline - pos, kMaxRegexInput)));
    pos = newline + 1;
  }
  return lines;
}

// Captures of one matching line, by group name.
struct Captures {
  std::vector<std::pair<std::string, std::string>> values;
  std::string Get(std::string_view name) const {
    for (const auto& [key, value] : values) {
      if (key == name) return value;
    }
    return {};
  }
  bool Has(std::string_view name) const {
    for (const auto& [key, value] : values) {
      if (key == name) return true;
    }
    return false;
  }
};

bool MatchLine(const FieldRule& rule, std::string_view line, Captures* captures) {
  // Most lines lack the rule's literal text: a plain search rules them out
  // many times faster than the regular expression would.
  if (!MayMatch(rule, line)) return false;
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_search(line.begin(), line.end(), match, *rule.regex)) return false;
  if (captures != nullptr) {
    captures->values.clear();
    for (std::size_t i = 0; i < rule.groups.size() && i + 1 < match.size(); ++i) {
      if (rule.groups[i] == "_" || !match[i + 1].matched) continue;
      captures->values.emplace_back(rule.groups[i], Trim(match[i + 1].str()));
    }
  }
  return true;
}

bool AnyLineMatches(const FieldRule& rule, const std::vector<std::string_view>& lines) {
  for (auto line : lines) {
    if (MatchLine(rule, line, nullptr)) return true;
  }
  return false;
}

bool AnyLineMatches(const std::vector<FieldRule>& rules,
                    const std::vector<std::string_view>& lines) {
  for (const auto& rule : rules) {
    if (AnyLineMatches(rule, lines)) return true;
  }
  return false;
}

// The first line matched by any of `rules` (tried in order).
std::optional<Captures> FirstMatch(const std::vector<FieldRule>& rules,
                                   const std::vector<std::string_view>& lines) {
  Captures captures;
  for (const auto& rule : rules) {
    for (auto line : lines) {
      if (MatchLine(rule, line, &captures)) return captures;
    }
  }
  return std::nullopt;
}

// Every line matched by any rule, in line order; a line counts once.
std::vector<Captures> AllMatches(const std::vector<FieldRule>& rules,
                                 const std::vector<std::string_view>& lines) {
  std::vector<Captures> all;
  Captures captures;
  for (auto line : lines) {
    for (const auto& rule : rules) {
      if (MatchLine(rule, line, &captures)) {
        all.push_back(captures);
        break;
      }
    }
  }
  return all;
}

}  // namespace

Result<int> CurrencyMinorDigits(std::string_view currency) {
  if (!IsCurrencyCode(currency)) {
    return Status::InvalidArgument("currency must be an ISO 4217 code such as USD, got '" +
                                   std::string(currency) + "'");
  }
  return tillbridge::CurrencyMinorDigits(currency);
}

Result<std::int64_t> ParseAmount(std::string_view text, char decimal_separator, int minor_digits) {
  const char group_separator = decimal_separator == '.' ? ',' : '.';
  bool negative = false;
  std::string integer_digits;
  std::string fraction_digits;
  bool in_fraction = false;
  bool any_digit = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      (in_fraction ? fraction_digits : integer_digits).push_back(c);
      any_digit = true;
    } else if (c == decimal_separator) {
      if (in_fraction)
        return Status::InvalidArgument("amount '" + std::string(text) +
                                       "' has two decimal separators");
      in_fraction = true;
    } else if (c == '-' || c == '(') {
      negative = true;
    } else if (c == group_separator || c == '\'' || c == ' ' || c == ')' || c == '+') {
      if (in_fraction && c == group_separator) {
        return Status::InvalidArgument("amount '" + std::string(text) +
                                       "' has a digit group after the decimals");
      }
    } else if (std::isalpha(static_cast<unsigned char>(c)) ||
               static_cast<unsigned char>(c) >= 0x80 || c == '$' || c == '*') {
      // Currency codes and symbols (including UTF-8 ones such as the euro sign).
    } else {
      return Status::InvalidArgument("amount '" + std::string(text) + "' contains '" +
                                     std::string(1, c) + "'");
    }
  }
  if (!any_digit)
    return Status::InvalidArgument("amount '" + std::string(text) + "' has no digits");
  if (static_cast<int>(fraction_digits.size()) > minor_digits) {
    return Status::InvalidArgument("amount '" + std::string(text) + "' has more than " +
                                   std::to_string(minor_digits) + " decimals");
  }
  integer_digits.erase(0, std::min(integer_digits.find_first_not_of('0'), integer_digits.size()));
  if (integer_digits.size() > 15)
    return Status::InvalidArgument("amount '" + std::string(text) + "' is too large");
  fraction_digits.resize(static_cast<std::size_t>(minor_digits), '0');
  std::int64_t value = 0;
  for (char c : integer_digits + fraction_digits) value = value * 10 + (c - '0');
  return negative ? -value : value;
}

Result<ReceiptExtractor> ReceiptExtractor::Create(std::vector<ReceiptTemplate> templates,
                                                  ExtractorOptions options,
                                                  const PhoneNormalizer& phones) {
  if (templates.empty()) return Status::InvalidArgument("no receipt templates");
  auto digits = CurrencyMinorDigits(options.currency);
  if (!digits.ok()) return digits.status();
  auto zone = TimeZone::Load(options.time_zone, options.zoneinfo_dir);
  if (!zone.ok()) return Status::InvalidArgument("printer.time_zone: " + zone.status().message());
  return ReceiptExtractor(std::move(templates), std::move(options), phones, *digits,
                          std::move(zone).value());
}

ReceiptExtractor::ReceiptExtractor(std::vector<ReceiptTemplate> templates, ExtractorOptions options,
                                   const PhoneNormalizer& phones, int minor_digits, TimeZone zone)
    : templates_(std::move(templates)),
      options_(std::move(options)),
      phones_(&phones),
      minor_digits_(minor_digits),
      zone_(std::move(zone)) {}

namespace {

// Everything about one extraction run; keeps Extract itself short.
class Extraction {
 public:
  Extraction(const ReceiptTemplate& t, const std::vector<std::string_view>& lines, int minor_digits,
             ExtractedReceipt& out)
      : t_(t), lines_(lines), minor_digits_(minor_digits), out_(out) {}

  std::optional<std::int64_t> Amount(const std::string& field, const std::string& text) {
    auto amount = ParseAmount(text, t_.decimal_separator, minor_digits_);
    if (amount.ok()) return *amount;
    out_.problems.push_back(field + ": " + amount.status().message());
    return std::nullopt;
  }

  std::optional<std::int64_t> Quantity(const std::string& text) {
    auto quantity = ParseAmount(text, t_.decimal_separator, 3);
    if (quantity.ok()) return *quantity;
    out_.problems.push_back("line quantity: " + quantity.status().message());
    return std::nullopt;
  }

  std::optional<std::int64_t> ScalarAmount(const std::vector<FieldRule>& rules,
                                           const std::string& field) {
    auto match = FirstMatch(rules, lines_);
    if (!match) return std::nullopt;
    return Amount(field, match->Get("value"));
  }

  // Loyalty points are whole numbers, printed like amounts ("1,250").
  std::optional<std::int64_t> ScalarPoints(const std::vector<FieldRule>& rules,
                                           const std::string& field) {
    auto match = FirstMatch(rules, lines_);
    if (!match) return std::nullopt;
    auto points = ParseAmount(match->Get("value"), t_.decimal_separator, 0);
    if (points.ok()) return *points;
    out_.problems.push_back(field + ": " + points.status().message());
    return std::nullopt;
  }

  std::string ScalarText(const std::vector<FieldRule>& rules) {
    auto match = FirstMatch(rules, lines_);
    return match ? match->Get("value") : std::string();
  }

  std::vector<store::TransactionLine> Lines() {
    std::vector<store::TransactionLine> lines;
    for (const auto& captures : AllMatches(t_.line, lines_)) {
      store::TransactionLine line;
      line.description = captures.Get("description");
      line.sku = captures.Get("sku");
      if (captures.Has("quantity")) {
        auto quantity = Quantity(captures.Get("quantity"));
        if (!quantity) continue;
        line.quantity_milli = *quantity;
      }
      std::optional<std::int64_t> unit, total;
      if (captures.Has("unit_price")) unit = Amount("line unit_price", captures.Get("unit_price"));
      if (captures.Has("amount")) total = Amount("line amount", captures.Get("amount"));
      if (!unit && !total) continue;
      line.total_minor = total ? *total : *unit * line.quantity_milli / 1000;
      if (unit) {
        line.unit_price_minor = *unit;
      } else if (line.quantity_milli != 0) {
        line.unit_price_minor = *total * 1000 / line.quantity_milli;
      }
      lines.push_back(std::move(line));
    }
    return lines;
  }

  std::vector<store::Payment> Payments() {
    std::vector<store::Payment> payments;
    for (const auto& captures : AllMatches(t_.tender, lines_)) {
      auto amount = Amount("tender", captures.Get("amount"));
      if (!amount) continue;
      std::string type = captures.Get("type");
      std::transform(type.begin(), type.end(), type.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      payments.push_back({type.empty() ? "unknown" : type, *amount});
    }
    return payments;
  }

  std::int64_t TaxSum() {
    std::int64_t sum = 0;
    for (const auto& captures : AllMatches(t_.tax, lines_)) {
      if (auto amount = Amount("tax", captures.Get("value"))) sum += *amount;
    }
    return sum;
  }

  std::vector<std::string> Coupons() {
    std::vector<std::string> codes;
    for (const auto& captures : AllMatches(t_.coupon, lines_)) {
      std::string code = captures.Get("value");
      if (!code.empty() && std::find(codes.begin(), codes.end(), code) == codes.end()) {
        codes.push_back(std::move(code));
      }
    }
    return codes;
  }

 private:
  const ReceiptTemplate& t_;
  const std::vector<std::string_view>& lines_;
  int minor_digits_;
  ExtractedReceipt& out_;
};

void MakeAbsolute(store::Transaction& txn) {
  const auto abs = [](std::int64_t v) { return v < 0 ? -v : v; };
  txn.subtotal_minor = abs(txn.subtotal_minor);
  txn.tax_minor = abs(txn.tax_minor);
  txn.total_minor = abs(txn.total_minor);
  for (auto& line : txn.lines) {
    line.total_minor = abs(line.total_minor);
    line.unit_price_minor = abs(line.unit_price_minor);
    line.quantity_milli = abs(line.quantity_milli);
  }
  for (auto& payment : txn.payments) payment.amount_minor = abs(payment.amount_minor);
}

}  // namespace

ExtractedReceipt ReceiptExtractor::Extract(const DecodedReceipt& receipt) const {
  ExtractedReceipt out;
  out.masked_text = MaskCardNumbers(receipt.text, &out.card_numbers_masked);
  const std::vector<std::string_view> lines = SplitLines(out.masked_text);

  const ReceiptTemplate* chosen = nullptr;
  for (const auto& t : templates_) {
    if (AnyLineMatches(t.match, lines)) {
      chosen = &t;
      break;
    }
  }
  if (chosen == nullptr) {
    out.problems.push_back("no template matched");
    return out;
  }
  out.template_name = chosen->name;
  if (AnyLineMatches(chosen->skip_when, lines)) {
    out.outcome = ExtractOutcome::kSkipped;
    return out;
  }
  const std::string& currency = chosen->currency.empty() ? options_.currency : chosen->currency;
  const int minor_digits =
      chosen->currency.empty() ? minor_digits_ : CurrencyMinorDigits(currency).value();
  Extraction extraction(*chosen, lines, minor_digits, out);
  store::Transaction& txn = out.transaction;
  auto total = extraction.ScalarAmount(chosen->total, "total");
  if (!total) {
    out.problems.push_back("template '" + chosen->name + "' matched but no total was found");
    return out;
  }
  txn.total_minor = *total;
  txn.source = options_.source;
  txn.currency = currency;
  txn.receipt_text = out.masked_text;
  txn.subtotal_minor = extraction.ScalarAmount(chosen->subtotal, "subtotal").value_or(0);
  txn.tax_minor = extraction.TaxSum();
  txn.cashier = extraction.ScalarText(chosen->cashier);
  txn.lines = extraction.Lines();
  txn.payments = extraction.Payments();
  txn.coupon_codes = extraction.Coupons();
  out.loyalty_number = extraction.ScalarText(chosen->loyalty);
  txn.loyalty_number = out.loyalty_number;

  if (AnyLineMatches(chosen->void_when, lines)) {
    txn.kind = store::TransactionKind::kVoid;
  } else if (AnyLineMatches(chosen->refund_when, lines) || txn.total_minor < 0) {
    txn.kind = store::TransactionKind::kRefund;
  }
  if (txn.kind != store::TransactionKind::kSale) MakeAbsolute(txn);
  if (txn.kind == store::TransactionKind::kSale) {
    txn.loyalty_points_earned = extraction.ScalarPoints(chosen->points_earned, "points earned");
    txn.loyalty_balance = extraction.ScalarPoints(chosen->points_balance, "points balance");
  }

  const std::string phone = extraction.ScalarText(chosen->phone);
  if (!phone.empty()) {
    auto normalized = phones_->Normalize(phone);
    if (normalized.ok()) {
      txn.customer_phone = *normalized;
    } else {
      out.invalid_phone = true;
      out.problems.push_back("phone " + MaskPhonesInText(phone) +
                             " rejected: " + normalized.status().message());
    }
  }

  txn.occurred_at = receipt.last_byte_at;
  const std::string when = extraction.ScalarText(chosen->datetime);
  if (!when.empty()) {
    if (auto parsed = ParseTime(when, chosen->datetime_format)) {
      txn.occurred_at = *parsed;
    } else {
      out.problems.push_back("datetime '" + when + "' does not fit format '" +
                             chosen->datetime_format + "'");
    }
  }

  const std::string number = extraction.ScalarText(chosen->receipt_number);
  // Without a printed number the text itself identifies the receipt, so a
  // reprint of the same receipt is recognized as already stored.
  // A number that masking touched is no longer unique, so it cannot be the id.
  const bool usable = !number.empty() && number.find('*') == std::string::npos;
  txn.pos_id = usable ? number : "h-" + Sha256Hex(out.masked_text).substr(0, 24);
  if (txn.kind == store::TransactionKind::kRefund) txn.pos_id += "/refund";
  if (txn.kind == store::TransactionKind::kVoid) txn.pos_id += "/void";
  out.outcome = ExtractOutcome::kTransaction;
  return out;
}

std::optional<UnixMillis> ReceiptExtractor::ParseTime(const std::string& text,
                                                      const std::string& format) const {
  std::tm tm{};
  std::istringstream in(text);
  in.imbue(std::locale::classic());
  in >> std::get_time(&tm, format.c_str());
  if (in.fail()) return std::nullopt;
  const std::int64_t wall = DaysFromCivil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 +
                            tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
  return zone_.LocalToUtc(wall) * 1000;
}

}  // namespace tillbridge::drivers
