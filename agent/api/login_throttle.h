// Limits password guessing on the manager page's sign-in: after
// `max_failures` wrong passwords from one client within `window`, that
// client is refused until the oldest of them leaves the window.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "common/clock.h"

namespace tillbridge::agent {

// Thread-safe. Keeps at most `max_clients` clients; past that the one
// whose last failure is oldest is forgotten.
class LoginThrottle {
 public:
  LoginThrottle(std::size_t max_failures, std::chrono::milliseconds window,
                std::size_t max_clients = 1024);

  // 0 when `client` may try now; else how many milliseconds it must wait.
  std::int64_t RetryAfter(const std::string& client, UnixMillis now);
  // Records a wrong password from `client` at `now`.
  void RecordFailure(const std::string& client, UnixMillis now);
  // Forgets `client`'s failures (after a right password).
  void Clear(const std::string& client);

 private:
  void Expire(std::deque<UnixMillis>& failures, UnixMillis now) const;

  const std::size_t max_failures_;
  const std::chrono::milliseconds window_;
  const std::size_t max_clients_;
  std::mutex mutex_;
  std::map<std::string, std::deque<UnixMillis>> failures_;  // guarded by mutex_
};

}  // namespace tillbridge::agent
