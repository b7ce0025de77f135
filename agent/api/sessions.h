// Page sign-ins (the cashier page's and the manager page's): sessions behind
// an HttpOnly cookie, each with its own CSRF token and role, and the
// launch-link nonces already used. Both are kept in the store, so a restart
// neither signs anyone out nor lets a used launch link in again.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "common/clock.h"
#include "store/store.h"

namespace tillbridge::agent {

struct Session {
  std::string id;    // the cookie value (random, 32 bytes hex); only its hash is stored
  std::string csrf;  // sent back by the page in X-CSRF-Token
  UnixMillis expires_at = 0;
  std::string role = "cashier";  // "cashier" or "manager"
};

inline constexpr const char* kCashierRole = "cashier";
inline constexpr const char* kManagerRole = "manager";

// Thread-safe. `store` must outlive it. A store that cannot be written (a
// full disk) fails closed: no new session, no launch link accepted.
class SessionRegistry {
 public:
  SessionRegistry(store::Store& store, const Clock& clock, std::chrono::milliseconds ttl,
                  std::size_t max_sessions = 256);

  // A new session of `role`; the one of that role expiring first is dropped
  // when max_sessions of it are live. Unavailable when the store cannot
  // keep it.
  Result<Session> Create(const std::string& role = kCashierRole);
  // The live session with `id`, or nullopt (unknown, expired, or the store
  // cannot be read).
  std::optional<Session> Find(const std::string& id);
  void Revoke(const std::string& id);

  // Marks a launch-link nonce used until `expires_at`; false when it was
  // already used (the link is one-time) or cannot be recorded.
  bool UseNonce(const std::string& nonce, UnixMillis expires_at);

 private:
  store::Store& store_;
  const Clock& clock_;
  const std::chrono::milliseconds ttl_;
  const std::size_t max_sessions_;
};

}  // namespace tillbridge::agent
