#include "drivers/printer/escpos_decoder.h"

#include "common/text.h"

namespace tillbridge::drivers {
namespace {

constexpr std::uint8_t kLf = 0x0A;
constexpr std::uint8_t kCr = 0x0D;
constexpr std::uint8_t kHt = 0x09;
constexpr std::uint8_t kFf = 0x0C;
constexpr std::uint8_t kDle = 0x10;
constexpr std::uint8_t kEsc = 0x1B;
constexpr std::uint8_t kFs = 0x1C;
constexpr std::uint8_t kGs = 0x1D;

// Parameter bytes after ESC <cmd> for the fixed-length ESC commands; -1 marks
// commands handled separately or unknown.
constexpr int EscParamCount(std::uint8_t cmd) {
  switch (cmd) {
    case kFf:
    case '2':
    case '<':
    case '@':
    case 'L':
    case 'S':
    case 'i':
    case 'm':
    case 'v':
      return 0;
    case ' ':
    case '!':
    case '%':
    case '-':
    case '3':
    case '4':
    case '=':
    case '?':
    case 'E':
    case 'G':
    case 'J':
    case 'K':
    case 'M':
    case 'R':
    case 'T':
    case 'U':
    case 'V':
    case 'a':
    case 'd':
    case 'e':
    case 'r':
    case 't':
    case 'u':
    case '{':
      return 1;
    case '$':
    case '\\':
    case 'c':
      return 2;
    case 'p':
      return 3;
    case 'W':
      return 8;
    default:
      return -1;
  }
}

constexpr int GsParamCount(std::uint8_t cmd) {
  switch (cmd) {
    case ':':
    case 'c':
      return 0;
    case '!':
    case '/':
    case 'B':
    case 'E':
    case 'H':
    case 'I':
    case 'T':
    case 'Z':
    case 'a':
    case 'b':
    case 'f':
    case 'h':
    case 'j':
    case 'r':
    case 'w':
      return 1;
    case '$':
    case 'L':
    case 'P':
    case 'W':
    case '\\':
      return 2;
    case '^':
      return 3;
    case 'g':
      return 4;
    default:
      return -1;
  }
}

constexpr int FsParamCount(std::uint8_t cmd) {
  switch (cmd) {
    case '&':
    case '.':
      return 0;
    case '!':
    case '-':
    case 'C':
    case 'W':
      return 1;
    case 'S':
    case 'p':
      return 2;
    case '2':
      return 74;
    default:
      return -1;
  }
}

}  // namespace

EscPosDecoder::EscPosDecoder(const Clock& clock, DecoderLimits limits)
    : clock_(clock), limits_(limits), text_(limits, stats_), code_page_(&CodePage::Default()) {}

void EscPosDecoder::Feed(std::string_view bytes, std::vector<DecodedReceipt>& out) {
  if (bytes.empty()) return;
  last_feed_at_ = clock_.NowMillis();
  for (char c : bytes) {
    // A cut inside this chunk starts a new pending receipt mid-loop.
    text_.CountByte(last_feed_at_);
    FeedByte(static_cast<std::uint8_t>(c), out);
  }
  stats_.bytes += bytes.size();
}

void EscPosDecoder::FeedByte(std::uint8_t byte, std::vector<DecodedReceipt>& out) {
  switch (state_) {
    case State::kText:
      TextByte(byte, out);
      return;
    case State::kHeader: {
      header_[header_size_++] = byte;
      const HeaderVerdict verdict = AnalyzeHeader();
      switch (verdict.kind) {
        case HeaderVerdict::kNeedMore:
          // The analyzers never ask beyond the buffer; this guards new entries.
          if (header_size_ == sizeof(header_)) AbandonCommand();
          return;
        case HeaderVerdict::kDone:
          ++stats_.commands;
          state_ = State::kText;
          ApplyCommand(out);
          return;
        case HeaderVerdict::kSkip:
          ++stats_.commands;
          StartSkip(verdict.count);
          return;
        case HeaderVerdict::kSkipUntilNul:
          ++stats_.commands;
          state_ = State::kSkipUntilNul;
          skip_remaining_ = 256;
          return;
        case HeaderVerdict::kUserChars:
          ++stats_.commands;
          user_chars_remaining_ = verdict.count;
          user_char_height_ = header_[2];
          state_ = user_chars_remaining_ > 0 ? State::kUserCharWidth : State::kText;
          return;
        case HeaderVerdict::kUnknown: {
          ++stats_.unknown_commands;
          state_ = State::kText;
          // DLE followed by an ordinary byte is no command: keep that byte.
          if (header_[0] == kDle) TextByte(byte, out);
          return;
        }
      }
      return;
    }
    case State::kSkip:
      ++stats_.payload_bytes_skipped;
      if (--skip_remaining_ == 0) {
        state_ = user_chars_remaining_ > 0 ? State::kUserCharWidth : State::kText;
      }
      return;
    case State::kSkipUntilNul:
      // Barcode data is printable; a control byte means the command was cut
      // short, so the byte belongs to what follows.
      if (byte == 0) {
        state_ = State::kText;
      } else if (byte < 0x20 || --skip_remaining_ == 0) {
        ++stats_.aborted_commands;
        state_ = State::kText;
        if (byte < 0x20) TextByte(byte, out);
      } else {
        ++stats_.payload_bytes_skipped;
      }
      return;
    case State::kUserCharWidth: {
      const std::uint64_t size = static_cast<std::uint64_t>(user_char_height_) * byte;
      --user_chars_remaining_;
      StartSkip(size);
      return;
    }
  }
}

void EscPosDecoder::StartSkip(std::uint64_t count) {
  if (count == 0) {
    state_ = user_chars_remaining_ > 0 ? State::kUserCharWidth : State::kText;
    return;
  }
  skip_remaining_ = count;
  state_ = State::kSkip;
}

void EscPosDecoder::TextByte(std::uint8_t byte, std::vector<DecodedReceipt>& out) {
  if (byte == kEsc || byte == kGs || byte == kFs || byte == kDle) {
    header_[0] = byte;
    header_size_ = 1;
    state_ = State::kHeader;
    last_line_break_ = 0;
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
  if (byte == kHt) {
    text_.Append(' ');
  } else if (byte == kFf) {
    text_.EndLine();
  } else if (byte >= 0x20 && byte < 0x7F) {
    text_.Append(international_set_ == 0 ? byte : DecodeInternational(international_set_, byte));
  } else if (byte >= 0x80) {
    text_.Append(code_page_->Decode(byte));
  }
  // Other C0 controls and DEL print nothing.
  (void)out;
}

EscPosDecoder::HeaderVerdict EscPosDecoder::AnalyzeHeader() const {
  switch (header_[0]) {
    case kEsc:
      return AnalyzeEsc();
    case kGs:
      return AnalyzeGs();
    case kFs:
      return AnalyzeFs();
    default:
      return AnalyzeDle();
  }
}

EscPosDecoder::HeaderVerdict EscPosDecoder::AnalyzeEsc() const {
  const auto need = [&](std::size_t total) {
    return HeaderVerdict{header_size_ < total ? HeaderVerdict::kNeedMore : HeaderVerdict::kDone};
  };
  const auto skip = [&](std::uint64_t count) {
    if (count > limits_.max_payload_bytes) return HeaderVerdict{HeaderVerdict::kUnknown};
    return HeaderVerdict{HeaderVerdict::kSkip, count};
  };
  if (header_size_ < 2) return {};
  const std::uint8_t cmd = header_[1];
  switch (cmd) {
    case '*': {  // ESC * m nL nH d1..dk: bit image, 1 or 3 bytes per column
      if (header_size_ < 5) return {};
      const std::uint64_t columns = header_[3] + 256u * header_[4];
      return skip(columns * (header_[2] <= 1 ? 1 : 3));
    }
    case 'D':  // tab positions, NUL terminated
      return {HeaderVerdict::kSkipUntilNul};
    case '&': {  // ESC & y c1 c2 then per character: x, then y*x bytes
      if (header_size_ < 5) return {};
      if (header_[4] < header_[3]) return {HeaderVerdict::kUnknown};
      return {HeaderVerdict::kUserChars, static_cast<std::uint64_t>(header_[4] - header_[3] + 1)};
    }
    case '(': {  // ESC ( fn pL pH data
      if (header_size_ < 5) return {};
      return skip(header_[3] + 256u * header_[4]);
    }
    default: {
      const int params = EscParamCount(cmd);
      if (params < 0) return {HeaderVerdict::kUnknown};
      return need(2 + static_cast<std::size_t>(params));
    }
  }
}

EscPosDecoder::HeaderVerdict EscPosDecoder::AnalyzeGs() const {
  const auto skip = [&](std::uint64_t count) {
    if (count > limits_.max_payload_bytes) return HeaderVerdict{HeaderVerdict::kUnknown};
    return HeaderVerdict{HeaderVerdict::kSkip, count};
  };
  if (header_size_ < 2) return {};
  const std::uint8_t cmd = header_[1];
  switch (cmd) {
    case 'V': {  // cut: GS V m, or GS V m n for the feed-and-cut forms
      if (header_size_ < 3) return {};
      const std::uint8_t m = header_[2];
      if (m == 0 || m == 1 || m == 48 || m == 49) return {HeaderVerdict::kDone};
      if (m == 65 || m == 66 || m == 97 || m == 98 || m == 103 || m == 104) {
        return {header_size_ < 4 ? HeaderVerdict::kNeedMore : HeaderVerdict::kDone};
      }
      return {HeaderVerdict::kUnknown};
    }
    case 'k': {  // barcode: GS k m d1..dk NUL (m <= 6) or GS k m n d1..dn
      if (header_size_ < 3) return {};
      const std::uint8_t m = header_[2];
      if (m <= 6) return {HeaderVerdict::kSkipUntilNul};
      if (m >= 65 && m <= 79) {
        if (header_size_ < 4) return {};
        return skip(header_[3]);
      }
      return {HeaderVerdict::kUnknown};
    }
    case 'v': {  // GS v 0 m xL xH yL yH: raster image, x bytes by y dots
      if (header_size_ < 3) return {};
      if (header_[2] != '0') return {HeaderVerdict::kUnknown};
      if (header_size_ < 8) return {};
      const std::uint64_t width = header_[4] + 256u * header_[5];
      const std::uint64_t height = header_[6] + 256u * header_[7];
      return skip(width * height);
    }
    case '(': {  // GS ( fn pL pH data: 2D codes (k), graphics (L), ...
      if (header_size_ < 5) return {};
      return skip(header_[3] + 256u * header_[4]);
    }
    case '8': {  // GS 8 fn p1 p2 p3 p4 data: large graphics
      if (header_size_ < 7) return {};
      const std::uint64_t size = header_[3] | (std::uint64_t{header_[4]} << 8) |
                                 (std::uint64_t{header_[5]} << 16) |
                                 (std::uint64_t{header_[6]} << 24);
      return skip(size);
    }
    case '*': {  // GS * x y: downloaded bit image of x*8 by y*8 dots
      if (header_size_ < 4) return {};
      return skip(std::uint64_t{header_[2]} * header_[3] * 8);
    }
    case 'C': {  // counter commands (legacy)
      if (header_size_ < 3) return {};
      if (header_[2] == '0' || header_[2] == '2') {
        return {header_size_ < 5 ? HeaderVerdict::kNeedMore : HeaderVerdict::kDone};
      }
      if (header_[2] == '1')
        return {header_size_ < 9 ? HeaderVerdict::kNeedMore : HeaderVerdict::kDone};
      return {HeaderVerdict::kUnknown};
    }
    default: {
      const int params = GsParamCount(cmd);
      if (params < 0) return {HeaderVerdict::kUnknown};
      return {header_size_ < 2 + static_cast<std::size_t>(params) ? HeaderVerdict::kNeedMore
                                                                  : HeaderVerdict::kDone};
    }
  }
}

EscPosDecoder::HeaderVerdict EscPosDecoder::AnalyzeFs() const {
  if (header_size_ < 2) return {};
  const std::uint8_t cmd = header_[1];
  if (cmd == '(') {  // FS ( fn pL pH data
    if (header_size_ < 5) return {};
    const std::uint64_t size = header_[3] + 256u * header_[4];
    if (size > limits_.max_payload_bytes) return {HeaderVerdict::kUnknown};
    return {HeaderVerdict::kSkip, size};
  }
  const int params = FsParamCount(cmd);
  if (params < 0) return {HeaderVerdict::kUnknown};
  if (params > 8) return {HeaderVerdict::kSkip, static_cast<std::uint64_t>(params)};
  return {header_size_ < 2 + static_cast<std::size_t>(params) ? HeaderVerdict::kNeedMore
                                                              : HeaderVerdict::kDone};
}

EscPosDecoder::HeaderVerdict EscPosDecoder::AnalyzeDle() const {
  if (header_size_ < 2) return {};
  switch (header_[1]) {
    case 0x04:  // DLE EOT n (n = 7 or 8 take one more byte)
      if (header_size_ < 3) return {};
      if (header_[2] == 7 || header_[2] == 8) {
        return {header_size_ < 4 ? HeaderVerdict::kNeedMore : HeaderVerdict::kDone};
      }
      return {HeaderVerdict::kDone};
    case 0x05:  // DLE ENQ n
      return {header_size_ < 3 ? HeaderVerdict::kNeedMore : HeaderVerdict::kDone};
    case 0x14: {  // DLE DC4 fn ...
      if (header_size_ < 3) return {};
      std::size_t params = 2;
      if (header_[2] == 7) params = 1;
      if (header_[2] == 8) params = 7;
      return {header_size_ < 3 + params ? HeaderVerdict::kNeedMore : HeaderVerdict::kDone};
    }
    default:
      return {HeaderVerdict::kUnknown};
  }
}

void EscPosDecoder::ApplyCommand(std::vector<DecodedReceipt>& out) {
  const std::uint8_t prefix = header_[0];
  const std::uint8_t cmd = header_[1];
  if (prefix == kEsc) {
    switch (cmd) {
      case '@':
        code_page_ = &CodePage::Default();
        international_set_ = 0;
        return;
      case 't':
        code_page_ = &CodePage::ForEscT(header_[2]);
        return;
      case 'R':
        international_set_ = header_[2];
        return;
      case 'd':
      case 'J':
        // Print-and-feed ends the current line like LF does.
        text_.EndLineIfAny();
        return;
      case 'i':
      case 'm':
        text_.EndReceipt(ReceiptEnd::kCut, out);
        return;
      default:
        return;
    }
  }
  if (prefix == kGs && cmd == 'V') text_.EndReceipt(ReceiptEnd::kCut, out);
}

void EscPosDecoder::AbandonCommand() {
  if (state_ != State::kText) ++stats_.aborted_commands;
  state_ = State::kText;
  header_size_ = 0;
  skip_remaining_ = 0;
  user_chars_remaining_ = 0;
}

void EscPosDecoder::ResetStream() {
  AbandonCommand();
  last_line_break_ = 0;
}

void EscPosDecoder::EndStream(std::vector<DecodedReceipt>& out) {
  ResetStream();
  text_.EndReceipt(ReceiptEnd::kStreamEnd, out);
}

void EscPosDecoder::CheckIdle(std::vector<DecodedReceipt>& out) {
  if (!text_.has_bytes() && state_ == State::kText) return;
  if (clock_.NowMillis() - last_feed_at_ < limits_.idle_cut_timeout.count()) return;
  EndIdle(out);
}

void EscPosDecoder::EndIdle(std::vector<DecodedReceipt>& out) {
  AbandonCommand();
  text_.EndIdle(out);
}

void EscPosDecoder::Flush(std::vector<DecodedReceipt>& out) {
  AbandonCommand();
  text_.EndReceipt(ReceiptEnd::kFlush, out);
}

}  // namespace tillbridge::drivers
