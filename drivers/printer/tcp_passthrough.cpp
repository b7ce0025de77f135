#include <condition_variable>
#include <thread>

#include "common/log.h"
#include "drivers/printer/passthrough.h"
#include "drivers/printer/tcp_socket.h"

namespace tillbridge::drivers {
namespace {

constexpr std::size_t kChunkBytes = 16 * 1024;
constexpr std::chrono::milliseconds kReadSlice{100};
constexpr std::chrono::milliseconds kAcceptSlice{200};

// Serves one POS connection at a time, like a raw-port printer: each POS
// connection gets its own connection to the printer. When the printer cannot
// be reached the POS connection is reset, which is what the POS would see
// from a printer that is off; nothing is acknowledged on its behalf.
class TcpPassthrough final : public Passthrough {
 public:
  TcpPassthrough(TcpPassthroughOptions options, PosStreamObserver& observer)
      : options_(std::move(options)), observer_(observer) {}
  ~TcpPassthrough() override { Stop(); }

  Status Start() override {
    if (accept_thread_.joinable()) return Status::FailedPrecondition("passthrough already started");
    auto listener = ListenTcp(options_.listen_address, options_.listen_port);
    if (!listener.ok()) return listener.status();
    listener_ = std::move(*listener);
    port_ = listener_->port();
    stop_ = false;
    accept_thread_ = std::thread([this] { AcceptLoop(); });
    LogInfo("printer", "listening for the POS on " + options_.listen_address + ":" +
                           std::to_string(port_) + ", printer at " + options_.printer_host + ":" +
                           std::to_string(options_.printer_port));
    return Status::Ok();
  }

  void Stop() override {
    stop_ = true;
    if (accept_thread_.joinable()) accept_thread_.join();
    listener_.reset();
    counters_.SetPosConnected(false);
  }

  PassthroughHealth Health() const override { return counters_.Snapshot(); }
  int listen_port() const override { return port_; }

 private:
  void AcceptLoop() {
    while (!stop_) {
      auto accepted = listener_->Accept(kAcceptSlice);
      if (!accepted.ok()) {
        counters_.SetError(accepted.status().message());
        std::this_thread::sleep_for(kAcceptSlice);
        continue;
      }
      if (*accepted) Serve(std::move(*accepted));
    }
  }

  void Serve(std::unique_ptr<TcpConnection> pos) {
    auto printer =
        ConnectTcp(options_.printer_host, options_.printer_port, options_.connect_timeout);
    if (!printer.ok()) {
      counters_.SetPrinterConnected(false);
      counters_.SetError(printer.status().message());
      counters_.AddRefused();
      pos->Reset();
      return;
    }
    counters_.SetPrinterConnected(true);
    counters_.SetPosConnected(true);
    counters_.AddSession();
    counters_.SetError("");
    Session session{*pos, **printer};
    std::thread back([this, &session] { PrinterToPos(session); });
    PosToPrinter(session);
    back.join();
    counters_.SetPosConnected(false);
    observer_.OnPosStreamBreak();
    if (session.printer_failed) {
      counters_.SetPrinterConnected(false);
      pos->Reset();
    }
  }

  struct Session {
    TcpConnection& pos;
    TcpConnection& printer;
    std::atomic<bool> over{false};
    bool printer_failed = false;  // guarded by mutex
    bool pos_finished = false;    // guarded by mutex
    std::mutex mutex;
    std::condition_variable printer_done;
  };

  void PosToPrinter(Session& session) {
    std::string buffer(kChunkBytes, '\0');
    while (!stop_ && !session.over) {
      auto got = session.pos.Read(buffer.data(), buffer.size(), kReadSlice);
      if (!got.ok()) {
        // The POS finished its job (or went away): pass the end on and give
        // the printer a moment to send its last status bytes. The job counts
        // as finished before the printer hears of it, so a printer that hangs
        // up on the end of the job is not taken for one switched off mid-job.
        {
          std::lock_guard<std::mutex> lock(session.mutex);
          session.pos_finished = true;
        }
        session.printer.ShutdownWrite();
        std::unique_lock<std::mutex> lock(session.mutex);
        session.printer_done.wait_for(lock, options_.linger, [&] { return session.over.load(); });
        break;
      }
      if (*got == 0) continue;
      const std::string_view chunk(buffer.data(), *got);
      const Status written = session.printer.Write(chunk, stop_);
      if (!written.ok()) {
        counters_.AddNotDelivered(chunk.size());
        counters_.SetError(written.message());
        observer_.OnPosBytes(chunk);
        std::lock_guard<std::mutex> lock(session.mutex);
        session.printer_failed = true;
        break;
      }
      counters_.AddToPrinter(chunk.size());
      observer_.OnPosBytes(chunk);
    }
    std::lock_guard<std::mutex> lock(session.mutex);
    session.over = true;
  }

  void PrinterToPos(Session& session) {
    std::string buffer(kChunkBytes, '\0');
    while (!stop_ && !session.over) {
      auto got = session.printer.Read(buffer.data(), buffer.size(), kReadSlice);
      if (!got.ok()) {
        std::lock_guard<std::mutex> lock(session.mutex);
        // The printer ending the connection while the POS is still printing
        // is what a POS sees when the printer is switched off mid-job.
        if (!session.over && !session.pos_finished) session.printer_failed = true;
        session.over = true;
        session.printer_done.notify_all();
        return;
      }
      if (*got == 0) continue;
      const std::string_view chunk(buffer.data(), *got);
      if (session.pos.Write(chunk, stop_).ok()) {
        counters_.AddToPos(chunk.size());
      } else {
        counters_.AddNotDelivered(chunk.size());
      }
    }
    session.printer_done.notify_all();
  }

  TcpPassthroughOptions options_;
  PosStreamObserver& observer_;
  PassthroughCounters counters_;
  std::unique_ptr<TcpListener> listener_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread accept_thread_;
};

}  // namespace

std::unique_ptr<Passthrough> MakeTcpPassthrough(TcpPassthroughOptions options,
                                                PosStreamObserver& observer) {
  return std::make_unique<TcpPassthrough>(std::move(options), observer);
}

}  // namespace tillbridge::drivers
