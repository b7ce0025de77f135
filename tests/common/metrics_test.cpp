#include "common/metrics.h"

#include <doctest/doctest.h>

namespace tillbridge {

TEST_CASE("metrics render in Prometheus text format") {
  MetricsRegistry registry;
  registry.GetCounter("tb_events_total{result=\"accepted\"}", "Events pushed").Increment(3);
  registry.GetCounter("tb_events_total{result=\"rejected\"}", "Events pushed").Increment();
  registry.GetGauge("tb_online", "1 when the cloud answers").Set(1);
  registry.SetCallback("tb_depth", "Outbox depth", [] { return std::int64_t{7}; });
  const std::string text = registry.RenderPrometheus();
  CHECK(text.find("# TYPE tb_events_total counter\n") != std::string::npos);
  CHECK(text.find("tb_events_total{result=\"accepted\"} 3\n") != std::string::npos);
  CHECK(text.find("tb_events_total{result=\"rejected\"} 1\n") != std::string::npos);
  CHECK(text.find("tb_online 1\n") != std::string::npos);
  CHECK(text.find("tb_depth 7\n") != std::string::npos);
  // HELP/TYPE appear once per metric family.
  CHECK(text.find("# HELP tb_events_total") == text.rfind("# HELP tb_events_total"));
}

}  // namespace tillbridge
