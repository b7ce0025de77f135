#include "agent/api/api_metrics.h"

#include <cstdio>

#include "common/metrics.h"

namespace tillbridge::agent {

ApiMetrics::ApiMetrics() {
  for (auto& bucket : buckets_) bucket.store(0, std::memory_order_relaxed);
}

void ApiMetrics::Record(std::string_view method, std::string_view route, int status,
                        std::chrono::nanoseconds elapsed) {
  // The method comes from the client: only known ones become label values,
  // so a stray token can neither break the text format nor add series.
  static constexpr std::string_view kMethods[] = {"GET",    "POST", "PUT",    "PATCH",
                                                  "DELETE", "HEAD", "OPTIONS"};
  std::string_view label = "other";
  for (const auto known : kMethods) {
    if (method == known) label = known;
  }
  MetricsRegistry::Global()
      .GetCounter("tillbridge_api_requests_total{method=\"" + std::string(label) + "\",route=\"" +
                      std::string(route) + "\",code=\"" + std::to_string(status) + "\"}",
                  "Local API requests by method, route template and status code")
      .Increment();
  // Count first so a concurrent render never shows a bucket above +Inf.
  count_.fetch_add(1, std::memory_order_relaxed);
  const double seconds = std::chrono::duration<double>(elapsed).count();
  for (std::size_t i = 0; i < kBucketsSeconds.size(); ++i) {
    if (seconds <= kBucketsSeconds[i]) buckets_[i].fetch_add(1, std::memory_order_relaxed);
  }
  sum_nanos_.fetch_add(elapsed.count(), std::memory_order_relaxed);
}

std::string ApiMetrics::RenderHistogram() const {
  constexpr const char* kName = "tillbridge_api_request_duration_seconds";
  std::string out = std::string("# HELP ") + kName +
                    " Time from a request's arrival to its response being written\n# TYPE " +
                    kName + " histogram\n";
  char number[64];
  for (std::size_t i = 0; i < kBucketsSeconds.size(); ++i) {
    std::snprintf(number, sizeof(number), "%g", kBucketsSeconds[i]);
    out += std::string(kName) + "_bucket{le=\"" + number + "\"} " +
           std::to_string(buckets_[i].load(std::memory_order_relaxed)) + "\n";
  }
  const std::int64_t count = count_.load(std::memory_order_relaxed);
  out += std::string(kName) + "_bucket{le=\"+Inf\"} " + std::to_string(count) + "\n";
  std::snprintf(number, sizeof(number), "%.6f",
                static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9);
  out += std::string(kName) + "_sum " + number + "\n";
  out += std::string(kName) + "_count " + std::to_string(count) + "\n";
  return out;
}

}  // namespace tillbridge::agent
