#include "agent/api/sessions.h"

#include "common/digest.h"
#include "common/log.h"
#include "store/web_sessions.h"

namespace tillbridge::agent {

SessionRegistry::SessionRegistry(store::Store& store, const Clock& clock,
                                 std::chrono::milliseconds ttl, std::size_t max_sessions)
    : store_(store), clock_(clock), ttl_(ttl), max_sessions_(max_sessions) {}

Result<Session> SessionRegistry::Create(const std::string& role) {
  const UnixMillis now = clock_.NowMillis();
  Session session{RandomHex(32), RandomHex(32), now + ttl_.count(), role};
  Status saved = store_.web_sessions().Add(
      store::WebSession{Sha256Hex(session.id), session.csrf, session.expires_at, role}, now,
      max_sessions_);
  if (!saved.ok()) {
    LogError("api", "cannot keep a " + role + " page session: " + saved.message());
    return Status::Unavailable("cannot keep the session: " + saved.message());
  }
  return session;
}

std::optional<Session> SessionRegistry::Find(const std::string& id) {
  auto found = store_.web_sessions().Find(Sha256Hex(id), clock_.NowMillis());
  if (!found.ok() || !*found) return std::nullopt;
  return Session{id, (*found)->csrf, (*found)->expires_at, (*found)->role};
}

void SessionRegistry::Revoke(const std::string& id) {
  Status revoked = store_.web_sessions().Revoke(Sha256Hex(id));
  if (!revoked.ok()) LogWarning("api", "cannot sign a session out: " + revoked.message());
}

bool SessionRegistry::UseNonce(const std::string& nonce, UnixMillis expires_at) {
  auto first = store_.web_sessions().UseLaunchNonce(nonce, expires_at, clock_.NowMillis());
  if (!first.ok()) {
    LogError("api", "cannot record a used launch link: " + first.status().message());
    return false;
  }
  return *first;
}

}  // namespace tillbridge::agent
