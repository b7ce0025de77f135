#include "drivers/printer/receipt_assembler.h"

#include "common/text.h"

namespace tillbridge::drivers {
namespace {

bool IsBlank(std::string_view text) {
  return text.find_first_not_of(" \n") == std::string_view::npos;
}

}  // namespace

void ReceiptAssembler::Append(char32_t code_point) {
  if (line_truncated_) return;
  const std::size_t before = line_.size();
  AppendUtf8(code_point, line_);
  if (line_.size() <= limits_.max_line_bytes) return;
  line_.resize(before);
  line_truncated_ = true;
  pending_.truncated = true;
  ++stats_.truncated_lines;
}

void ReceiptAssembler::EndLine() {
  const std::size_t kept = line_.find_last_not_of(' ');
  line_.resize(kept == std::string::npos ? 0 : kept + 1);
  if (pending_.text.size() + line_.size() + 1 <= limits_.max_receipt_bytes) {
    if (!line_.empty()) pending_has_text_ = true;
    pending_.text += line_;
    pending_.text.push_back('\n');
  } else {
    pending_.truncated = true;
  }
  ClearLine();
}

void ReceiptAssembler::EndReceipt(ReceiptEnd end, std::vector<DecodedReceipt>& out) {
  EndLineIfAny();
  if (pending_has_text_ && !IsBlank(pending_.text)) {
    DecodedReceipt receipt = std::move(pending_);
    // Blank lines around the text carry no information.
    const std::size_t first = receipt.text.find_first_not_of('\n');
    const std::size_t last = receipt.text.find_last_not_of('\n');
    receipt.text = receipt.text.substr(first, last - first + 1);
    receipt.end = end;
    out.push_back(std::move(receipt));
    ++stats_.receipts;
  }
  pending_ = DecodedReceipt();
  pending_has_text_ = false;
}

void ReceiptAssembler::EndIdle(std::vector<DecodedReceipt>& out) {
  EndLineIfAny();
  if (pending_has_text_) {
    EndReceipt(ReceiptEnd::kIdle, out);
  } else {
    pending_ = DecodedReceipt();
  }
}

}  // namespace tillbridge::drivers
