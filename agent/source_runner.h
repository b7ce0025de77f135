// Runs one TransactionSource on its own thread: polls it, hands each batch to
// the store together with its cursor, and reconnects with capped, jittered
// backoff when the source is unavailable.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "drivers/transaction_source.h"
#include "store/store.h"

namespace tillbridge::agent {

struct SourceRunnerOptions {
  std::chrono::milliseconds poll_wait{250};  // bounds how long Stop() waits
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30'000};
};

// What `status` shows for a running source.
struct SourceRunnerState {
  std::string name;
  bool connected = false;
  std::string last_error;
  std::int64_t batches = 0;
  std::int64_t records = 0;
};

// Owns the thread; the source and store must outlive it. Thread-safe.
class SourceRunner {
 public:
  SourceRunner(std::unique_ptr<drivers::TransactionSource> source, store::Store& store,
               SourceRunnerOptions options = {});
  ~SourceRunner();  // stops
  SourceRunner(const SourceRunner&) = delete;
  SourceRunner& operator=(const SourceRunner&) = delete;

  void Start();
  // Returns after the current Poll or store transaction finishes.
  void Stop();
  SourceRunnerState State() const;

 private:
  void Loop();
  // Waits `delay` unless stopped first; returns false when stopping.
  bool Sleep(std::chrono::milliseconds delay);
  void SetError(const std::string& error);
  void SetHealthy();
  // Stores the source's facts for `status` when they changed (at most once
  // a second).
  void PublishFacts();

  std::unique_ptr<drivers::TransactionSource> source_;
  store::Store& store_;
  SourceRunnerOptions options_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  SourceRunnerState state_;                                     // guarded by mutex_
  std::chrono::steady_clock::time_point facts_published_at_{};  // loop thread only
  std::string facts_published_;                                 // loop thread only
};

}  // namespace tillbridge::agent
