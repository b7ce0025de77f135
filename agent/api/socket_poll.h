// Waiting on many sockets at once, so that one thread can serve every
// connection of the local API however slow its clients are. One
// implementation per platform (socket_poll_posix.cpp: poll;
// socket_poll_windows.cpp: WSAPoll), chosen by the build.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "common/status.h"

namespace tillbridge::agent {

// The operating system's handle of a socket (Poco: socket.impl()->sockfd()).
using SocketHandle = std::uintptr_t;

// One socket to watch. The caller sets `handle` and what it wants; the
// result fields are filled in by PollSockets.
struct SocketPollEntry {
  SocketHandle handle = 0;
  bool want_read = false;   // data, a connection to accept, or the end of the stream
  bool want_write = false;  // room in the send buffer
  bool readable = false;
  bool writable = false;
  // An error or a hang-up: the next read or write on the socket says which.
  // Reported whatever the entry wanted.
  bool failed = false;
};

// Waits until at least one entry is ready or `timeout` has passed (a
// negative timeout waits without limit), then fills in the result fields of
// every entry. Returns the number of ready entries, 0 after a timeout. A wait
// interrupted by a signal returns 0 early. Unavailable when the system
// refuses the wait (names the reason). Thread-safe for distinct vectors.
Result<int> PollSockets(std::vector<SocketPollEntry>& entries, std::chrono::milliseconds timeout);

}  // namespace tillbridge::agent
