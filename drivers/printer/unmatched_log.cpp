#include "drivers/printer/unmatched_log.h"

#include <filesystem>
#include <fstream>

#include "common/card_numbers.h"

namespace tillbridge::drivers {

UnmatchedReceiptLog::UnmatchedReceiptLog(const std::string& dir, std::uint64_t max_bytes)
    : path_((std::filesystem::path(dir) / "unmatched-receipts.log").string()),
      max_bytes_(max_bytes) {}

Status UnmatchedReceiptLog::Append(UnixMillis printed_at, std::string_view reason,
                                   std::string_view masked_text) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::error_code error;
  const auto size = std::filesystem::file_size(path_, error);
  if (!error && size > max_bytes_) {
    std::filesystem::rename(path_, path_ + ".1", error);
    if (error) return Status::IoError("cannot rotate " + path_ + ": " + error.message());
  }
  std::ofstream out(path_, std::ios::app | std::ios::binary);
  if (!out) return Status::IoError("cannot write " + path_);
  // Masked again here: this file is kept on disk, whoever calls.
  out << "=== " << FormatRfc3339(printed_at) << " " << MaskCardNumbers(reason) << "\n"
      << MaskCardNumbers(masked_text) << "\n";
  out.flush();
  if (!out) return Status::IoError("error writing " + path_);
  return Status::Ok();
}

}  // namespace tillbridge::drivers
