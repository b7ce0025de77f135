// TCP for the network printer tap: a listener the POS connects to (as it
// would to a printer's raw port 9100) and connections to the real printer.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/status.h"
#include "drivers/printer/byte_port.h"

namespace tillbridge::drivers {

// A connected TCP stream.
class TcpConnection : public BytePort {
 public:
  // Stops sending (FIN) but keeps reading, so late status bytes still arrive.
  virtual void ShutdownWrite() = 0;
  // Closes with a reset (RST) instead of a clean FIN, as a printer does that
  // drops a connection it cannot serve.
  virtual void Reset() = 0;
};

// A listening TCP socket. Accept may run on one thread at a time.
class TcpListener {
 public:
  virtual ~TcpListener() = default;
  // Waits at most `timeout` for a connection; nullptr when none arrived.
  virtual Result<std::unique_ptr<TcpConnection>> Accept(std::chrono::milliseconds timeout) = 0;
  // The bound port (useful when listening on port 0).
  virtual int port() const = 0;
};

// Binds and listens on `address`:`port` (port 0 picks a free one).
Result<std::unique_ptr<TcpListener>> ListenTcp(const std::string& address, int port);

// Connects to `host`:`port`, giving up after `timeout`. Unavailable (with the
// reason: refused, timed out, unknown host) when the peer cannot be reached.
Result<std::unique_ptr<TcpConnection>> ConnectTcp(const std::string& host, int port,
                                                  std::chrono::milliseconds timeout);

}  // namespace tillbridge::drivers
