// A streaming ESC/POS decoder (Epson and compatible printers): turns the
// byte stream a POS sends to its receipt printer into receipt texts (UTF-8),
// one per paper cut.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "drivers/printer/code_pages.h"
#include "drivers/printer/receipt_assembler.h"
#include "drivers/printer/receipt_decoder.h"

namespace tillbridge::drivers {

// Not thread-safe. Memory is bounded by DecoderLimits whatever the input.
class EscPosDecoder final : public ReceiptDecoder {
 public:
  EscPosDecoder(const Clock& clock, DecoderLimits limits);

  void Feed(std::string_view bytes, std::vector<DecodedReceipt>& out) override;
  void CheckIdle(std::vector<DecodedReceipt>& out) override;
  void ResetStream() override;
  void EndStream(std::vector<DecodedReceipt>& out) override;
  void EndIdle(std::vector<DecodedReceipt>& out) override;
  void Flush(std::vector<DecodedReceipt>& out) override;

  bool HasPendingReceipt() const override {
    return text_.has_bytes() || state_ != State::kText || text_.has_line();
  }
  const DecoderStats& stats() const override { return stats_; }
  std::string_view command_set() const override { return "escpos"; }
  // The code page currently selected by ESC t.
  std::string_view code_page_name() const override { return code_page_->name(); }

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
  void AbandonCommand();

  const Clock& clock_;
  DecoderLimits limits_;
  DecoderStats stats_;
  ReceiptAssembler text_;  // lines and the pending receipt

  State state_ = State::kText;
  std::uint8_t header_[16] = {};
  std::size_t header_size_ = 0;
  std::uint64_t skip_remaining_ = 0;
  std::uint64_t user_chars_remaining_ = 0;
  std::uint8_t user_char_height_ = 0;

  const CodePage* code_page_;
  std::uint8_t international_set_ = 0;
  std::uint8_t last_line_break_ = 0;  // CR or LF just seen, to pair CR LF

  UnixMillis last_feed_at_ = 0;
};

}  // namespace tillbridge::drivers
