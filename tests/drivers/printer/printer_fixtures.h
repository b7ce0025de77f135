// Test fixtures for the printer tap's stream tests: receipts encoded by the
// npm encoder (generated once per process with node), socat pty pairs, and a
// stand-in printer on a real socket or pty that answers status queries.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "drivers/printer/byte_port.h"
#include "drivers/printer/printer_tap.h"
#include "drivers/printer/tcp_socket.h"
#include "store/model.h"
#include "tests/test_util.h"

namespace tillbridge::testing {

struct ReceiptFixture {
  std::string name;
  std::string bytes;
  std::string receipt_number;  // as the pos_id should read
  std::string kind;            // sale, refund, void
  std::int64_t total_minor = 0;
  std::int64_t tax_minor = 0;
  std::size_t lines = 0;
  std::string phone;
  std::vector<std::string> coupons;
  std::string card;     // printed card number, "" when none
  std::string loyalty;  // printed loyalty (member) number, "" when none
  std::optional<std::int64_t> points_earned, points_balance;  // printed loyalty points
  bool unmatched = false;
  bool no_cut = false;
};

// Receipts from tests/js/printer/make-receipts.mjs; fails the test when node
// or the encoder package is missing (run scripts/install-deps.sh test).
const std::vector<ReceiptFixture>& EncodedReceipts();
const ReceiptFixture& FixtureNamed(const std::string& prefix);

// Tap options for the tests: TCP on loopback with a free listen port, the
// shipped templates, the spool in `dir`, a 300 ms idle cut.
drivers::PrinterTapOptions BaseOptions(const TempDir& dir);

// Polls a tap like the agent does, keeping the cursor between calls.
class Consumer {
 public:
  explicit Consumer(drivers::PrinterTap& tap) : tap_(tap) {}
  // Everything received so far, once `count` records arrived or `timeout`
  // passed.
  std::vector<store::Transaction> Until(std::size_t count, std::chrono::milliseconds timeout);
  const drivers::Cursor& cursor() const { return cursor_; }

 private:
  drivers::PrinterTap& tap_;
  drivers::Cursor cursor_;
  std::vector<store::Transaction> records_;
};

// Polls `done` every 10 ms until it is true or `timeout` passes.
bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);

// The bytes a printer sends back for the status queries in `stream`:
// DLE EOT n -> one status byte, GS r n -> one status byte. Scanning is
// stateful so queries split across chunks are found.
class StatusResponder {
 public:
  std::string Feed(std::string_view bytes);

 private:
  int state_ = 0;  // 0 idle, 1 after DLE, 2 after DLE EOT, 3 after GS, 4 after GS r
};

// Automatic status back (ASB) a printer sends when a connection starts.
inline const std::string kAsbBytes = std::string("\x14\x00\x00\x0f", 4);

// A pair of connected pseudo-terminals made by socat, reachable through the
// links `a` and `b`. Killed on destruction.
class SocatPair {
 public:
  SocatPair(std::string a, std::string b);
  ~SocatPair();
  SocatPair(const SocatPair&) = delete;
  SocatPair& operator=(const SocatPair&) = delete;
  void Stop();
  bool running() const { return pid_ > 0; }

 private:
  std::string a_, b_;
  pid_t pid_ = -1;
};

// Collects everything a "printer" receives on one port and answers status
// queries. Runs its own thread.
class FakePrinter {
 public:
  // TCP: listens on 127.0.0.1:`port` (0 = pick), one connection at a time;
  // sends ASB when a connection starts.
  static std::unique_ptr<FakePrinter> Tcp(int port = 0);
  // Serial: opens the tty at `path` and serves it until stopped.
  static std::unique_ptr<FakePrinter> Serial(const std::string& path);
  FakePrinter() = default;  // use Tcp or Serial
  ~FakePrinter();

  int port() const { return port_; }
  std::size_t size() const;
  std::string received() const;
  std::uint64_t connections() const { return connections_; }
  // Closes the current connection after it has received `bytes` (TCP).
  void DropAfter(std::size_t bytes) { drop_after_ = bytes; }
  void Stop();

 private:
  void Serve(drivers::BytePort& port);

  std::unique_ptr<drivers::TcpListener> listener_;
  std::unique_ptr<drivers::BytePort> serial_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> connections_{0};
  std::atomic<std::size_t> drop_after_{0};
  mutable std::mutex mutex_;
  std::string received_;
  std::thread thread_;
};

}  // namespace tillbridge::testing
