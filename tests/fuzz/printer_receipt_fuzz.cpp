// Fuzz target for the printer tap's parsing path: the ESC/POS decoder (fed in
// chunk sizes chosen by the input, with idle gaps and stream breaks), then
// card masking and template extraction of every receipt. Checks the
// invariants a crash would not show: bounded text, no card number left.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/card_numbers.h"
#include "common/phone.h"
#include "drivers/printer/escpos_decoder.h"
#include "drivers/printer/receipt_extractor.h"

namespace {

using tillbridge::drivers::DecodedReceipt;

constexpr std::size_t kMaxLine = 256;
constexpr std::size_t kMaxReceipt = 8192;

struct Shared {
  tillbridge::PhoneNormalizer phones{"US"};
  tillbridge::drivers::ReceiptExtractor extractor = Make(phones);

  static tillbridge::drivers::ReceiptExtractor Make(const tillbridge::PhoneNormalizer& phones) {
    auto templates = tillbridge::drivers::LoadReceiptTemplates(std::string(TILLBRIDGE_SOURCE_DIR) +
                                                               "/examples/receipt-templates");
    if (!templates.ok()) std::abort();
    tillbridge::drivers::ExtractorOptions options;
    options.time_zone = "UTC";
    auto extractor =
        tillbridge::drivers::ReceiptExtractor::Create(std::move(*templates), options, phones);
    if (!extractor.ok()) std::abort();
    return std::move(*extractor);
  }
};

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

void Examine(const Shared& shared, const DecodedReceipt& receipt) {
  Check(receipt.text.size() <= kMaxReceipt);
  const auto extracted = shared.extractor.Extract(receipt);
  // Masking is complete: masking the result again finds nothing.
  int again = 0;
  (void)tillbridge::MaskCardNumbers(extracted.masked_text, &again);
  Check(again == 0);
  Check(!tillbridge::ContainsCardNumber(extracted.transaction.receipt_text));
  if (extracted.outcome == tillbridge::drivers::ExtractOutcome::kTransaction) {
    Check(extracted.transaction.receipt_text == extracted.masked_text);
    Check(!extracted.transaction.pos_id.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Shared shared;
  if (size == 0) return 0;
  // The first byte shapes the feeding: chunk size and when to insert an
  // idle gap or a stream break.
  const std::size_t chunk = 1 + (data[0] & 0x3F);
  const bool gaps = data[0] & 0x40;
  const bool breaks = data[0] & 0x80;
  tillbridge::ManualClock clock(1'700'000'000'000);
  tillbridge::drivers::DecoderLimits limits;
  limits.max_line_bytes = kMaxLine;
  limits.max_receipt_bytes = kMaxReceipt;
  limits.idle_cut_timeout = std::chrono::milliseconds(1000);
  tillbridge::drivers::EscPosDecoder decoder(clock, limits);
  std::vector<DecodedReceipt> receipts;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  for (std::size_t offset = 0, round = 0; offset < input.size(); offset += chunk, ++round) {
    decoder.Feed(input.substr(offset, chunk), receipts);
    if (gaps && round % 7 == 6) {
      clock.Advance(std::chrono::milliseconds(1500));
      decoder.CheckIdle(receipts);
    }
    if (breaks && round % 5 == 4) decoder.ResetStream();
  }
  decoder.Flush(receipts);
  Check(decoder.stats().bytes == input.size());
  for (const auto& receipt : receipts) Examine(shared, receipt);
  return 0;
}
