#include "agent/api/login_throttle.h"

#include <algorithm>

namespace tillbridge::agent {

LoginThrottle::LoginThrottle(std::size_t max_failures, std::chrono::milliseconds window,
                             std::size_t max_clients)
    : max_failures_(max_failures), window_(window), max_clients_(max_clients) {}

void LoginThrottle::Expire(std::deque<UnixMillis>& failures, UnixMillis now) const {
  while (!failures.empty() && failures.front() <= now - window_.count()) failures.pop_front();
}

std::int64_t LoginThrottle::RetryAfter(const std::string& client, UnixMillis now) {
  std::lock_guard lock(mutex_);
  auto it = failures_.find(client);
  if (it == failures_.end()) return 0;
  Expire(it->second, now);
  if (it->second.size() < max_failures_) return 0;
  return it->second.front() + window_.count() - now;
}

void LoginThrottle::RecordFailure(const std::string& client, UnixMillis now) {
  std::lock_guard lock(mutex_);
  if (!failures_.count(client) && failures_.size() >= max_clients_) {
    // Forget the client that failed longest ago, so the table stays small
    // whoever knocks.
    auto oldest =
        std::min_element(failures_.begin(), failures_.end(), [](const auto& a, const auto& b) {
          const UnixMillis last_a = a.second.empty() ? 0 : a.second.back();
          const UnixMillis last_b = b.second.empty() ? 0 : b.second.back();
          return last_a < last_b;
        });
    failures_.erase(oldest);
  }
  auto& failures = failures_[client];
  Expire(failures, now);
  failures.push_back(now);
  while (failures.size() > max_failures_) failures.pop_front();
}

void LoginThrottle::Clear(const std::string& client) {
  std::lock_guard lock(mutex_);
  failures_.erase(client);
}

}  // namespace tillbridge::agent
