// The receipt-printer tap: sits between the POS and its receipt printer,
// forwards every byte unchanged in both directions, and turns the receipts
// it sees into transactions. This is the header the agent uses.
//
//   auto tap = PrinterTap::Create(options, phones);   // options from config
//   (*tap)->Start();                                   // forwarding threads
//   ... the agent's source runner calls Poll / Ingest as for any source ...
//   (*tap)->Stop();
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/phone.h"
#include "common/status.h"
#include "drivers/printer/printer_tap_config.h"
#include "drivers/transaction_source.h"

namespace tillbridge::drivers {

// What `status` and `doctor` show about the tap.
struct PrinterTapHealth {
  bool running = false;
  bool printer_connected = false;  // serial: port open; tcp: last connection worked
  bool pos_connected = false;      // serial: port open; tcp: a POS connection is active
  int listen_port = 0;             // tcp mode
  std::uint64_t bytes_to_printer = 0;
  std::uint64_t bytes_to_pos = 0;
  std::uint64_t bytes_not_delivered = 0;
  std::uint64_t refused_pos_connections = 0;
  std::uint64_t receipts = 0;
  std::uint64_t transactions = 0;
  std::uint64_t unmatched_receipts = 0;
  std::uint64_t skipped_receipts = 0;
  std::uint64_t invalid_phone_receipts = 0;  // transactions whose printed phone was invalid
  std::uint64_t loyalty_numbers = 0;         // transactions that carried a loyalty number
  std::uint64_t parse_drops = 0;             // chunks printed but never decoded
  std::uint64_t parse_dropped_bytes = 0;
  std::uint64_t decode_backlog_bytes = 0;  // printed, waiting in the capture journal
  std::string command_set;                 // "escpos", "star", or the setting while unknown
  std::uint64_t card_numbers_masked = 0;
  std::uint64_t decoded_not_stored = 0;  // transactions waiting for the store
  std::string unmatched_log;             // where unmatched receipts are kept
  std::string last_error;                // forwarding problem, empty when fine
  std::string last_problem;              // last extraction or spool problem
};

class PrinterTapImpl;

// Start/Stop from one thread; the TransactionSource methods from the agent's
// source thread (one caller); Details/Health from any thread.
class PrinterTap final : public TransactionSource {
 public:
  // Loads the templates, opens the spool and prepares the passthrough; fails
  // with a message naming the bad setting or file. `phones` and `clock` must
  // outlive the tap.
  static Result<std::unique_ptr<PrinterTap>> Create(const PrinterTapOptions& options,
                                                    const PhoneNormalizer& phones,
                                                    const Clock& clock = SystemClock::Instance());
  ~PrinterTap() override;
  PrinterTap(const PrinterTap&) = delete;
  PrinterTap& operator=(const PrinterTap&) = delete;

  // Starts forwarding and decoding. Fails only for errors a retry cannot fix
  // (the TCP listen port is taken); an absent printer or port is retried.
  Status Start();
  // Stops forwarding and decoding. What was printed but not yet decoded or
  // stored stays in the capture journal and is decoded at the next start.
  // Idempotent.
  void Stop();

  std::string_view Name() const override;
  // The tap has nothing to connect on Poll's behalf; Ok once created.
  Status Open() override;
  // Transactions decoded after `cursor` (at most 100), waiting at most
  // `wait`. `cursor` is what the store committed: the journal may forget
  // what lies before it. The same cursor gives the same transactions again
  // (a failed store write is simply retried).
  Result<Batch> Poll(const Cursor& cursor, std::chrono::milliseconds wait) override;
  SourceHealth Health() const override;
  PrinterTapHealth Details() const;

  // Use Create; PrinterTapImpl is private to printer_tap.cpp.
  explicit PrinterTap(std::unique_ptr<PrinterTapImpl> impl);

 private:
  std::unique_ptr<PrinterTapImpl> impl_;
};

}  // namespace tillbridge::drivers
