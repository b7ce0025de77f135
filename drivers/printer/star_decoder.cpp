#include "drivers/printer/star_decoder.h"

#include "common/text.h"

namespace tillbridge::drivers {
namespace {

constexpr std::uint8_t kNul = 0x00;
constexpr std::uint8_t kEot = 0x04;
constexpr std::uint8_t kHt = 0x09;
constexpr std::uint8_t kLf = 0x0A;
constexpr std::uint8_t kVt = 0x0B;
constexpr std::uint8_t kFf = 0x0C;
constexpr std::uint8_t kCr = 0x0D;
constexpr std::uint8_t kCan = 0x18;
constexpr std::uint8_t kEsc = 0x1B;
constexpr std::uint8_t kGs = 0x1D;

// ESC * r X n NUL: more digits than this are no number.
constexpr std::size_t kDecimalDigitLimit = 8;

constexpr bool IsDigit(std::uint8_t byte) { return byte >= '0' && byte <= '9'; }

// ESC d n: 0..3 cut here or after feeding to the cutter; ASCII digits too.
constexpr bool IsCut(std::uint8_t n) { return n <= 3 || (n >= '0' && n <= '3'); }

// Raster EOT / FF modes that end with the cutter. Mode 0 stands for the
// printer's default: for EOT that cuts (kDefaultEotMode), for FF it does not.
constexpr bool RasterModeCuts(std::uint64_t mode) {
  return mode == 8 || mode == 9 || mode == 12 || mode == 13 || mode == 36 || mode == 37;
}

// What EOT mode 0 does on Star's thermal printers: feed, then cut.
constexpr std::uint64_t kDefaultEotMode = 13;

}  // namespace

StarDecoder::StarDecoder(const Clock& clock, DecoderLimits limits)
    : clock_(clock), limits_(limits), text_(limits, stats_), code_page_(&CodePage::Default()) {}

void StarDecoder::Feed(std::string_view bytes, std::vector<DecodedReceipt>& out) {
  if (bytes.empty()) return;
  last_feed_at_ = clock_.NowMillis();
  for (char c : bytes) {
    // A cut inside this chunk starts a new pending receipt mid-loop.
    text_.CountByte(last_feed_at_);
    FeedByte(static_cast<std::uint8_t>(c), out);
  }
  stats_.bytes += bytes.size();
}

void StarDecoder::FeedByte(std::uint8_t byte, std::vector<DecodedReceipt>& out) {
  switch (state_) {
    case State::kText:
      TextByte(byte, out);
      return;
    case State::kHeader:
      HeaderByte(byte, out);
      return;
    case State::kSkip:
      ++stats_.payload_bytes_skipped;
      if (--skip_remaining_ == 0) {
        state_ = blocks_remaining_ > 0 ? State::kBlockHeader : State::kText;
      }
      return;
    case State::kSkipUntil:
      SkipUntilByte(byte, out);
      return;
    case State::kDecimal:
      DecimalByte(byte, out);
      return;
    case State::kBlockHeader:
      BlockHeaderByte(byte);
      return;
  }
}

void StarDecoder::TextByte(std::uint8_t byte, std::vector<DecodedReceipt>& out) {
  if (raster_mode_) {
    // Raster mode prints only raster rows; anything else is discarded.
    if (byte == kEsc || byte == 'b' || byte == 'k') StartHeader(byte);
    return;
  }
  if (byte == kEsc) {
    StartHeader(byte);
    return;
  }
  if (byte == kLf || byte == kCr) {
    // CR LF and LF CR are one line break; a lone CR or LF is one too.
    if (last_line_break_ != 0 && last_line_break_ != byte) {
      last_line_break_ = 0;
      return;
    }
    last_line_break_ = byte;
    text_.EndLine();
    return;
  }
  last_line_break_ = 0;
  if (byte >= 0x20 && byte < 0x7F) {
    text_.Append(international_set_ == 0 ? byte : DecodeInternational(international_set_, byte));
  } else if (byte >= 0x80) {
    text_.Append(code_page_->Decode(byte));
  } else if (byte == kHt) {
    text_.Append(' ');
  } else if (byte == kFf) {
    text_.EndLine();
  } else if (byte == kVt) {
    // Feeds to the next vertical tab: prints the line, adds no text.
    text_.EndLineIfAny();
  } else if (byte == kCan) {
    // Cancels the unprinted line and resets the command settings.
    ++stats_.commands;
    text_.ClearLine();
    Initialize();
  }
  // Other controls (drawer kicks BEL FS SUB EM, SO DC4 SI DC2 styles, ENQ
  // EOT ETB status queries) print nothing.
  (void)out;
}

void StarDecoder::StartHeader(std::uint8_t byte) {
  header_[0] = byte;
  header_size_ = 1;
  state_ = State::kHeader;
  last_line_break_ = 0;
}

void StarDecoder::HeaderByte(std::uint8_t byte, std::vector<DecodedReceipt>& out) {
  header_[header_size_++] = byte;
  const StarCommandShape verdict =
      ShapeOfStarCommand(header_, header_size_, limits_.max_payload_bytes);
  switch (verdict.kind) {
    case StarCommandShape::kNeedMore:
      // No command shape needs more than 12 bytes; this guards new entries.
      if (header_size_ == sizeof(header_)) AbandonCommand();
      return;
    case StarCommandShape::kDone:
      ++stats_.commands;
      state_ = State::kText;
      ApplyCommand(out);
      return;
    case StarCommandShape::kSkip:
      ++stats_.commands;
      if (header_[0] != kEsc) raster_rows_pending_ = true;
      StartSkip(verdict.count);
      return;
    case StarCommandShape::kSkipUntil:
      ++stats_.commands;
      state_ = State::kSkipUntil;
      skip_remaining_ = verdict.count;
      terminator_ = verdict.terminator;
      stop_at_control_ = verdict.stop_at_control;
      return;
    case StarCommandShape::kDecimal:
      ++stats_.commands;
      state_ = State::kDecimal;
      decimal_value_ = 0;
      decimal_digits_ = 0;
      return;
    case StarCommandShape::kBlocks:
      ++stats_.commands;
      block_kind_ = verdict.block_kind;
      blocks_remaining_ = verdict.count;
      block_header_size_ = 0;
      state_ = blocks_remaining_ > 0 ? State::kBlockHeader : State::kText;
      return;
    case StarCommandShape::kUnknown:
      ++stats_.unknown_commands;
      state_ = State::kText;
      // An ESC where a parameter was expected starts the next command, so
      // one corrupt command does not swallow a good one.
      if (header_size_ > 1 && byte == kEsc) StartHeader(byte);
      return;
  }
}

void StarDecoder::SkipUntilByte(std::uint8_t byte, std::vector<DecodedReceipt>& out) {
  if (byte == terminator_) {
    state_ = State::kText;
    return;
  }
  if (stop_at_control_ && byte < 0x20) {
    // Barcode data is printable; a control byte means the command was cut
    // short, so the byte belongs to what follows.
    ++stats_.aborted_commands;
    state_ = State::kText;
    TextByte(byte, out);
    return;
  }
  ++stats_.payload_bytes_skipped;
  if (--skip_remaining_ == 0) {
    ++stats_.aborted_commands;
    state_ = State::kText;
  }
}

void StarDecoder::DecimalByte(std::uint8_t byte, std::vector<DecodedReceipt>& out) {
  if (byte == kNul) {
    state_ = State::kText;
    ApplyDecimal(out);
    return;
  }
  if (!IsDigit(byte) || ++decimal_digits_ > kDecimalDigitLimit) {
    // Not a number after all: the command was cut short.
    ++stats_.aborted_commands;
    state_ = State::kText;
    if (!IsDigit(byte)) TextByte(byte, out);
    return;
  }
  decimal_value_ = decimal_value_ * 10 + (byte - '0');
}

void StarDecoder::BlockHeaderByte(std::uint8_t byte) {
  block_header_[block_header_size_++] = byte;
  if (block_header_size_ < StarBlockHeaderSize(block_kind_)) return;
  block_header_size_ = 0;
  --blocks_remaining_;
  const std::uint64_t size = StarBlockDataSize(block_kind_, block_header_);
  if (size > limits_.max_payload_bytes) {
    ++stats_.aborted_commands;
    blocks_remaining_ = 0;
    state_ = State::kText;
    return;
  }
  StartSkip(size);
}

void StarDecoder::StartSkip(std::uint64_t count) {
  if (count == 0) {
    state_ = blocks_remaining_ > 0 ? State::kBlockHeader : State::kText;
    return;
  }
  skip_remaining_ = count;
  state_ = State::kSkip;
}

void StarDecoder::ApplyCommand(std::vector<DecodedReceipt>& out) {
  const std::uint8_t cmd = header_[1];
  if (header_[0] != kEsc) return;
  switch (cmd) {
    case '@':
      Initialize();
      return;
    case 'R':
      international_set_ = header_[2];
      return;
    case 'd':
      if (IsCut(header_[2])) {
        text_.EndReceipt(ReceiptEnd::kCut, out);
      } else {
        text_.EndLineIfAny();
      }
      return;
    case 'a':
    case 'J':
    case 'I':
    case 'j':
      // Feeding paper prints the line buffer first, like LF.
      text_.EndLineIfAny();
      return;
    case kFf:
      // ESC FF NUL runs the raster FF mode, ESC FF EOT the EOT mode; outside
      // raster mode it is a slip command a receipt printer ignores.
      if (raster_mode_ && header_[2] == kNul) EndRasterPage(raster_ff_mode_, out);
      if (raster_mode_ && header_[2] == kEot) {
        EndRasterPage(raster_eot_mode_ == 0 ? kDefaultEotMode : raster_eot_mode_, out);
      }
      return;
    case kGs:
      if (header_[2] == 't') code_page_ = &CodePage::ForStar(header_[3]);
      return;
    case '*':
      switch (header_[3]) {
        case 'A':
          // Entering raster mode prints what is buffered, like FF.
          text_.EndLineIfAny();
          raster_mode_ = true;
          raster_rows_pending_ = false;
          return;
        case 'B':
          // Leaving with rows still buffered runs the EOT mode first.
          if (raster_mode_ && raster_rows_pending_) {
            EndRasterPage(raster_eot_mode_ == 0 ? kDefaultEotMode : raster_eot_mode_, out);
          }
          raster_mode_ = false;
          raster_rows_pending_ = false;
          return;
        case 'C':
          raster_rows_pending_ = false;
          return;
        case 'R':
          raster_eot_mode_ = 0;
          raster_ff_mode_ = 0;
          return;
        default:
          return;
      }
    default:
      return;
  }
}

void StarDecoder::ApplyDecimal(std::vector<DecodedReceipt>& out) {
  // Only the page end modes matter for the text: they decide whether a
  // raster page ends with a cut.
  (void)out;
  if (header_[1] != '*' || header_[2] != 'r') return;
  if (header_[3] == 'E') raster_eot_mode_ = decimal_value_;
  if (header_[3] == 'F') raster_ff_mode_ = decimal_value_;
}

void StarDecoder::EndRasterPage(std::uint64_t mode, std::vector<DecodedReceipt>& out) {
  raster_rows_pending_ = false;
  if (RasterModeCuts(mode)) text_.EndReceipt(ReceiptEnd::kCut, out);
}

void StarDecoder::Initialize() {
  code_page_ = &CodePage::Default();
  international_set_ = 0;
}

void StarDecoder::AbandonCommand() {
  if (state_ != State::kText) ++stats_.aborted_commands;
  state_ = State::kText;
  header_size_ = 0;
  skip_remaining_ = 0;
  blocks_remaining_ = 0;
  block_header_size_ = 0;
}

bool StarDecoder::HasPendingReceipt() const {
  return text_.has_bytes() || state_ != State::kText || text_.has_line() || raster_mode_;
}

void StarDecoder::ResetStream() {
  AbandonCommand();
  last_line_break_ = 0;
}

void StarDecoder::EndStream(std::vector<DecodedReceipt>& out) {
  ResetStream();
  // A job cut off inside raster mode must not hide the next job's text.
  raster_mode_ = false;
  raster_rows_pending_ = false;
  text_.EndReceipt(ReceiptEnd::kStreamEnd, out);
}

void StarDecoder::CheckIdle(std::vector<DecodedReceipt>& out) {
  if (!text_.has_bytes() && state_ == State::kText && !raster_mode_) return;
  if (clock_.NowMillis() - last_feed_at_ < limits_.idle_cut_timeout.count()) return;
  EndIdle(out);
}

void StarDecoder::EndIdle(std::vector<DecodedReceipt>& out) {
  AbandonCommand();
  // A pause this long ends a job, and with it a raster mode left open.
  raster_mode_ = false;
  raster_rows_pending_ = false;
  text_.EndIdle(out);
}

void StarDecoder::Flush(std::vector<DecodedReceipt>& out) {
  AbandonCommand();
  text_.EndReceipt(ReceiptEnd::kFlush, out);
}

}  // namespace tillbridge::drivers
