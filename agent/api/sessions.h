// Cashier page sign-ins: in-memory sessions behind an HttpOnly cookie, each
// with its own CSRF token, and the launch-link nonces already used.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"

namespace tillbridge::agent {

struct Session {
  std::string id;    // the cookie value (random, 32 bytes hex)
  std::string csrf;  // sent back by the page in X-CSRF-Token
  UnixMillis expires_at = 0;
};

// Thread-safe. Sessions live only in memory: an agent restart signs the
// cashier page out, which a new launch link fixes.
class SessionRegistry {
 public:
  SessionRegistry(const Clock& clock, std::chrono::milliseconds ttl,
                  std::size_t max_sessions = 256);

  // A new session; the oldest is dropped when max_sessions are live.
  Session Create();
  // The live session with `id`, or nullopt (unknown or expired).
  std::optional<Session> Find(const std::string& id);
  void Revoke(const std::string& id);

  // Marks a launch-link nonce used until `expires_at`; false when it was
  // already used (the link is one-time).
  bool UseNonce(const std::string& nonce, UnixMillis expires_at);

 private:
  void PurgeLocked(UnixMillis now);

  const Clock& clock_;
  const std::chrono::milliseconds ttl_;
  const std::size_t max_sessions_;
  std::mutex mutex_;
  std::map<std::string, Session> sessions_;        // guarded by mutex_
  std::map<std::string, UnixMillis> used_nonces_;  // guarded by mutex_
};

}  // namespace tillbridge::agent
