// Web page sign-ins kept in the store (the cashier page's and the manager
// page's), so an agent restart neither signs anyone out nor lets a used
// one-time launch link sign in again. Session ids are stored only as their
// SHA-256: a copy of the data folder does not hand out live cookies. The
// manager page's password is kept here too, as a salted PBKDF2 hash.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace tillbridge::store {

struct StoreCore;

// A signed-in page, as stored.
struct WebSession {
  std::string id_hash;  // SHA-256 hex of the cookie value
  std::string csrf;     // the page sends it back in X-CSRF-Token
  UnixMillis expires_at = 0;
  std::string role = "cashier";  // "cashier" or "manager": which page it opens
};

// Thread-safe (serialized through the store).
class WebSessions {
 public:
  explicit WebSessions(StoreCore& core) : core_(core) {}

  // Stores `session`, first dropping expired ones and, while `max_live` or
  // more of its role are live, the one of that role that expires first.
  Status Add(const WebSession& session, UnixMillis now, std::size_t max_live);
  // The live session whose id hashes to `id_hash`, or nullopt.
  Result<std::optional<WebSession>> Find(const std::string& id_hash, UnixMillis now);
  Status Revoke(const std::string& id_hash);
  // Marks a launch-link nonce used until `expires_at`. False when it was
  // used before (and has not expired): the link is one-time.
  Result<bool> UseLaunchNonce(const std::string& nonce, UnixMillis expires_at, UnixMillis now);

  // The manager page's password hash as stored by SetManagerPasswordHash,
  // or nullopt when none has been set.
  Result<std::optional<std::string>> ManagerPasswordHash();
  // Replaces the manager password hash and, in the same transaction, signs
  // every manager session out. The caller hashes (agent/api/manager_password.h).
  Status SetManagerPasswordHash(const std::string& encoded_hash);

 private:
  StoreCore& core_;
};

}  // namespace tillbridge::store
