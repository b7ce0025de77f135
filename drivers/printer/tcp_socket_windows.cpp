// Winsock counterpart of tcp_socket_posix.cpp: the same non-blocking
// sockets polled in slices, so a cancelled or stalled printer link never
// blocks a passthrough thread.
#include <winsock2.h>
#include <ws2tcpip.h>

#include <mutex>

#include "common/platform/windows_text.h"
#include "drivers/printer/tcp_socket.h"

namespace tillbridge::drivers {
namespace {

constexpr int kPollSliceMs = 100;

std::string SocketErrorText(int code = WSAGetLastError()) {
  return platform::WindowsErrorText(static_cast<unsigned long>(code));
}

// Winsock must be started once per process before any socket call; it stays
// started until the process ends.
Status StartWinsock() {
  static std::once_flag once;
  static int result = 0;
  std::call_once(once, [] {
    WSADATA data{};
    result = WSAStartup(MAKEWORD(2, 2), &data);
  });
  if (result != 0) return Status::Unavailable("Winsock did not start: " + SocketErrorText(result));
  return Status::Ok();
}

void SetNonBlocking(SOCKET socket) {
  u_long on = 1;
  ioctlsocket(socket, FIONBIO, &on);
}

bool WouldBlock(int code) { return code == WSAEWOULDBLOCK || code == WSAEINTR; }

class WindowsTcpConnection final : public TcpConnection {
 public:
  WindowsTcpConnection(SOCKET socket, std::string peer) : socket_(socket), peer_(std::move(peer)) {
    SetNonBlocking(socket_);
    // Receipts are written in small chunks; Nagle would add latency to each.
    BOOL one = TRUE;
    setsockopt(socket_, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one), sizeof(one));
    setsockopt(socket_, SOL_SOCKET, SO_KEEPALIVE, reinterpret_cast<const char*>(&one), sizeof(one));
  }
  ~WindowsTcpConnection() override { closesocket(socket_); }
  WindowsTcpConnection(const WindowsTcpConnection&) = delete;
  WindowsTcpConnection& operator=(const WindowsTcpConnection&) = delete;

  Result<std::size_t> Read(char* buffer, std::size_t capacity,
                           std::chrono::milliseconds timeout) override {
    WSAPOLLFD pfd{socket_, POLLRDNORM, 0};
    const int ready = WSAPoll(&pfd, 1, static_cast<INT>(timeout.count()));
    if (ready == SOCKET_ERROR) return Status::Unavailable(peer_ + ": " + SocketErrorText());
    if (ready == 0) return std::size_t{0};
    const int got = recv(socket_, buffer, static_cast<int>(capacity), 0);
    if (got > 0) return static_cast<std::size_t>(got);
    if (got == 0) return Status::Unavailable(peer_ + ": connection closed");
    const int code = WSAGetLastError();
    if (WouldBlock(code)) return std::size_t{0};
    return Status::Unavailable(peer_ + ": " + SocketErrorText(code));
  }

  Status Write(std::string_view data, const std::atomic<bool>& cancel) override {
    while (!data.empty()) {
      if (cancel.load()) return Status::Unavailable(peer_ + ": cancelled");
      const int chunk = static_cast<int>(std::min<std::size_t>(data.size(), 1u << 20));
      const int put = send(socket_, data.data(), chunk, 0);
      if (put > 0) {
        data.remove_prefix(static_cast<std::size_t>(put));
        continue;
      }
      const int code = WSAGetLastError();
      if (put == SOCKET_ERROR && !WouldBlock(code)) {
        return Status::Unavailable(peer_ + ": " + SocketErrorText(code));
      }
      WSAPOLLFD pfd{socket_, POLLWRNORM, 0};
      if (WSAPoll(&pfd, 1, kPollSliceMs) == SOCKET_ERROR) {
        return Status::Unavailable(peer_ + ": " + SocketErrorText());
      }
    }
    return Status::Ok();
  }

  std::string Describe() const override { return "tcp " + peer_; }

  void ShutdownWrite() override { shutdown(socket_, SD_SEND); }

  void Reset() override {
    linger hard{1, 0};
    setsockopt(socket_, SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&hard), sizeof(hard));
    shutdown(socket_, SD_BOTH);
  }

 private:
  SOCKET socket_;
  std::string peer_;
};

