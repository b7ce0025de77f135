#include "drivers/printer/auto_decoder.h"

namespace tillbridge::drivers {
namespace {

constexpr std::uint8_t kEot = 0x04;
constexpr std::uint8_t kEnq = 0x05;
constexpr std::uint8_t kDle = 0x10;
constexpr std::uint8_t kDc4 = 0x14;
constexpr std::uint8_t kCan = 0x18;
constexpr std::uint8_t kEsc = 0x1B;
constexpr std::uint8_t kFs = 0x1C;
constexpr std::uint8_t kGs = 0x1D;
constexpr std::uint8_t kRs = 0x1E;
constexpr std::uint8_t kUs = 0x1F;

// ESC/POS commands that start with a bare GS. Star sends GS only after ESC.
constexpr bool IsEscPosGsCommand(std::uint8_t cmd) {
  switch (cmd) {
    case '!':
    case '$':
    case '(':
    case '*':
    case '/':
    case '8':
    case ':':
    case 'B':
    case 'C':
    case 'E':
    case 'H':
    case 'I':
    case 'L':
    case 'P':
    case 'T':
    case 'V':
    case 'W':
    case 'Z':
    case '\\':
    case '^':
    case 'a':
    case 'b':
    case 'c':
    case 'f':
    case 'g':
    case 'h':
    case 'j':
    case 'k':
    case 'r':
    case 'v':
    case 'w':
      return true;
    default:
      return false;
  }
}

// ESC/POS commands that start with a bare FS and cannot be a Star drawer
// kick (FS) followed by text.
constexpr bool IsEscPosFsCommand(std::uint8_t cmd) {
  switch (cmd) {
    case '!':
    case '&':
    case '(':
    case '-':
    case '.':
    case '2':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::size_t CommandSetRecognizer::Scan(std::string_view bytes) {
  if (verdict_ != CommandSet::kAuto) return 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    Examine(static_cast<std::uint8_t>(bytes[i]));
    if (verdict_ != CommandSet::kAuto) return i + 1;
  }
  return bytes.size();
}

void CommandSetRecognizer::Examine(std::uint8_t byte) {
  // -1 where the stream (since the last break) has no such byte yet.
  const int last = seen_ >= 1 ? previous_[0] : -1;
  const int second = seen_ >= 2 ? previous_[1] : -1;
  const int third = seen_ >= 3 ? previous_[2] : -1;
  const bool after_cut = after_esc_d_cut_;
  after_esc_d_cut_ = after_cut && byte == kEsc;

  if (last == kEsc) {
    if (byte == kGs || byte == kRs || byte == kUs) verdict_ = CommandSet::kStar;
    if (byte == 't' || byte == '!') verdict_ = CommandSet::kEscPos;
    // ESC d n then ESC i / ESC m: feed, then an ESC/POS cut. In Star,
    // ESC d already cut and ESC i would take two size bytes.
    if (after_cut && (byte == 'i' || byte == 'm')) verdict_ = CommandSet::kEscPos;
  }
  if (second == kEsc) {
    if (last == '*' && byte == 'r') verdict_ = CommandSet::kStar;
    // ESC * m nL nH: ESC/POS bit image modes 0, 1, 32, 33.
    if (last == '*' && (byte == 0 || byte == 1 || byte == 32 || byte == 33)) {
      verdict_ = CommandSet::kEscPos;
    }
    // Star's ESC E takes no parameter, ESC/POS's takes 0 or 1.
    if (last == 'E' && (byte == 0 || byte == 1)) verdict_ = CommandSet::kEscPos;
    if (last == 'd' && (byte <= 3 || (byte >= '0' && byte <= '3'))) {
      star_hint_ = true;
      after_esc_d_cut_ = true;
    }
    if (last == '@' && byte == kCan) star_hint_ = true;
  }
  if (last == kGs && second != kEsc && IsEscPosGsCommand(byte)) verdict_ = CommandSet::kEscPos;
  if (last == kFs && second != kEsc && IsEscPosFsCommand(byte)) verdict_ = CommandSet::kEscPos;
  // FS p n m: ESC/POS prints stored logo n (a small binary number); in Star
  // the same bytes after ESC are ESC FS p.
  if (second == kFs && third != kEsc && last == 'p' && byte >= 1 && byte < 0x20) {
    verdict_ = CommandSet::kEscPos;
  }
  if (last == kDle && (byte == kEot || byte == kEnq || byte == kDc4)) {
    verdict_ = CommandSet::kEscPos;
  }

  previous_[2] = previous_[1];
  previous_[1] = previous_[0];
  previous_[0] = byte;
  if (seen_ < 3) ++seen_;
}

CommandSet CommandSetRecognizer::Guess() const {
  if (verdict_ != CommandSet::kAuto) return verdict_;
  return star_hint_ ? CommandSet::kStar : CommandSet::kEscPos;
}

void CommandSetRecognizer::Break() {
  seen_ = 0;
  after_esc_d_cut_ = false;
}

void CommandSetRecognizer::Reset() { *this = CommandSetRecognizer(); }

UnixMillis AutoDecoder::ReplayClock::NowMillis() const {
  const UnixMillis pinned = pinned_;
  return pinned == kUnpinned ? real_.NowMillis() : pinned;
}

AutoDecoder::AutoDecoder(const Clock& clock, DecoderLimits limits)
    : clock_(clock),
      limits_(limits),
      replay_clock_(clock),
      escpos_(replay_clock_, limits),
      star_(replay_clock_, limits) {}

void AutoDecoder::Feed(std::string_view bytes, std::vector<DecodedReceipt>& out) {
  if (bytes.empty()) return;
  if (active_ == nullptr) {
    last_feed_at_ = clock_.NowMillis();
    // Choose() runs at the cap, so there is always room here.
    const std::size_t room = kRecognitionBytes - waiting_bytes_;
    const std::size_t looked = recognizer_.Scan(bytes.substr(0, room));
    Wait(bytes.substr(0, looked));
    bytes.remove_prefix(looked);
    if (recognizer_.verdict() != CommandSet::kAuto) {
      Choose(recognizer_.verdict(), out);
    } else if (waiting_bytes_ >= kRecognitionBytes) {
      Choose(recognizer_.Guess(), out);
    } else {
      return;
    }
  }
  if (!bytes.empty()) active_->Feed(bytes, out);
}

void AutoDecoder::Wait(std::string_view bytes) {
  if (bytes.empty()) return;
  if (waiting_.empty() || reset_pending_ || waiting_.back().arrived_at != last_feed_at_) {
    waiting_.push_back({last_feed_at_, reset_pending_, std::string()});
    reset_pending_ = false;
  }
  waiting_.back().bytes.append(bytes);
  waiting_bytes_ += bytes.size();
}

void AutoDecoder::Choose(CommandSet set, std::vector<DecodedReceipt>& out) {
  active_ = set == CommandSet::kStar ? static_cast<ReceiptDecoder*>(&star_)
                                     : static_cast<ReceiptDecoder*>(&escpos_);
  last_active_ = active_;
  // Replayed with their arrival times, the waiting bytes give the same
  // receipt times and idle gaps as if they had been decoded at once.
  for (const WaitingChunk& chunk : waiting_) {
    if (chunk.reset_before) active_->ResetStream();
    replay_clock_.Pin(chunk.arrived_at);
    active_->Feed(chunk.bytes, out);
    replay_clock_.Unpin();
  }
  waiting_.clear();
  waiting_bytes_ = 0;
  if (reset_pending_) active_->ResetStream();
  reset_pending_ = false;
}

void AutoDecoder::CheckIdle(std::vector<DecodedReceipt>& out) {
  if (active_ == nullptr) {
    if (waiting_bytes_ == 0) return;
    if (clock_.NowMillis() - last_feed_at_ < limits_.idle_cut_timeout.count()) return;
    Choose(recognizer_.Guess(), out);
  }
  active_->CheckIdle(out);
}

void AutoDecoder::ResetStream() {
  if (active_ != nullptr) {
    active_->ResetStream();
    return;
  }
  recognizer_.Break();
  if (waiting_bytes_ > 0) reset_pending_ = true;
}

void AutoDecoder::EndStream(std::vector<DecodedReceipt>& out) {
  if (active_ == nullptr && waiting_bytes_ > 0) Choose(recognizer_.Guess(), out);
  if (active_ != nullptr) active_->EndStream(out);
  // The next connection may be another POS, or the same one reconfigured.
  active_ = nullptr;
  recognizer_.Reset();
  reset_pending_ = false;
}

void AutoDecoder::EndIdle(std::vector<DecodedReceipt>& out) {
  // A pause is no new connection: the command set stays recognised.
  if (active_ == nullptr && waiting_bytes_ > 0) Choose(recognizer_.Guess(), out);
  if (active_ != nullptr) active_->EndIdle(out);
}

void AutoDecoder::Flush(std::vector<DecodedReceipt>& out) {
  if (active_ == nullptr && waiting_bytes_ > 0) Choose(recognizer_.Guess(), out);
  if (active_ != nullptr) active_->Flush(out);
}

bool AutoDecoder::HasPendingReceipt() const {
  return waiting_bytes_ > 0 || (active_ != nullptr && active_->HasPendingReceipt());
}

const DecoderStats& AutoDecoder::stats() const {
  const DecoderStats& a = escpos_.stats();
  const DecoderStats& b = star_.stats();
  combined_stats_.bytes = a.bytes + b.bytes + waiting_bytes_;
  combined_stats_.commands = a.commands + b.commands;
  combined_stats_.unknown_commands = a.unknown_commands + b.unknown_commands;
  combined_stats_.payload_bytes_skipped = a.payload_bytes_skipped + b.payload_bytes_skipped;
  combined_stats_.aborted_commands = a.aborted_commands + b.aborted_commands;
  combined_stats_.truncated_lines = a.truncated_lines + b.truncated_lines;
  combined_stats_.receipts = a.receipts + b.receipts;
  return combined_stats_;
}

std::string_view AutoDecoder::command_set() const {
  return last_active_ == nullptr ? std::string_view() : last_active_->command_set();
}

std::string_view AutoDecoder::code_page_name() const {
  return (last_active_ == nullptr ? &escpos_ : last_active_)->code_page_name();
}

}  // namespace tillbridge::drivers
