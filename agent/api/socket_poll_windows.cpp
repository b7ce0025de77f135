// Winsock counterpart of socket_poll_posix.cpp. Winsock is started by Poco,
// which creates every socket passed here.
#include <winsock2.h>

#include <algorithm>
#include <climits>
#include <string>

#include "agent/api/socket_poll.h"
#include "common/platform/windows_text.h"

namespace tillbridge::agent {

Result<int> PollSockets(std::vector<SocketPollEntry>& entries, std::chrono::milliseconds timeout) {
  std::vector<WSAPOLLFD> fds(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    fds[i].fd = static_cast<SOCKET>(entries[i].handle);
    fds[i].events = static_cast<SHORT>((entries[i].want_read ? POLLRDNORM : 0) |
                                       (entries[i].want_write ? POLLWRNORM : 0));
    fds[i].revents = 0;
  }
  const INT wait_ms =
      timeout.count() < 0 ? -1 : static_cast<INT>(std::min<std::int64_t>(timeout.count(), INT_MAX));
  const int ready = WSAPoll(fds.data(), static_cast<ULONG>(fds.size()), wait_ms);
  if (ready == SOCKET_ERROR) {
    const int code = WSAGetLastError();
    if (code == WSAEINTR) return 0;
    return Status::Unavailable("waiting for sockets: " +
                               platform::WindowsErrorText(static_cast<unsigned long>(code)));
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const SHORT events = fds[i].revents;
    entries[i].readable = (events & POLLRDNORM) != 0;
    entries[i].writable = (events & POLLWRNORM) != 0;
    entries[i].failed = (events & (POLLERR | POLLHUP | POLLNVAL)) != 0;
  }
  return ready;
}

}  // namespace tillbridge::agent
