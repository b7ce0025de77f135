// A streaming ESC/POS decoder: turns the byte stream a POS sends to its
// receipt printer into receipt texts (UTF-8), one per paper cut.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "drivers/printer/code_pages.h"

namespace tillbridge::drivers {

// Why a receipt ended.
enum class ReceiptEnd {
  kCut,    // GS V, ESC i or ESC m
  kIdle,   // no byte for the idle timeout while text was pending
  kFlush,  // the caller asked (shutdown)
};

// "cut", "idle", "flush".
std::string_view ReceiptEndName(ReceiptEnd end);

// One printed receipt as text.
struct DecodedReceipt {
  std::string text;  // UTF-8 lines joined by '\n', trailing blanks trimmed
  ReceiptEnd end = ReceiptEnd::kCut;
  bool truncated = false;  // a line or the receipt hit its size cap
  UnixMillis first_byte_at = 0;
  UnixMillis last_byte_at = 0;
  std::uint64_t byte_count = 0;  // stream bytes that made up this receipt
};

struct DecoderLimits {
  std::size_t max_line_bytes = 512;           // longer lines are cut off
  std::size_t max_receipt_bytes = 64 * 1024;  // text beyond this is dropped
  std::chrono::milliseconds idle_cut_timeout{5000};
  // Declared payloads above this (bytes) are treated as corrupt headers.
  std::uint64_t max_payload_bytes = 16 * 1024 * 1024;
};

// Counters for status and tests.
struct DecoderStats {
  std::uint64_t bytes = 0;
  std::uint64_t commands = 0;               // recognized commands
  std::uint64_t unknown_commands = 0;       // prefix + one byte skipped
  std::uint64_t payload_bytes_skipped = 0;  // images, barcodes, 2D codes ...
  std::uint64_t aborted_commands = 0;       // ended by a stream reset or idle gap
  std::uint64_t truncated_lines = 0;
  std::uint64_t receipts = 0;
};

// Not thread-safe. Memory is bounded by DecoderLimits whatever the input.
class EscPosDecoder {
 public:
  EscPosDecoder(const Clock& clock, DecoderLimits limits);

  // Consumes `bytes`; receipts completed by a cut are appended to `out`.
  void Feed(std::string_view bytes, std::vector<DecodedReceipt>& out);
  // Ends the pending receipt when no byte arrived for the idle timeout, and
  // abandons any half-received command (so a truncated command cannot eat
  // the next receipt). Call periodically.
  void CheckIdle(std::vector<DecodedReceipt>& out);
  // The stream was interrupted (connection closed, bytes lost): abandons any
  // half-received command; text decoded so far stays pending.
  void ResetStream();
  // Emits the pending receipt, if it has text, as kFlush.
  void Flush(std::vector<DecodedReceipt>& out);

  const DecoderStats& stats() const { return stats_; }
  // The code page currently selected by ESC t.
  std::string_view code_page_name() const { return code_page_->name(); }

 private:
  enum class State { kText, kHeader, kSkip, kSkipUntilNul, kUserCharWidth };
  // What a (partial) command header means.
  struct HeaderVerdict {
    enum Kind { kNeedMore, kDone, kSkip, kSkipUntilNul, kUserChars, kUnknown } kind = kNeedMore;
    std::uint64_t count = 0;  // kSkip: payload bytes; kUserChars: characters
  };

  void FeedByte(std::uint8_t byte, std::vector<DecodedReceipt>& out);
  void TextByte(std::uint8_t byte, std::vector<DecodedReceipt>& out);
  HeaderVerdict AnalyzeHeader() const;
  HeaderVerdict AnalyzeEsc() const;
  HeaderVerdict AnalyzeGs() const;
  HeaderVerdict AnalyzeFs() const;
  HeaderVerdict AnalyzeDle() const;
  void ApplyCommand(std::vector<DecodedReceipt>& out);
  void StartSkip(std::uint64_t count);
  void AppendCodePoint(char32_t code_point);
  void EndLine();
  void EndReceipt(ReceiptEnd end, std::vector<DecodedReceipt>& out);
  void AbandonCommand();

  const Clock& clock_;
  DecoderLimits limits_;
  DecoderStats stats_;

  State state_ = State::kText;
  std::uint8_t header_[16] = {};
  std::size_t header_size_ = 0;
  std::uint64_t skip_remaining_ = 0;
  std::uint64_t user_chars_remaining_ = 0;
  std::uint8_t user_char_height_ = 0;

  const CodePage* code_page_;
  std::uint8_t international_set_ = 0;
  std::uint8_t last_line_break_ = 0;  // CR or LF just seen, to pair CR LF

  std::string line_;
  bool line_truncated_ = false;
  DecodedReceipt pending_;
  bool pending_has_text_ = false;
  UnixMillis last_feed_at_ = 0;
};

}  // namespace tillbridge::drivers
