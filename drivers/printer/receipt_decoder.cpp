#include "drivers/printer/receipt_decoder.h"

#include "drivers/printer/auto_decoder.h"
#include "drivers/printer/escpos_decoder.h"
#include "drivers/printer/star_decoder.h"

namespace tillbridge::drivers {

std::string_view ReceiptEndName(ReceiptEnd end) {
  switch (end) {
    case ReceiptEnd::kCut:
      return "cut";
    case ReceiptEnd::kIdle:
      return "idle";
    case ReceiptEnd::kFlush:
      return "flush";
    case ReceiptEnd::kStreamEnd:
      return "connection end";
  }
  return "unknown";
}

std::string_view CommandSetName(CommandSet set) {
  switch (set) {
    case CommandSet::kAuto:
      return "auto";
    case CommandSet::kEscPos:
      return "escpos";
    case CommandSet::kStar:
      return "star";
  }
  return "unknown";
}

Result<CommandSet> ParseCommandSet(std::string_view text) {
  for (CommandSet set : {CommandSet::kAuto, CommandSet::kEscPos, CommandSet::kStar}) {
    if (text == CommandSetName(set)) return set;
  }
  return Status::InvalidArgument("unknown command set \"" + std::string(text) +
                                 "\"; choose auto, escpos or star");
}

std::unique_ptr<ReceiptDecoder> MakeReceiptDecoder(CommandSet set, const Clock& clock,
                                                   DecoderLimits limits) {
  switch (set) {
    case CommandSet::kAuto:
      return std::make_unique<AutoDecoder>(clock, limits);
    case CommandSet::kStar:
      return std::make_unique<StarDecoder>(clock, limits);
    case CommandSet::kEscPos:
      break;
  }
  return std::make_unique<EscPosDecoder>(clock, limits);
}

}  // namespace tillbridge::drivers