std::string PeerName(const sockaddr* address) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
    port = ntohs(v4->sin_port);
  } else if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
    port = ntohs(v6->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

class WindowsTcpListener final : public TcpListener {
 public:
  WindowsTcpListener(SOCKET socket, int port) : socket_(socket), port_(port) {}
  ~WindowsTcpListener() override { closesocket(socket_); }
  WindowsTcpListener(const WindowsTcpListener&) = delete;
  WindowsTcpListener& operator=(const WindowsTcpListener&) = delete;

  Result<std::unique_ptr<TcpConnection>> Accept(std::chrono::milliseconds timeout) override {
    WSAPOLLFD pfd{socket_, POLLRDNORM, 0};
    const int ready = WSAPoll(&pfd, 1, static_cast<INT>(timeout.count()));
    if (ready <= 0) return std::unique_ptr<TcpConnection>();
    sockaddr_storage peer{};
    int length = sizeof(peer);
    const SOCKET accepted = accept(socket_, reinterpret_cast<sockaddr*>(&peer), &length);
    if (accepted == INVALID_SOCKET) {
      const int code = WSAGetLastError();
      if (WouldBlock(code) || code == WSAECONNRESET) return std::unique_ptr<TcpConnection>();
      return Status::Unavailable("accept on port " + std::to_string(port_) + ": " +
                                 SocketErrorText(code));
    }
    return std::unique_ptr<TcpConnection>(std::make_unique<WindowsTcpConnection>(
        accepted, PeerName(reinterpret_cast<sockaddr*>(&peer))));
  }

  int port() const override { return port_; }

 private:
  SOCKET socket_;
  int port_;
};

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};

Result<std::unique_ptr<addrinfo, AddrInfoDeleter>> Resolve(const std::string& host, int port,
                                                           bool passive) {
  TB_RETURN_IF_ERROR(StartWinsock());
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int rc =
      getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0) {
    return Status::Unavailable("cannot resolve '" + host + "': " + SocketErrorText(rc));
  }
  return std::unique_ptr<addrinfo, AddrInfoDeleter>(found);
}

}  // namespace

Result<std::unique_ptr<TcpListener>> ListenTcp(const std::string& address, int port) {
  auto resolved = Resolve(address, port, true);
  if (!resolved.ok()) return resolved.status();
  std::string last_error = "no address";
  for (addrinfo* ai = resolved->get(); ai != nullptr; ai = ai->ai_next) {
    const SOCKET socket = ::socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (socket == INVALID_SOCKET) {
      last_error = SocketErrorText();
      continue;
    }
    // Windows lets SO_REUSEADDR steal a port another program listens on;
    // exclusive use is the safe equivalent of the POSIX option here.
    BOOL one = TRUE;
    setsockopt(socket, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<const char*>(&one),
               sizeof(one));
    if (bind(socket, ai->ai_addr, static_cast<int>(ai->ai_addrlen)) != 0 ||
        listen(socket, 16) != 0) {
      last_error = SocketErrorText();
      closesocket(socket);
      continue;
    }
    SetNonBlocking(socket);
    sockaddr_storage bound{};
    int length = sizeof(bound);
    getsockname(socket, reinterpret_cast<sockaddr*>(&bound), &length);
    const int bound_port = bound.ss_family == AF_INET6
                               ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                               : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    return std::unique_ptr<TcpListener>(std::make_unique<WindowsTcpListener>(socket, bound_port));
  }
  return Status::Unavailable("cannot listen on " + address + ":" + std::to_string(port) + ": " +
                             last_error);
}

Result<std::unique_ptr<TcpConnection>> ConnectTcp(const std::string& host, int port,
                                                  std::chrono::milliseconds timeout) {
  auto resolved = Resolve(host, port, false);
  if (!resolved.ok()) return resolved.status();
  const std::string target = host + ":" + std::to_string(port);
  std::string last_error = "no address";
  for (addrinfo* ai = resolved->get(); ai != nullptr; ai = ai->ai_next) {
    const SOCKET socket = ::socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (socket == INVALID_SOCKET) {
      last_error = SocketErrorText();
      continue;
    }
    SetNonBlocking(socket);
    int rc = connect(socket, ai->ai_addr, static_cast<int>(ai->ai_addrlen));
    int code = rc == 0 ? 0 : WSAGetLastError();
    if (rc != 0 && code == WSAEWOULDBLOCK) {
      WSAPOLLFD pfd{socket, POLLWRNORM, 0};
      rc = WSAPoll(&pfd, 1, static_cast<INT>(timeout.count()));
      if (rc == 0) {
        last_error = "timed out after " + std::to_string(timeout.count()) + " ms";
        closesocket(socket);
        continue;
      }
      int error = 0;
      int length = sizeof(error);
      getsockopt(socket, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&error), &length);
      code = error;
      rc = error == 0 ? 0 : -1;
    }
    if (rc != 0) {
      last_error = SocketErrorText(code);
      closesocket(socket);
      continue;
    }
    return std::unique_ptr<TcpConnection>(std::make_unique<WindowsTcpConnection>(socket, target));
  }
  return Status::Unavailable("printer " + target + " unreachable: " + last_error);
}

}  // namespace tillbridge::drivers
