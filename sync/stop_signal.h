// A stop flag that sleeping threads can wait on, and waits measured on an
// injected Clock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "common/clock.h"

namespace tillbridge::sync {

// Thread-safe.
class StopSignal {
 public:
  void Stop() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    changed_.notify_all();
  }
  bool stopped() const {
    std::lock_guard lock(mutex_);
    return stopped_;
  }
  // Waits up to `timeout` (real time); returns true when stopped.
  bool WaitFor(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return stopped_; });
    return stopped_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stopped_ = false;  // guarded by mutex_
};

// The longest real-time sleep between two readings of the clock, so that an
// injected clock that runs fast (tests, time-compressed outages) is noticed.
inline constexpr std::chrono::milliseconds kClockRecheck{250};

// Sleeps until `clock` reaches `deadline` or `stop` is set; true when stopped.
inline bool WaitUntil(const Clock& clock, UnixMillis deadline, StopSignal& stop) {
  for (;;) {
    const UnixMillis remaining = deadline - clock.NowMillis();
    if (remaining <= 0) return stop.stopped();
    if (stop.WaitFor(std::min(std::chrono::milliseconds(remaining), kClockRecheck))) return true;
  }
}

}  // namespace tillbridge::sync
