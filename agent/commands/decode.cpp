// `tillbridge decode FILE`: a captured printer stream through the decoder and
// the receipt templates, without a running tap, so that a store manager can
// write or fix a template from a capture.
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <ostream>
#include <regex>
#include <sstream>

#include "agent/commands/commands.h"
#include "common/card_numbers.h"
#include "common/clock.h"
#include "common/phone.h"
#include "drivers/printer/receipt_decoder.h"
#include "drivers/printer/receipt_extractor.h"
#include "drivers/printer/receipt_template.h"

namespace tillbridge::agent {
namespace {

using drivers::DecodedReceipt;
using drivers::ExtractedReceipt;
using drivers::ExtractOutcome;
using drivers::ReceiptTemplate;

// Everything the command needs, from the command line first, then the
// config file when there is one, then defaults.
struct DecodeSettings {
  std::string file;
  std::string templates;  // "" = show text only
  drivers::CommandSet command_set = drivers::CommandSet::kAuto;
  drivers::DecoderLimits limits;
  std::string currency = "USD";
  std::string time_zone = "local";
  std::string zoneinfo_dir = kDefaultZoneinfoDir;
  std::string region = "US";
};

std::string Option(const CommandLine& line, const std::string& name) {
  auto it = line.values.find(name);
  return it == line.values.end() ? "" : it->second;
}

Result<DecodeSettings> SettingsFrom(const CommandLine& line, const LoadedConfig* config) {
  DecodeSettings settings;
  if (line.words.size() != 2) {
    return Status::InvalidArgument(line.words.size() < 2
                                       ? "needs the capture file: tillbridge decode FILE"
                                       : "takes one capture file, not " +
                                             std::to_string(line.words.size() - 1));
  }
  settings.file = line.words[1];
  if (config != nullptr) {
    const ConfigValues& values = config->values;
    settings.templates = values.GetString("printer.templates");
    auto set = drivers::ParseCommandSet(values.GetString("printer.command_set"));
    if (set.ok()) settings.command_set = *set;
    settings.limits.max_line_bytes =
        static_cast<std::size_t>(values.GetInt("printer.max_line_bytes"));
    settings.limits.max_receipt_bytes =
        static_cast<std::size_t>(values.GetInt("printer.max_receipt_bytes"));
    settings.currency = values.GetString("printer.currency");
    settings.time_zone = values.GetString("printer.time_zone");
    settings.zoneinfo_dir = values.GetString("printer.zoneinfo_dir");
    settings.region = values.GetString("agent.default_region");
  }
  if (auto templates = Option(line, "templates"); !templates.empty()) {
    settings.templates = templates;
  }
  if (auto set = Option(line, "command-set"); !set.empty()) {
    auto parsed = drivers::ParseCommandSet(set);
    if (!parsed.ok()) return Status::InvalidArgument("--command-set: " + parsed.status().message());
    settings.command_set = *parsed;
  }
  if (auto currency = Option(line, "currency"); !currency.empty()) settings.currency = currency;
  if (auto region = Option(line, "region"); !region.empty()) settings.region = region;
  if (!PhoneNormalizer::IsKnownRegion(settings.region)) {
    return Status::InvalidArgument("unknown phone region '" + settings.region +
                                   "' (a two-letter country code such as US or DE)");
  }
  return settings;
}

Result<std::string> ReadCapture(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path + ": no such file or no permission");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IoError("cannot read " + path);
  return bytes;
}

std::string Money(std::int64_t minor, int digits, const std::string& currency) {
  std::string sign = minor < 0 ? "-" : "";
  const std::uint64_t magnitude =
      minor < 0 ? static_cast<std::uint64_t>(-(minor + 1)) + 1 : static_cast<std::uint64_t>(minor);
  std::uint64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  char buffer[64];
  if (digits == 0) {
    std::snprintf(buffer, sizeof buffer, "%" PRIu64, magnitude);
  } else {
    std::snprintf(buffer, sizeof buffer, "%" PRIu64 ".%0*" PRIu64, magnitude / scale, digits,
                  magnitude % scale);
  }
  return sign + buffer + " " + currency;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The first line (1-based) that `rule` matches, 0 when none.
std::size_t FirstMatch(const drivers::FieldRule& rule, const std::vector<std::string>& lines) {
  if (!rule.regex) return 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (std::regex_search(lines[i], *rule.regex)) return i + 1;
  }
  return 0;
}

std::size_t FirstMatch(const std::vector<drivers::FieldRule>& rules,
                       const std::vector<std::string>& lines) {
  for (const auto& rule : rules) {
    if (std::size_t at = FirstMatch(rule, lines)) return at;
  }
  return 0;
}

std::string Patterns(const std::vector<drivers::FieldRule>& rules) {
  std::string text;
  for (const auto& rule : rules) text += (text.empty() ? "/" : " or /") + rule.pattern + "/";
  return text;
}

// Why the receipt came out unmatched, template by template.
void ExplainUnmatched(const std::vector<ReceiptTemplate>& templates,
                      const std::vector<std::string>& lines, std::ostream& out) {
  for (const auto& t : templates) {
    out << "    template '" << t.name << "' (" << t.origin << "): ";
    const std::size_t matched = FirstMatch(t.match, lines);
    if (matched == 0) {
      out << "its match rule /" << t.match.pattern << "/ is on no line\n";
      continue;
    }
    out << "matched line " << matched << ", but ";
    if (t.total.empty()) {
      out << "it has no total rule\n";
    } else if (FirstMatch(t.total, lines) == 0) {
      out << "its total rule " << Patterns(t.total) << " is on no line\n";
    } else {
      out << "the total it found is not an amount in this template's format (decimal separator '"
          << t.decimal_separator << "')\n";
    }
    return;  // the first template that matches is the one used
  }
}

void PrintExtraction(const ExtractedReceipt& extracted, const std::string& default_currency,
                     const std::vector<ReceiptTemplate>& templates,
                     const std::vector<std::string>& lines, std::ostream& out) {
  switch (extracted.outcome) {
    case ExtractOutcome::kUnmatched:
      out << "  result: UNMATCHED - kept in the unmatched-receipt log by a running tap\n";
      for (const auto& problem : extracted.problems) out << "    " << problem << "\n";
      ExplainUnmatched(templates, lines, out);
      return;
    case ExtractOutcome::kSkipped:
      out << "  result: skipped by template '" << extracted.template_name
          << "' (a skip_when rule matched: no sale)\n";
      return;
    case ExtractOutcome::kTransaction:
      break;
  }
  const store::Transaction& txn = extracted.transaction;
  const std::string& currency = txn.currency.empty() ? default_currency : txn.currency;
  const auto known_digits = drivers::CurrencyMinorDigits(currency);
  const int digits = known_digits.ok() ? *known_digits : 2;
  out << "  result: " << store::TransactionKindName(txn.kind) << " by template '"
      << extracted.template_name << "'\n";
  out << "    receipt number  " << (txn.pos_id.empty() ? "(none)" : txn.pos_id) << "\n";
  out << "    time            " << FormatRfc3339(txn.occurred_at) << "\n";
  out << "    total           " << Money(txn.total_minor, digits, currency) << "\n";
  out << "    subtotal        " << Money(txn.subtotal_minor, digits, currency) << "\n";
  out << "    tax             " << Money(txn.tax_minor, digits, currency) << "\n";
  if (!txn.cashier.empty()) out << "    cashier         " << txn.cashier << "\n";
  out << "    phone           "
      << (txn.customer_phone.empty() ? "(none)" : MaskPhone(txn.customer_phone)) << "\n";
  out << "    loyalty number  " << (txn.loyalty_number.empty() ? "(none)" : txn.loyalty_number)
      << "\n";
  if (txn.loyalty_points_earned) {
    out << "    points earned   " << *txn.loyalty_points_earned << "\n";
  }
  if (txn.loyalty_balance) out << "    points balance  " << *txn.loyalty_balance << "\n";
  for (const auto& code : txn.coupon_codes) out << "    coupon          " << code << "\n";
  for (const auto& payment : txn.payments) {
    out << "    payment         " << payment.type << " "
        << Money(payment.amount_minor, digits, currency) << "\n";
  }
  out << "    lines           " << txn.lines.size() << "\n";
  for (const auto& line : txn.lines) {
    char quantity[32];
    std::snprintf(quantity, sizeof quantity, "%g", static_cast<double>(line.quantity_milli) / 1000);
    out << "      " << quantity << " x " << line.description;
    if (!line.sku.empty()) out << " [" << line.sku << "]";
    out << "  " << Money(line.total_minor, digits, currency) << "\n";
  }
  for (const auto& problem : extracted.problems) out << "    note: " << problem << "\n";
}

}  // namespace

