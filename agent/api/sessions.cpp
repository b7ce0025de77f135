#include "agent/api/sessions.h"

#include "common/digest.h"

namespace tillbridge::agent {

SessionRegistry::SessionRegistry(const Clock& clock, std::chrono::milliseconds ttl,
                                 std::size_t max_sessions)
    : clock_(clock), ttl_(ttl), max_sessions_(max_sessions) {}

void SessionRegistry::PurgeLocked(UnixMillis now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = it->second.expires_at <= now ? sessions_.erase(it) : std::next(it);
  }
  for (auto it = used_nonces_.begin(); it != used_nonces_.end();) {
    it = it->second <= now ? used_nonces_.erase(it) : std::next(it);
  }
}

Session SessionRegistry::Create() {
  const UnixMillis now = clock_.NowMillis();
  Session session{RandomHex(32), RandomHex(32), now + ttl_.count()};
  std::lock_guard lock(mutex_);
  PurgeLocked(now);
  while (sessions_.size() >= max_sessions_) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.expires_at < oldest->second.expires_at) oldest = it;
    }
    sessions_.erase(oldest);
  }
  sessions_[session.id] = session;
  return session;
}

std::optional<Session> SessionRegistry::Find(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires_at <= clock_.NowMillis()) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void SessionRegistry::Revoke(const std::string& id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(id);
}

bool SessionRegistry::UseNonce(const std::string& nonce, UnixMillis expires_at) {
  std::lock_guard lock(mutex_);
  PurgeLocked(clock_.NowMillis());
  return used_nonces_.emplace(nonce, expires_at).second;
}

}  // namespace tillbridge::agent
