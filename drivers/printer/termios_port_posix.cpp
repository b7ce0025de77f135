#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "drivers/printer/byte_port.h"

namespace tillbridge::drivers {
namespace {

constexpr int kPollSliceMs = 100;

Result<speed_t> BaudConstant(int baud) {
  switch (baud) {
    case 1200:
      return B1200;
    case 2400:
      return B2400;
    case 4800:
      return B4800;
    case 9600:
      return B9600;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    case 115200:
      return B115200;
    case 230400:
      return B230400;
#ifdef B460800
    case 460800:
      return B460800;
#endif
#ifdef B921600
    case 921600:
      return B921600;
#endif
    default:
      return Status::InvalidArgument("baud rate " + std::to_string(baud) +
                                     " is not supported by the termios driver");
  }
}

std::string Errno(const std::string& path) { return path + ": " + std::strerror(errno); }

// A tty opened with termios: raw mode, settings from SerialSettings.
class TermiosPort final : public BytePort {
 public:
  TermiosPort(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~TermiosPort() override { ::close(fd_); }
  TermiosPort(const TermiosPort&) = delete;
  TermiosPort& operator=(const TermiosPort&) = delete;

  Result<std::size_t> Read(char* buffer, std::size_t capacity,
                           std::chrono::milliseconds timeout) override {
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    if (ready < 0) {
      if (errno == EINTR) return std::size_t{0};
      return Status::Unavailable(Errno(path_));
    }
    if (ready == 0) return std::size_t{0};
    const ssize_t got = ::read(fd_, buffer, capacity);
    if (got > 0) return static_cast<std::size_t>(got);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return std::size_t{0};
    // A pty whose other end closed reports EIO or POLLHUP; a removed USB
    // adapter reports EIO. Both mean the device is gone.
    if (got == 0 || (pfd.revents & POLLHUP)) return Status::Unavailable(path_ + ": hung up");
    return Status::Unavailable(Errno(path_));
  }

  Status Write(std::string_view data, const std::atomic<bool>& cancel) override {
    while (!data.empty()) {
      if (cancel.load()) return Status::Unavailable(path_ + ": cancelled");
      const ssize_t put = ::write(fd_, data.data(), data.size());
      if (put > 0) {
        data.remove_prefix(static_cast<std::size_t>(put));
        continue;
      }
      if (put < 0 && errno != EAGAIN && errno != EINTR) return Status::Unavailable(Errno(path_));
      // Flow control or a full buffer: wait until the device drains.
      pollfd pfd{fd_, POLLOUT, 0};
      if (::poll(&pfd, 1, kPollSliceMs) < 0 && errno != EINTR) {
        return Status::Unavailable(Errno(path_));
      }
      if (pfd.revents & (POLLERR | POLLHUP)) return Status::Unavailable(path_ + ": hung up");
    }
    return Status::Ok();
  }

  std::string Describe() const override { return "serial " + path_ + " (termios)"; }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

Result<std::unique_ptr<BytePort>> OpenTermiosPort(const SerialSettings& settings) {
  auto speed = BaudConstant(settings.baud);
  if (!speed.ok()) return speed.status();
  const int fd = ::open(settings.path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return Status::Unavailable(Errno(settings.path));
  }
  auto port = std::make_unique<TermiosPort>(fd, settings.path);
  if (!::isatty(fd)) return Status::InvalidArgument(settings.path + ": not a terminal device");
  termios tio{};
  if (::tcgetattr(fd, &tio) != 0) return Status::Unavailable(Errno(settings.path));
  ::cfmakeraw(&tio);
  ::cfsetispeed(&tio, *speed);
  ::cfsetospeed(&tio, *speed);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
  switch (settings.data_bits) {
    case 5:
      tio.c_cflag |= CS5;
      break;
    case 6:
      tio.c_cflag |= CS6;
      break;
    case 7:
      tio.c_cflag |= CS7;
      break;
    default:
      tio.c_cflag |= CS8;
      break;
  }
  if (settings.stop_bits == 2) tio.c_cflag |= CSTOPB;
  switch (settings.parity) {
    case Parity::kNone:
      break;
    case Parity::kOdd:
      tio.c_cflag |= PARENB | PARODD;
      break;
    case Parity::kEven:
      tio.c_cflag |= PARENB;
      break;
#ifdef CMSPAR
    case Parity::kMark:
      tio.c_cflag |= PARENB | PARODD | CMSPAR;
      break;
    case Parity::kSpace:
      tio.c_cflag |= PARENB | CMSPAR;
      break;
#else
    case Parity::kMark:
    case Parity::kSpace:
      return Status::InvalidArgument(settings.path + ": mark/space parity is not supported here");
#endif
  }
  tio.c_iflag &= ~static_cast<tcflag_t>(IXON | IXOFF | IXANY);
  switch (settings.flow_control) {
    case FlowControl::kNone:
      break;
    case FlowControl::kRtsCts:
      tio.c_cflag |= CRTSCTS;
      break;
    case FlowControl::kXonXoff:
      tio.c_iflag |= settings.facing_printer ? IXON : IXOFF;
      break;
    case FlowControl::kDtrDsr:
      return Status::InvalidArgument(settings.path +
                                     ": DTR/DSR flow control needs the libserialport driver");
  }
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  if (::tcsetattr(fd, TCSANOW, &tio) != 0) return Status::Unavailable(Errno(settings.path));
  return std::unique_ptr<BytePort>(std::move(port));
}

}  // namespace tillbridge::drivers