int RunDecode(const CommandLine& line, const LoadedConfig* config, std::ostream& out,
              std::ostream& err) {
  auto settings = SettingsFrom(line, config);
  if (!settings.ok()) {
    err << "tillbridge decode: " << settings.status().message() << "\n";
    return kExitUsage;
  }
  auto bytes = ReadCapture(settings->file);
  if (!bytes.ok()) {
    err << "tillbridge decode: " << bytes.status().message() << "\n";
    return kExitUsage;
  }
  std::vector<ReceiptTemplate> templates;
  if (!settings->templates.empty()) {
    auto loaded = drivers::LoadReceiptTemplates(settings->templates);
    if (!loaded.ok()) {
      err << "tillbridge decode: templates: " << loaded.status().message() << "\n";
      return kExitUsage;
    }
    templates = std::move(*loaded);
  }
  PhoneNormalizer phones(settings->region);
  drivers::ExtractorOptions extractor_options;
  extractor_options.currency = settings->currency;
  extractor_options.time_zone = settings->time_zone;
  extractor_options.zoneinfo_dir = settings->zoneinfo_dir;
  std::optional<drivers::ReceiptExtractor> extractor;
  if (!templates.empty()) {
    auto created = drivers::ReceiptExtractor::Create(templates, extractor_options, phones);
    if (!created.ok()) {
      err << "tillbridge decode: " << created.status().message() << "\n";
      return kExitUsage;
    }
    extractor.emplace(std::move(*created));
  }

  // The whole capture is one stream: receipts end at cuts (and the last one
  // at the end of the file); idle gaps are not in a file.
  auto decoder =
      drivers::MakeReceiptDecoder(settings->command_set, SystemClock::Instance(), settings->limits);
  std::vector<DecodedReceipt> receipts;
  decoder->Feed(*bytes, receipts);
  decoder->Flush(receipts);
  const drivers::DecoderStats& stats = decoder->stats();

  out << settings->file << ": " << bytes->size() << " bytes, command set "
      << (decoder->command_set().empty() ? "not recognised" : std::string(decoder->command_set()))
      << ", " << receipts.size() << (receipts.size() == 1 ? " receipt" : " receipts") << " ("
      << stats.commands << " commands, " << stats.unknown_commands << " unknown, "
      << stats.payload_bytes_skipped << " bytes of images and codes skipped)\n";
  if (templates.empty()) {
    out << "no templates given (--templates FILE|DIR or printer.templates): showing the text "
           "only\n";
  }
  int unmatched = 0;
  for (std::size_t i = 0; i < receipts.size(); ++i) {
    const DecodedReceipt& receipt = receipts[i];
    out << "\n=== receipt " << (i + 1) << " of " << receipts.size() << " (" << receipt.byte_count
        << " bytes, ended by " << drivers::ReceiptEndName(receipt.end)
        << (receipt.truncated ? ", TRUNCATED at the size limits" : "") << ")\n";
    std::string text;
    if (extractor) {
      const ExtractedReceipt extracted = extractor->Extract(receipt);
      text = extracted.masked_text;
      for (const auto& l : Lines(text)) out << "  | " << l << "\n";
      PrintExtraction(extracted, settings->currency, templates, Lines(text), out);
      if (extracted.outcome == ExtractOutcome::kUnmatched) ++unmatched;
    } else {
      text = MaskCardNumbers(receipt.text);
      for (const auto& l : Lines(text)) out << "  | " << l << "\n";
    }
  }
  if (extractor) {
    out << "\n"
        << (receipts.size() - static_cast<std::size_t>(unmatched)) << " of " << receipts.size()
        << " receipts matched a template";
    if (unmatched > 0) out << "; " << unmatched << " unmatched (see why above)";
    out << "\n";
  }
  return unmatched > 0 ? kExitFailure : kExitOk;
}

}  // namespace tillbridge::agent
