#include "tools/refcloud/faults.h"

namespace tillbridge::refcloud {
namespace {

// A request that arrives this much before its Retry-After time is still
// counted as on time: clocks and timers are not exact.
constexpr UnixMillis kEarlyGraceMs = 100;

}  // namespace

FaultInjector::FaultInjector(std::uint64_t seed, const Clock& clock)
    : clock_(clock), random_(seed) {}

FaultSettings FaultInjector::settings() const {
  std::lock_guard lock(mutex_);
  return settings_;
}

void FaultInjector::Set(FaultSettings settings) {
  std::lock_guard lock(mutex_);
  settings_ = std::move(settings);
}

bool FaultInjector::InOutageLocked(UnixMillis now) const {
  if (settings_.outage || now < settings_.outage_until) return true;
  for (const auto& [start, end] : settings_.windows) {
    if (now >= start && now < end) return true;
  }
  return false;
}

bool FaultInjector::InOutage() const {
  std::lock_guard lock(mutex_);
  return InOutageLocked(clock_.NowMillis());
}

FaultDecision FaultInjector::Decide() {
  std::lock_guard lock(mutex_);
  FaultDecision decision;
  if (InOutageLocked(clock_.NowMillis())) {
    decision.kind = FaultKind::kOutage;
    ++counts_["outage"];
    return decision;
  }
  if (settings_.latency_ms > 0 || settings_.latency_jitter_ms > 0) {
    std::uniform_int_distribution<int> jitter(0, std::max(0, settings_.latency_jitter_ms));
    decision.latency = std::chrono::milliseconds(settings_.latency_ms + jitter(random_));
  }
  std::uniform_real_distribution<double> roll(0.0, 1.0);
  double r = roll(random_);
  if (r < settings_.error_rate) {
    decision.kind = FaultKind::kError;
    ++counts_["error"];
    return decision;
  }
  r -= settings_.error_rate;
  if (r < settings_.throttle_rate) {
    decision.kind = FaultKind::kThrottle;
    ++counts_["throttle"];
    return decision;
  }
  r -= settings_.throttle_rate;
  if (r < settings_.drop_rate) {
    const bool after = roll(random_) < 0.5;
    decision.kind = after ? FaultKind::kDropAfter : FaultKind::kDropBefore;
    ++counts_[after ? "drop_after" : "drop_before"];
  }
  return decision;
}

void FaultInjector::NoteThrottled(const std::string& agent, UnixMillis until) {
  std::lock_guard lock(mutex_);
  throttled_until_[agent] = until;
}

std::int64_t FaultInjector::NoteRequest(const std::string& stream) {
  std::lock_guard lock(mutex_);
  auto it = throttled_until_.find(stream);
  if (it == throttled_until_.end()) return 0;
  const std::int64_t early = it->second - clock_.NowMillis();
  throttled_until_.erase(it);
  if (early <= kEarlyGraceMs) return 0;
  ++counts_["early_retries"];
  return early;
}

std::map<std::string, std::int64_t> FaultInjector::Counts() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::int64_t> counts = counts_;
  for (const char* kind :
       {"outage", "error", "throttle", "drop_before", "drop_after", "early_retries"}) {
    counts.emplace(kind, 0);
  }
  return counts;
}

}  // namespace tillbridge::refcloud
