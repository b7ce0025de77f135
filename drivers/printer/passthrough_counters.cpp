#include "common/log.h"
#include "drivers/printer/passthrough.h"

namespace tillbridge::drivers {

PassthroughCounters::PassthroughCounters()
    : metric_to_printer_(MetricsRegistry::Global().GetCounter(
          "tillbridge_printer_bytes_forwarded_total{direction=\"to_printer\"}",
          "Bytes forwarded by the printer tap")),
      metric_to_pos_(MetricsRegistry::Global().GetCounter(
          "tillbridge_printer_bytes_forwarded_total{direction=\"to_pos\"}",
          "Bytes forwarded by the printer tap")),
      metric_not_delivered_(MetricsRegistry::Global().GetCounter(
          "tillbridge_printer_bytes_not_delivered_total",
          "Bytes the printer tap could not deliver because the other side was gone")),
      metric_refused_(MetricsRegistry::Global().GetCounter(
          "tillbridge_printer_pos_connections_refused_total",
          "POS connections closed because the printer was unreachable")) {}

void PassthroughCounters::AddToPrinter(std::uint64_t n) {
  to_printer_ += n;
  metric_to_printer_.Increment(static_cast<std::int64_t>(n));
}

void PassthroughCounters::AddToPos(std::uint64_t n) {
  to_pos_ += n;
  metric_to_pos_.Increment(static_cast<std::int64_t>(n));
}

void PassthroughCounters::AddNotDelivered(std::uint64_t n) {
  not_delivered_ += n;
  metric_not_delivered_.Increment(static_cast<std::int64_t>(n));
}

void PassthroughCounters::AddRefused() {
  ++refused_;
  metric_refused_.Increment();
}

void PassthroughCounters::SetError(std::string error) {
  std::lock_guard<std::mutex> lock(error_mutex_);
  if (!error.empty() && error != last_error_) LogWarning("printer", error);
  last_error_ = std::move(error);
}

PassthroughHealth PassthroughCounters::Snapshot() const {
  PassthroughHealth health;
  health.printer_connected = printer_connected_;
  health.pos_connected = pos_connected_;
  health.bytes_to_printer = to_printer_;
  health.bytes_to_pos = to_pos_;
  health.bytes_not_delivered = not_delivered_;
  health.pos_sessions = pos_sessions_;
  health.refused_sessions = refused_;
  std::lock_guard<std::mutex> lock(error_mutex_);
  health.last_error = last_error_;
  return health;
}

}  // namespace tillbridge::drivers
