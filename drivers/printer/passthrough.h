// The forwarding half of the printer tap: moves bytes between the POS and
// the printer, unchanged and in both directions, and hands a copy of what
// the POS sent to an observer only after the printer has it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/metrics.h"
#include "common/status.h"
#include "drivers/printer/byte_port.h"

namespace tillbridge::drivers {

// Receives what the POS sent, on a forwarding thread, after the bytes were
// written to the printer (or found no printer). Must return quickly and must
// never block: the next receipt byte waits for it.
class PosStreamObserver {
 public:
  virtual ~PosStreamObserver() = default;
  virtual void OnPosBytes(std::string_view bytes) = 0;
  // The POS stream was interrupted (connection ended, port closed).
  virtual void OnPosStreamBreak() = 0;
};

struct PassthroughHealth {
  bool printer_connected = false;  // port open / last connection attempt worked
  bool pos_connected = false;      // POS port open / POS connection active
  std::uint64_t bytes_to_printer = 0;
  std::uint64_t bytes_to_pos = 0;
  // POS bytes that could not reach the printer (printer unplugged), and
  // printer bytes that could not reach the POS.
  std::uint64_t bytes_not_delivered = 0;
  std::uint64_t pos_sessions = 0;      // TCP connections served / serial opens
  std::uint64_t refused_sessions = 0;  // POS connections closed: printer down
  std::string last_error;
};

// A running passthrough. Start and Stop from one thread; Health from any.
class Passthrough {
 public:
  virtual ~Passthrough() = default;
  // Opens the listening socket (TCP) and starts the forwarding threads.
  // Errors that a retry can fix (printer or port absent) do not fail Start.
  virtual Status Start() = 0;
  // Stops and joins the threads; idempotent.
  virtual void Stop() = 0;
  virtual PassthroughHealth Health() const = 0;
  // The TCP port the POS connects to (0 for serial).
  virtual int listen_port() const { return 0; }
};

struct SerialPassthroughOptions {
  SerialSettings pos;      // the port the POS writes to
  SerialSettings printer;  // the port the printer is on
  std::chrono::milliseconds reconnect_interval{1000};
};

struct TcpPassthroughOptions {
  std::string listen_address = "0.0.0.0";
  int listen_port = 9100;  // 0 picks a free port (tests)
  std::string printer_host;
  int printer_port = 9100;
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds reconnect_interval{1000};
  // After the POS closes its side, how long to wait for the printer's last
  // status bytes before closing.
  std::chrono::milliseconds linger{1000};
};

// `observer` must outlive the returned passthrough.
std::unique_ptr<Passthrough> MakeSerialPassthrough(SerialPassthroughOptions options,
                                                   PosStreamObserver& observer);
std::unique_ptr<Passthrough> MakeTcpPassthrough(TcpPassthroughOptions options,
                                                PosStreamObserver& observer);

// Counters shared by the passthrough implementations: per instance for
// Health, and mirrored into MetricsRegistry::Global() for /metrics.
class PassthroughCounters {
 public:
  PassthroughCounters();
  void AddToPrinter(std::uint64_t n);
  void AddToPos(std::uint64_t n);
  void AddNotDelivered(std::uint64_t n);
  void AddSession() { ++pos_sessions_; }
  void AddRefused();
  void SetPrinterConnected(bool up) { printer_connected_ = up; }
  void SetPosConnected(bool up) { pos_connected_ = up; }
  void SetError(std::string error);
  PassthroughHealth Snapshot() const;

 private:
  std::atomic<std::uint64_t> to_printer_{0}, to_pos_{0}, not_delivered_{0}, pos_sessions_{0},
      refused_{0};
  std::atomic<bool> printer_connected_{false}, pos_connected_{false};
  Counter& metric_to_printer_;
  Counter& metric_to_pos_;
  Counter& metric_not_delivered_;
  Counter& metric_refused_;
  mutable std::mutex error_mutex_;
  std::string last_error_;  // guarded by error_mutex_
};

}  // namespace tillbridge::drivers
