// Turns a decoded receipt into a store::Transaction using receipt templates.
// Card numbers are masked first, so nothing extracted can carry one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/phone.h"
#include "common/status.h"
#include "common/time_zone.h"
#include "drivers/printer/escpos_decoder.h"
#include "drivers/printer/receipt_template.h"
#include "store/model.h"

namespace tillbridge::drivers {

struct ExtractorOptions {
  std::string source = "printer";  // store source name for the transactions
  std::string currency = "USD";    // ISO 4217; sets the number of minor digits
  // How printed date/times are read: "local" (this computer's zone), "UTC",
  // a fixed offset such as "+01:00", or an IANA name read from
  // `zoneinfo_dir` (TimeZone::Load). Daylight saving follows the zone.
  std::string time_zone = "local";
  std::string zoneinfo_dir = kDefaultZoneinfoDir;
};

enum class ExtractOutcome {
  kTransaction,  // a template matched and a total was found
  kSkipped,      // a template matched and its skip_when says it is no sale
  kUnmatched,    // no template matched, or the total was missing
};

struct ExtractedReceipt {
  ExtractOutcome outcome = ExtractOutcome::kUnmatched;
  std::string template_name;       // empty when unmatched
  store::Transaction transaction;  // meaningful for kTransaction
  std::string loyalty_number;      // when the template found one (also in transaction)
  bool invalid_phone = false;      // a phone was printed but is no valid number
  std::string masked_text;         // the receipt text, card numbers masked
  int card_numbers_masked = 0;
  // Why fields were left empty or the receipt is unmatched, for status/logs.
  // Phone numbers appear masked.
  std::vector<std::string> problems;
};

// Thread-compatible: Extract is const and may run on several threads.
class ReceiptExtractor {
 public:
  // Fails on an unknown currency format or time zone. `phones` must outlive
  // the extractor.
  static Result<ReceiptExtractor> Create(std::vector<ReceiptTemplate> templates,
                                         ExtractorOptions options, const PhoneNormalizer& phones);

  ExtractedReceipt Extract(const DecodedReceipt& receipt) const;

  const std::vector<ReceiptTemplate>& templates() const { return templates_; }

 private:
  // Printed local date/time `text` in strftime-style `format` to UTC millis.
  std::optional<UnixMillis> ParseTime(const std::string& text, const std::string& format) const;
  ReceiptExtractor(std::vector<ReceiptTemplate> templates, ExtractorOptions options,
                   const PhoneNormalizer& phones, int minor_digits, TimeZone zone);

  std::vector<ReceiptTemplate> templates_;
  ExtractorOptions options_;
  const PhoneNormalizer* phones_;
  int minor_digits_;
  TimeZone zone_;
};

// Parses a printed amount ("1,234.56", "-3.50", "3.50-", "(3.50)", "$ 12")
// into minor units with `minor_digits` decimals. InvalidArgument says why.
Result<std::int64_t> ParseAmount(std::string_view text, char decimal_separator, int minor_digits);

// Minor-unit digits of an ISO 4217 currency (2 for most, 0 for JPY, 3 for
// KWD); InvalidArgument for something that is not three letters.
Result<int> CurrencyMinorDigits(std::string_view currency);

}  // namespace tillbridge::drivers
