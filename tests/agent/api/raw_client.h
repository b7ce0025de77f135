// A raw TCP client for driving the API server byte by byte from tests and
// benchmarks: slow senders, idle connections, oversized requests.
#pragma once

#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace tillbridge::agent::testing {

// One connection to 127.0.0.1:`port`. Not thread-safe.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) {
    socket_.connect(Poco::Net::SocketAddress("127.0.0.1", port), Poco::Timespan(10, 0));
    socket_.setNoDelay(true);
    socket_.setSendTimeout(Poco::Timespan(10, 0));
  }

  // Sends all of `bytes`; false when the server has reset the connection.
  bool Send(const std::string& bytes) {
    try {
      std::size_t sent = 0;
      while (sent < bytes.size()) {
        const int put =
            socket_.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent));
        if (put <= 0) return false;
        sent += static_cast<std::size_t>(put);
      }
      return true;
    } catch (const Poco::Exception&) {
      send_failed_ = true;
      return false;
    }
  }

  void ShutdownSend() {
    try {
      socket_.shutdownSend();
    } catch (const Poco::Exception&) {
    }
  }

  // Reads whatever arrives within `wait` (stops early at the end of the
  // stream). Returns true once the server has closed the connection.
  bool Read(std::chrono::milliseconds wait) {
    const auto until = std::chrono::steady_clock::now() + wait;
    while (!closed_) {
      const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() < 0) break;
      try {
        if (!socket_.poll(Poco::Timespan(left.count()), Poco::Net::Socket::SELECT_READ)) break;
        char buffer[16 * 1024];
        const int got = socket_.receiveBytes(buffer, sizeof(buffer));
        if (got <= 0) {
          closed_ = true;
        } else {
          received_.append(buffer, static_cast<std::size_t>(got));
        }
      } catch (const Poco::Exception&) {
        closed_ = true;
        reset_ = true;
      }
    }
    return closed_;
  }

  // Reads until `text` has arrived, the connection closed or `limit` passed.
  // Returns whether `text` arrived.
  bool ReadUntil(const std::string& text, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (received_.find(text) == std::string::npos && !closed_ &&
           std::chrono::steady_clock::now() < until) {
      Read(std::chrono::milliseconds(20));
    }
    return received_.find(text) != std::string::npos;
  }

  // Whether anything (data or the end of the stream) is waiting to be read,
  // without reading it: false while the server still holds the connection
  // silently.
  bool HasNews() {
    if (closed_ || !received_.empty()) return true;
    try {
      return socket_.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ);
    } catch (const Poco::Exception&) {
      return true;
    }
  }

  const std::string& received() const { return received_; }
  // The response body (after the blank line), when a response arrived.
  std::string Body() const {
    const auto end = received_.find("\r\n\r\n");
    return end == std::string::npos ? std::string() : received_.substr(end + 4);
  }
  bool closed() const { return closed_; }
  // The connection ended with a reset instead of a clean close.
  bool reset() const { return reset_; }
  bool send_failed() const { return send_failed_; }

 private:
  Poco::Net::StreamSocket socket_;
  std::string received_;
  bool closed_ = false;
  bool reset_ = false;
  bool send_failed_ = false;
};

}  // namespace tillbridge::agent::testing
