// What every receipt decoder does with the characters it found, whatever the
// printer language: builds lines within the line cap, joins them into the
// pending receipt within the receipt cap, and hands the receipt out trimmed
// when it ends.
#pragma once

#include <string>
#include <vector>

#include "drivers/printer/receipt_decoder.h"

namespace tillbridge::drivers {

// Not thread-safe; owned by one decoder. `stats` must outlive it.
class ReceiptAssembler {
 public:
  ReceiptAssembler(DecoderLimits limits, DecoderStats& stats) : limits_(limits), stats_(stats) {}

  // One stream byte of the pending receipt arrived at `now`.
  void CountByte(UnixMillis now) {
    if (pending_.byte_count++ == 0) pending_.first_byte_at = now;
    pending_.last_byte_at = now;
  }
  // Appends a character to the current line; beyond the line cap the rest
  // of the line is dropped and the receipt marked truncated.
  void Append(char32_t code_point);
  // Ends the current line: trailing spaces go, the line joins the receipt
  // (unless the receipt cap is reached).
  void EndLine();
  void EndLineIfAny() {
    if (!line_.empty()) EndLine();
  }
  // Forgets the current line's characters (a printer's "cancel").
  void ClearLine() {
    line_.clear();
    line_truncated_ = false;
  }
  // Emits the pending receipt as `end` when it holds text (blank lines
  // around it removed) and starts a new one either way.
  void EndReceipt(ReceiptEnd end, std::vector<DecodedReceipt>& out);
  // The POS went quiet: the pending receipt ends as kIdle if it holds text;
  // bytes that made no text are forgotten.
  void EndIdle(std::vector<DecodedReceipt>& out);

  bool has_bytes() const { return pending_.byte_count > 0; }
  bool has_line() const { return !line_.empty(); }

 private:
  DecoderLimits limits_;
  DecoderStats& stats_;
  std::string line_;
  bool line_truncated_ = false;
  DecodedReceipt pending_;
  bool pending_has_text_ = false;
};

}  // namespace tillbridge::drivers
