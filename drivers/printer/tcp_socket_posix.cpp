#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "drivers/printer/tcp_socket.h"

namespace tillbridge::drivers {
namespace {

constexpr int kPollSliceMs = 100;

std::string ErrnoText() { return std::strerror(errno); }

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

class PosixTcpConnection final : public TcpConnection {
 public:
  PosixTcpConnection(int fd, std::string peer) : fd_(fd), peer_(std::move(peer)) {
    SetNonBlocking(fd_);
    // Receipts are written in small chunks; Nagle would add latency to each.
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ::setsockopt(fd_, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
  }
  ~PosixTcpConnection() override { ::close(fd_); }
  PosixTcpConnection(const PosixTcpConnection&) = delete;
  PosixTcpConnection& operator=(const PosixTcpConnection&) = delete;

  Result<std::size_t> Read(char* buffer, std::size_t capacity,
                           std::chrono::milliseconds timeout) override {
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    if (ready < 0) {
      if (errno == EINTR) return std::size_t{0};
      return Status::Unavailable(peer_ + ": " + ErrnoText());
    }
    if (ready == 0) return std::size_t{0};
    const ssize_t got = ::recv(fd_, buffer, capacity, 0);
    if (got > 0) return static_cast<std::size_t>(got);
    if (got == 0) return Status::Unavailable(peer_ + ": connection closed");
    if (errno == EAGAIN || errno == EINTR) return std::size_t{0};
    return Status::Unavailable(peer_ + ": " + ErrnoText());
  }

  Status Write(std::string_view data, const std::atomic<bool>& cancel) override {
    while (!data.empty()) {
      if (cancel.load()) return Status::Unavailable(peer_ + ": cancelled");
      const ssize_t put = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (put > 0) {
        data.remove_prefix(static_cast<std::size_t>(put));
        continue;
      }
      if (put < 0 && errno != EAGAIN && errno != EINTR) {
        return Status::Unavailable(peer_ + ": " + ErrnoText());
      }
      pollfd pfd{fd_, POLLOUT, 0};
      if (::poll(&pfd, 1, kPollSliceMs) < 0 && errno != EINTR) {
        return Status::Unavailable(peer_ + ": " + ErrnoText());
      }
    }
    return Status::Ok();
  }

  std::string Describe() const override { return "tcp " + peer_; }

  void ShutdownWrite() override { ::shutdown(fd_, SHUT_WR); }

  void Reset() override {
    linger hard{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    ::shutdown(fd_, SHUT_RDWR);
  }

 private:
  int fd_;
  std::string peer_;
};

std::string PeerName(const sockaddr* address) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    ::inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
    port = ntohs(v4->sin_port);
  } else if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
    port = ntohs(v6->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

class PosixTcpListener final : public TcpListener {
 public:
  PosixTcpListener(int fd, int port) : fd_(fd), port_(port) {}
  ~PosixTcpListener() override { ::close(fd_); }
  PosixTcpListener(const PosixTcpListener&) = delete;
  PosixTcpListener& operator=(const PosixTcpListener&) = delete;

  Result<std::unique_ptr<TcpConnection>> Accept(std::chrono::milliseconds timeout) override {
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    if (ready <= 0) return std::unique_ptr<TcpConnection>();
    sockaddr_storage peer{};
    socklen_t length = sizeof(peer);
    const int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) {
        return std::unique_ptr<TcpConnection>();
      }
      return Status::Unavailable("accept on port " + std::to_string(port_) + ": " + ErrnoText());
    }
    return std::unique_ptr<TcpConnection>(
        std::make_unique<PosixTcpConnection>(fd, PeerName(reinterpret_cast<sockaddr*>(&peer))));
  }

  int port() const override { return port_; }

 private:
  int fd_;
  int port_;
};

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { ::freeaddrinfo(info); }
};

Result<std::unique_ptr<addrinfo, AddrInfoDeleter>> Resolve(const std::string& host, int port,
                                                           bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int rc =
      ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0) {
    return Status::Unavailable("cannot resolve '" + host + "': " + ::gai_strerror(rc));
  }
  return std::unique_ptr<addrinfo, AddrInfoDeleter>(found);
}

}  // namespace

Result<std::unique_ptr<TcpListener>> ListenTcp(const std::string& address, int port) {
  auto resolved = Resolve(address, port, true);
  if (!resolved.ok()) return resolved.status();
  std::string last_error = "no address";
  for (addrinfo* ai = resolved->get(); ai != nullptr; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = ErrnoText();
      continue;
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 16) != 0) {
      last_error = ErrnoText();
      ::close(fd);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof(bound);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
    const int bound_port = bound.ss_family == AF_INET6
                               ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                               : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    return std::unique_ptr<TcpListener>(std::make_unique<PosixTcpListener>(fd, bound_port));
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
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = ErrnoText();
      continue;
    }
    SetNonBlocking(fd);
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd pfd{fd, POLLOUT, 0};
      rc = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
      if (rc == 0) {
        last_error = "timed out after " + std::to_string(timeout.count()) + " ms";
        ::close(fd);
        continue;
      }
      int error = 0;
      socklen_t length = sizeof(error);
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
      rc = error == 0 ? 0 : -1;
      errno = error;
    }
    if (rc != 0) {
      last_error = ErrnoText();
      ::close(fd);
      continue;
    }
    return std::unique_ptr<TcpConnection>(std::make_unique<PosixTcpConnection>(fd, target));
  }
  return Status::Unavailable("printer " + target + " unreachable: " + last_error);
}

}  // namespace tillbridge::drivers
