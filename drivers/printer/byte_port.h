// Byte streams the printer tap forwards between: serial ports (real ones
// through libserialport, pseudo-terminals and tty paths through termios) and
// TCP connections. Headers of the libraries stay in the .cpp files.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tillbridge::drivers {

// One open, bidirectional byte stream. One thread may Read while another
// Writes; neither call may run on two threads at once.
class BytePort {
 public:
  virtual ~BytePort() = default;
  // Reads what is available, up to `capacity` bytes, waiting at most
  // `timeout` for the first byte. 0 means nothing arrived in time.
  // Unavailable when the peer or device is gone (closed, unplugged).
  virtual Result<std::size_t> Read(char* buffer, std::size_t capacity,
                                   std::chrono::milliseconds timeout) = 0;
  // Writes all of `data`, waiting as long as the device applies flow
  // control; gives up with Unavailable when the peer is gone, or Cancelled-
  // like Unavailable("cancelled") once `cancel` becomes true.
  virtual Status Write(std::string_view data, const std::atomic<bool>& cancel) = 0;
  // "serial /dev/ttyUSB0", "tcp 127.0.0.1:9100", for status and logs.
  virtual std::string Describe() const = 0;
};

enum class Parity { kNone, kOdd, kEven, kMark, kSpace };
enum class FlowControl { kNone, kRtsCts, kXonXoff, kDtrDsr };
enum class SerialDriver {
  kAuto,           // libserialport when it knows the port, termios otherwise
  kLibSerialPort,  // real serial ports (USB adapters, COM ports)
  kTermios,        // any tty path, including pseudo-terminals (POSIX only)
};

struct SerialSettings {
  std::string path;  // "/dev/ttyUSB0", "/dev/pts/3", a socat link, "COM3"
  int baud = 9600;
  int data_bits = 8;
  Parity parity = Parity::kNone;
  int stop_bits = 1;
  FlowControl flow_control = FlowControl::kNone;
  SerialDriver driver = SerialDriver::kAuto;
  // XON/XOFF is one-way on a printer link: the printer pauses its host, and
  // binary data from the host is never read as XON/XOFF. True for the port
  // to the printer (obey its XOFF), false for the port to the POS (send XOFF).
  bool facing_printer = true;
};

// Opens and configures a serial port; errors name the path and the reason
// ("/dev/ttyUSB0: No such file or directory").
Result<std::unique_ptr<BytePort>> OpenSerialPort(const SerialSettings& settings);

// Implementations behind OpenSerialPort, exposed for tests and `doctor`.
Result<std::unique_ptr<BytePort>> OpenTermiosPort(const SerialSettings& settings);
Result<std::unique_ptr<BytePort>> OpenLibSerialPort(const SerialSettings& settings);

}  // namespace tillbridge::drivers
