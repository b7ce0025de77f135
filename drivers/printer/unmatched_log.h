// The log of receipts no template matched: kept (card numbers masked) in the
// tap's folder so someone can write a template for them. Size-capped.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace tillbridge::drivers {

// Thread-safe.
class UnmatchedReceiptLog {
 public:
  // Writes to `dir`/unmatched-receipts.log; when it passes `max_bytes` it
  // moves to unmatched-receipts.log.1 (replacing an older one).
  UnmatchedReceiptLog(const std::string& dir, std::uint64_t max_bytes);

  // Appends one receipt with when it was printed and why it is unmatched.
  // Card numbers in both texts are masked (common/card_numbers.h).
  Status Append(UnixMillis printed_at, std::string_view reason, std::string_view masked_text);

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::uint64_t max_bytes_;
  std::mutex mutex_;
};

}  // namespace tillbridge::drivers
