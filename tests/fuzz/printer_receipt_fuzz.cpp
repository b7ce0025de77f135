// Fuzz target for the printer tap's parsing path: the ESC/POS, Star and
// automatic decoders (each fed the same input in chunk sizes chosen by the
// input, with idle gaps and stream breaks), then card masking and template
// extraction of every receipt. Checks the invariants a crash would not show:
// bounded text, every byte counted, no card number left.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/card_numbers.h"
#include "common/phone.h"
#include "drivers/printer/auto_decoder.h"
#include "drivers/printer/escpos_decoder.h"
#include "drivers/printer/receipt_extractor.h"
#include "drivers/printer/star_decoder.h"

namespace {

using tillbridge::drivers::DecodedReceipt;
using tillbridge::drivers::ReceiptDecoder;

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

// How the input is fed: the first byte chooses the chunk size and whether
// idle gaps and stream breaks happen between chunks.
struct Feeding {
  std::size_t chunk = 1;
  bool gaps = false;
  bool breaks = false;
};

// Feeds `input` to `decoder` as `feeding` says, then flushes; checks that
// every byte was counted and the receipts are bounded and masked.
void Run(const Shared& shared, ReceiptDecoder& decoder, tillbridge::ManualClock& clock,
         std::string_view input, Feeding feeding) {
  std::vector<DecodedReceipt> receipts;
  for (std::size_t offset = 0, round = 0; offset < input.size(); offset += feeding.chunk, ++round) {
    decoder.Feed(input.substr(offset, feeding.chunk), receipts);
    if (feeding.gaps && round % 7 == 6) {
      clock.Advance(std::chrono::milliseconds(1500));
      decoder.CheckIdle(receipts);
    }
    if (feeding.breaks && round % 5 == 4) decoder.ResetStream();
    // A connection ending: `auto` starts recognising the command set again.
    if (feeding.breaks && round % 11 == 10) decoder.EndStream(receipts);
  }
  decoder.Flush(receipts);
  Check(decoder.stats().bytes == input.size());
  for (const auto& receipt : receipts) Examine(shared, receipt);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Shared shared;
  if (size == 0) return 0;
  Feeding feeding;
  feeding.chunk = 1 + (data[0] & 0x3F);
  feeding.gaps = data[0] & 0x40;
  feeding.breaks = data[0] & 0x80;
  tillbridge::drivers::DecoderLimits limits;
  limits.max_line_bytes = kMaxLine;
  limits.max_receipt_bytes = kMaxReceipt;
  limits.idle_cut_timeout = std::chrono::milliseconds(1000);
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  {
    tillbridge::ManualClock clock(1'700'000'000'000);
    tillbridge::drivers::EscPosDecoder decoder(clock, limits);
    Run(shared, decoder, clock, input, feeding);
  }
  {
    tillbridge::ManualClock clock(1'700'000'000'000);
    tillbridge::drivers::StarDecoder decoder(clock, limits);
    Run(shared, decoder, clock, input, feeding);
  }
  {
    tillbridge::ManualClock clock(1'700'000'000'000);
    tillbridge::drivers::AutoDecoder decoder(clock, limits);
    Run(shared, decoder, clock, input, feeding);
  }
  return 0;
}
