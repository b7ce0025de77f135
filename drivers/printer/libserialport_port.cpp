#include <libserialport.h>

#include "drivers/printer/byte_port.h"

namespace tillbridge::drivers {
namespace {

constexpr unsigned kWriteSliceMs = 100;

std::string LastError(const std::string& path) {
  char* message = sp_last_error_message();
  std::string text = path + ": " + (message != nullptr ? message : "unknown libserialport error");
  sp_free_error_message(message);
  return text;
}

// A port opened through libserialport (real UARTs, USB adapters, COM ports).
class LibSerialPort final : public BytePort {
 public:
  LibSerialPort(sp_port* port, std::string path) : port_(port), path_(std::move(path)) {}
  ~LibSerialPort() override {
    sp_close(port_);
    sp_free_port(port_);
  }
  LibSerialPort(const LibSerialPort&) = delete;
  LibSerialPort& operator=(const LibSerialPort&) = delete;

  Result<std::size_t> Read(char* buffer, std::size_t capacity,
                           std::chrono::milliseconds timeout) override {
    // blocking_read_next returns as soon as any byte arrives.
    const sp_return got =
        sp_blocking_read_next(port_, buffer, capacity, static_cast<unsigned>(timeout.count()));
    if (got < 0) return Status::Unavailable(LastError(path_));
    return static_cast<std::size_t>(got);
  }

  Status Write(std::string_view data, const std::atomic<bool>& cancel) override {
    while (!data.empty()) {
      if (cancel.load()) return Status::Unavailable(path_ + ": cancelled");
      const sp_return put = sp_blocking_write(port_, data.data(), data.size(), kWriteSliceMs);
      if (put < 0) return Status::Unavailable(LastError(path_));
      data.remove_prefix(static_cast<std::size_t>(put));
    }
    return Status::Ok();
  }

  std::string Describe() const override { return "serial " + path_ + " (libserialport)"; }

 private:
  sp_port* port_;
  std::string path_;
};

Status Check(sp_return result, const std::string& path, const char* what) {
  if (result == SP_OK) return Status::Ok();
  return Status::InvalidArgument(LastError(path) + " (setting " + what + ")");
}

sp_parity ToSp(Parity parity) {
  switch (parity) {
    case Parity::kOdd:
      return SP_PARITY_ODD;
    case Parity::kEven:
      return SP_PARITY_EVEN;
    case Parity::kMark:
      return SP_PARITY_MARK;
    case Parity::kSpace:
      return SP_PARITY_SPACE;
    case Parity::kNone:
      break;
  }
  return SP_PARITY_NONE;
}

}  // namespace

Result<std::unique_ptr<BytePort>> OpenLibSerialPort(const SerialSettings& settings) {
  sp_port* found = nullptr;
  if (sp_get_port_by_name(settings.path.c_str(), &found) != SP_OK) {
    return Status::Unavailable(LastError(settings.path));
  }
  if (sp_open(found, SP_MODE_READ_WRITE) != SP_OK) {
    const std::string error = LastError(settings.path);
    sp_free_port(found);
    return Status::Unavailable(error);
  }
  auto port = std::make_unique<LibSerialPort>(found, settings.path);
  const std::string& path = settings.path;
  TB_RETURN_IF_ERROR(Check(sp_set_baudrate(found, settings.baud), path, "baud"));
  TB_RETURN_IF_ERROR(Check(sp_set_bits(found, settings.data_bits), path, "data bits"));
  TB_RETURN_IF_ERROR(Check(sp_set_parity(found, ToSp(settings.parity)), path, "parity"));
  TB_RETURN_IF_ERROR(Check(sp_set_stopbits(found, settings.stop_bits), path, "stop bits"));
  switch (settings.flow_control) {
    case FlowControl::kNone:
      TB_RETURN_IF_ERROR(
          Check(sp_set_flowcontrol(found, SP_FLOWCONTROL_NONE), path, "flow control"));
      break;
    case FlowControl::kRtsCts:
      TB_RETURN_IF_ERROR(
          Check(sp_set_flowcontrol(found, SP_FLOWCONTROL_RTSCTS), path, "flow control"));
      break;
    case FlowControl::kDtrDsr:
      TB_RETURN_IF_ERROR(
          Check(sp_set_flowcontrol(found, SP_FLOWCONTROL_DTRDSR), path, "flow control"));
      break;
    case FlowControl::kXonXoff:
      TB_RETURN_IF_ERROR(
          Check(sp_set_flowcontrol(found, SP_FLOWCONTROL_NONE), path, "flow control"));
      TB_RETURN_IF_ERROR(
          Check(sp_set_xon_xoff(found, settings.facing_printer ? SP_XONXOFF_OUT : SP_XONXOFF_IN),
                path, "xon/xoff"));
      break;
  }
  return std::unique_ptr<BytePort>(std::move(port));
}

Result<std::unique_ptr<BytePort>> OpenSerialPort(const SerialSettings& settings) {
  if (settings.path.empty()) return Status::InvalidArgument("serial port path is empty");
  switch (settings.driver) {
    case SerialDriver::kLibSerialPort:
      return OpenLibSerialPort(settings);
    case SerialDriver::kTermios:
      return OpenTermiosPort(settings);
    case SerialDriver::kAuto:
      break;
  }
  // libserialport finds ports through the OS's device lists, which do not
  // include pseudo-terminals or symlinks to them; those go through termios.
  sp_port* probe = nullptr;
  if (sp_get_port_by_name(settings.path.c_str(), &probe) == SP_OK) {
    sp_free_port(probe);
    return OpenLibSerialPort(settings);
  }
  return OpenTermiosPort(settings);
}

}  // namespace tillbridge::drivers
