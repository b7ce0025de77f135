#include <condition_variable>
#include <thread>

#include "common/log.h"
#include "drivers/printer/passthrough.h"

namespace tillbridge::drivers {
namespace {

constexpr std::size_t kChunkBytes = 16 * 1024;
constexpr std::chrono::milliseconds kReadSlice{100};

// One side's port, opened on demand and reopened after it disappears.
struct PortSlot {
  std::string role;  // "POS port" or "printer port"
  SerialSettings settings;
  std::mutex mutex;
  std::shared_ptr<BytePort> port;                        // guarded by mutex
  std::chrono::steady_clock::time_point last_attempt{};  // guarded by mutex
};

class SerialPassthrough final : public Passthrough {
 public:
  SerialPassthrough(SerialPassthroughOptions options, PosStreamObserver& observer)
      : options_(std::move(options)), observer_(observer) {
    pos_.role = "POS port";
    pos_.settings = options_.pos;
    pos_.settings.facing_printer = false;
    printer_.role = "printer port";
    printer_.settings = options_.printer;
    printer_.settings.facing_printer = true;
  }
  ~SerialPassthrough() override { Stop(); }

  Status Start() override {
    if (to_printer_.joinable()) return Status::FailedPrecondition("passthrough already started");
    stop_ = false;
    to_printer_ = std::thread([this] { ToPrinterLoop(); });
    to_pos_ = std::thread([this] { ToPosLoop(); });
    return Status::Ok();
  }

  void Stop() override {
    {
      std::lock_guard<std::mutex> lock(wait_mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (to_printer_.joinable()) to_printer_.join();
    if (to_pos_.joinable()) to_pos_.join();
    for (PortSlot* slot : {&pos_, &printer_}) {
      std::lock_guard<std::mutex> lock(slot->mutex);
      slot->port.reset();
    }
    counters_.SetPosConnected(false);
    counters_.SetPrinterConnected(false);
  }

  PassthroughHealth Health() const override { return counters_.Snapshot(); }

 private:
  // The slot's open port, opening it when the last attempt is old enough.
  std::shared_ptr<BytePort> Acquire(PortSlot& slot) {
    std::lock_guard<std::mutex> lock(slot.mutex);
    if (slot.port) return slot.port;
    const auto now = std::chrono::steady_clock::now();
    if (slot.last_attempt != std::chrono::steady_clock::time_point{} &&
        now - slot.last_attempt < options_.reconnect_interval) {
      return nullptr;
    }
    slot.last_attempt = now;
    auto opened = OpenSerialPort(slot.settings);
    if (!opened.ok()) {
      counters_.SetError(slot.role + " " + opened.status().message());
      return nullptr;
    }
    slot.port = std::shared_ptr<BytePort>(std::move(*opened));
    LogInfo("printer", "opened " + slot.role + " " + slot.port->Describe());
    if (&slot == &pos_) {
      counters_.SetPosConnected(true);
      counters_.AddSession();
    } else {
      counters_.SetPrinterConnected(true);
    }
    if (counters_.Snapshot().pos_connected && counters_.Snapshot().printer_connected) {
      counters_.SetError("");
    }
    return slot.port;
  }

  // Forgets `broken` (if still current) so the next Acquire reopens it.
  void Drop(PortSlot& slot, const std::shared_ptr<BytePort>& broken, const Status& why) {
    {
      std::lock_guard<std::mutex> lock(slot.mutex);
      if (slot.port != broken) return;
      slot.port.reset();
      slot.last_attempt = std::chrono::steady_clock::now();
    }
    counters_.SetError(slot.role + " lost: " + why.message());
    if (&slot == &pos_) {
      counters_.SetPosConnected(false);
      observer_.OnPosStreamBreak();
    } else {
      counters_.SetPrinterConnected(false);
    }
  }

  void WaitFor(std::chrono::milliseconds duration) {
    std::unique_lock<std::mutex> lock(wait_mutex_);
    wake_.wait_for(lock, duration, [this] { return stop_.load(); });
  }

  void ToPrinterLoop() {
    std::string buffer(kChunkBytes, '\0');
    while (!stop_) {
      auto pos = Acquire(pos_);
      auto printer = Acquire(printer_);
      if (!pos) {
        WaitFor(std::chrono::milliseconds(50));
        continue;
      }
      if (!printer && options_.pos.flow_control != FlowControl::kNone) {
        // Leave the bytes with the POS: its flow control holds it back, as
        // with a printer that is switched off.
        WaitFor(std::chrono::milliseconds(50));
        continue;
      }
      auto got = pos->Read(buffer.data(), buffer.size(), kReadSlice);
      if (!got.ok()) {
        Drop(pos_, pos, got.status());
        continue;
      }
      if (*got == 0) continue;
      const std::string_view chunk(buffer.data(), *got);
      // The printer may have come back while this thread waited for the POS.
      if (!printer) printer = Acquire(printer_);
      if (printer) {
        const Status written = printer->Write(chunk, stop_);
        if (written.ok()) {
          counters_.AddToPrinter(chunk.size());
        } else {
          counters_.AddNotDelivered(chunk.size());
          Drop(printer_, printer, written);
        }
      } else {
        // Without flow control an unplugged printer loses what is sent to it.
        counters_.AddNotDelivered(chunk.size());
      }
      observer_.OnPosBytes(chunk);
    }
  }

  void ToPosLoop() {
    std::string buffer(kChunkBytes, '\0');
    while (!stop_) {
      auto printer = Acquire(printer_);
      if (!printer) {
        WaitFor(std::chrono::milliseconds(50));
        continue;
      }
      auto got = printer->Read(buffer.data(), buffer.size(), kReadSlice);
      if (!got.ok()) {
        Drop(printer_, printer, got.status());
        continue;
      }
      if (*got == 0) continue;
      const std::string_view chunk(buffer.data(), *got);
      auto pos = Acquire(pos_);
      if (!pos) {
        counters_.AddNotDelivered(chunk.size());
        continue;
      }
      const Status written = pos->Write(chunk, stop_);
      if (written.ok()) {
        counters_.AddToPos(chunk.size());
      } else {
        counters_.AddNotDelivered(chunk.size());
        Drop(pos_, pos, written);
      }
    }
  }

  SerialPassthroughOptions options_;
  PosStreamObserver& observer_;
  PassthroughCounters counters_;
  PortSlot pos_;
  PortSlot printer_;
  std::atomic<bool> stop_{false};
  std::mutex wait_mutex_;
  std::condition_variable wake_;
  std::thread to_printer_;
  std::thread to_pos_;
};

}  // namespace

std::unique_ptr<Passthrough> MakeSerialPassthrough(SerialPassthroughOptions options,
                                                   PosStreamObserver& observer) {
  return std::make_unique<SerialPassthrough>(std::move(options), observer);
}

}  // namespace tillbridge::drivers
