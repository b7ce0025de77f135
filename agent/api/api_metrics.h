// Request counters and a latency histogram for the local API. Counters go
// to MetricsRegistry::Global(); the histogram is rendered beside it by
// GET /metrics because the registry has no histogram type.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace tillbridge::agent {

// Thread-safe; recording is a few relaxed atomic adds plus one registry
// lookup.
class ApiMetrics {
 public:
  ApiMetrics();

  // One finished request: `route` is the route template (never the raw
  // path, which may hold a phone number).
  void Record(std::string_view method, std::string_view route, int status,
              std::chrono::nanoseconds elapsed);

  // The histogram in Prometheus text format.
  std::string RenderHistogram() const;

 private:
  static constexpr std::array<double, 11> kBucketsSeconds = {
      0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0};
  std::array<std::atomic<std::int64_t>, kBucketsSeconds.size()> buckets_{};
  std::atomic<std::int64_t> count_{0};
  std::atomic<std::int64_t> sum_nanos_{0};
};

}  // namespace tillbridge::agent
