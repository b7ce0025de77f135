// Process-wide counters and gauges, rendered in the Prometheus text format
// by GET /metrics. Thread-safe; updating a metric is a relaxed atomic add.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace tillbridge {

// A monotonically increasing count.
class Counter {
 public:
  void Increment(std::int64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  std::int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(std::int64_t value) { value_.store(value, std::memory_order_relaxed); }
  void Add(std::int64_t by) { value_.fetch_add(by, std::memory_order_relaxed); }
  std::int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Owns metrics by name. Returned references stay valid for the registry's
// lifetime. Names follow Prometheus rules (tillbridge_outbox_depth); a name
// may carry labels: tillbridge_events_pushed_total{result="accepted"}.
class MetricsRegistry {
 public:
  Counter& GetCounter(const std::string& name, const std::string& help);
  Gauge& GetGauge(const std::string& name, const std::string& help);
  // A gauge computed when rendered (e.g. outbox depth read from the store).
  void SetCallback(const std::string& name, const std::string& help,
                   std::function<std::int64_t()> read);
  // Prometheus text exposition format 0.0.4.
  std::string RenderPrometheus() const;

  // The process-wide registry.
  static MetricsRegistry& Global();

 private:
  struct Entry {
    std::string help;
    std::string type;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::function<std::int64_t()> read;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;  // guarded by mutex_
};

}  // namespace tillbridge
