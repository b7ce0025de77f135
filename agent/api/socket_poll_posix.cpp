#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#include "agent/api/socket_poll.h"

namespace tillbridge::agent {

Result<int> PollSockets(std::vector<SocketPollEntry>& entries, std::chrono::milliseconds timeout) {
  std::vector<pollfd> fds(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    fds[i].fd = static_cast<int>(entries[i].handle);
    fds[i].events = static_cast<short>((entries[i].want_read ? POLLIN : 0) |
                                       (entries[i].want_write ? POLLOUT : 0));
    fds[i].revents = 0;
  }
  const int wait_ms =
      timeout.count() < 0 ? -1 : static_cast<int>(std::min<std::int64_t>(timeout.count(), INT_MAX));
  const int ready = ::poll(fds.data(), static_cast<nfds_t>(fds.size()), wait_ms);
  if (ready < 0) {
    if (errno == EINTR) return 0;
    return Status::Unavailable(std::string("waiting for sockets: ") + std::strerror(errno));
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const short events = fds[i].revents;
    entries[i].readable = (events & POLLIN) != 0;
    entries[i].writable = (events & POLLOUT) != 0;
    entries[i].failed = (events & (POLLERR | POLLHUP | POLLNVAL)) != 0;
  }
  return ready;
}

}  // namespace tillbridge::agent
