// What every receipt decoder has in common: the receipt it produces, its
// limits and counters, and the interface the printer tap's pipeline feeds.
// One decoder exists per printer command set (ESC/POS, Star); `auto` picks
// the command set per connection from the bytes themselves.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace tillbridge::drivers {

// Why a receipt ended.
enum class ReceiptEnd {
  kCut,        // a cut command (ESC/POS GS V, ESC i, ESC m; Star ESC d n)
  kIdle,       // no byte for the idle timeout while text was pending
  kFlush,      // the caller asked (shutdown)
  kStreamEnd,  // the POS connection ended or the serial port closed
};

// "cut", "idle", "flush", "connection end".
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

// The printer languages the tap understands.
enum class CommandSet {
  kAuto,    // recognised from the bytes, again for each connection
  kEscPos,  // Epson ESC/POS and the many printers that copy it
  kStar,    // Star Line Mode and StarPRNT (Star Micronics TSP, mC-Print, ...)
};

// "auto", "escpos", "star".
std::string_view CommandSetName(CommandSet set);
// Parses a `printer.command_set` value; InvalidArgument names the choices.
Result<CommandSet> ParseCommandSet(std::string_view text);

// Turns the bytes a POS sends to its printer into receipts. Not thread-safe:
// one thread feeds it. Memory is bounded by DecoderLimits whatever the input.
class ReceiptDecoder {
 public:
  virtual ~ReceiptDecoder() = default;

  // Consumes `bytes`; receipts completed by a cut are appended to `out`.
  virtual void Feed(std::string_view bytes, std::vector<DecodedReceipt>& out) = 0;
  // Ends the pending receipt when no byte arrived for the idle timeout, and
  // abandons any half-received command (so a truncated command cannot eat
  // the next receipt). Call periodically.
  virtual void CheckIdle(std::vector<DecodedReceipt>& out) = 0;
  // Bytes were lost in the middle of a stream: abandons any half-received
  // command; text decoded so far stays pending.
  virtual void ResetStream() = 0;
  // The POS connection ended (or the serial port closed): abandons any
  // half-received command and emits the pending receipt, if it has text, as
  // kStreamEnd. The next bytes start a new receipt (and, for `auto`, a new
  // recognition of the command set).
  virtual void EndStream(std::vector<DecodedReceipt>& out) = 0;
  // Emits the pending receipt, if it has text, as kFlush.
  virtual void Flush(std::vector<DecodedReceipt>& out) = 0;
  // The POS was quiet for the idle timeout before the bytes that follow (as
  // recorded when they arrived): ends the pending receipt as kIdle, as
  // CheckIdle would have then.
  virtual void EndIdle(std::vector<DecodedReceipt>& out) = 0;

  // Whether bytes fed since the last emitted receipt may still become part
  // of one (text pending, a command half-received). When false, everything
  // fed so far is accounted for, so decoding may later resume from here.
  virtual bool HasPendingReceipt() const = 0;

  virtual const DecoderStats& stats() const = 0;
  // "escpos" or "star": the command set being decoded now ("" while `auto`
  // has not recognised one yet).
  virtual std::string_view command_set() const = 0;
  // The code page selected now, e.g. "CP858".
  virtual std::string_view code_page_name() const = 0;
};

// A decoder for `set`. `clock` must outlive it.
std::unique_ptr<ReceiptDecoder> MakeReceiptDecoder(CommandSet set, const Clock& clock,
                                                   DecoderLimits limits);

}  // namespace tillbridge::drivers
