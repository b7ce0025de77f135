// Windows has no termios and no pseudo-terminals: every serial port, virtual
// pairs such as com0com included, is a COM port that libserialport opens, so
// a port configured for the termios driver is opened that way too; its
// errors name the port and the reason.
#include "drivers/printer/byte_port.h"

namespace tillbridge::drivers {

Result<std::unique_ptr<BytePort>> OpenTermiosPort(const SerialSettings& settings) {
  return OpenLibSerialPort(settings);
}

}  // namespace tillbridge::drivers
