#include "common/metrics.h"

#include <set>

namespace tillbridge {
namespace {

std::string BaseName(const std::string& name) { return name.substr(0, name.find('{')); }

}  // namespace

Counter& MetricsRegistry::GetCounter(const std::string& name, const std::string& help) {
  std::lock_guard lock(mutex_);
  Entry& entry = entries_[name];
  if (!entry.counter) {
    entry.counter = std::make_unique<Counter>();
    entry.help = help;
    entry.type = "counter";
  }
  return *entry.counter;
}

Gauge& MetricsRegistry::GetGauge(const std::string& name, const std::string& help) {
  std::lock_guard lock(mutex_);
  Entry& entry = entries_[name];
  if (!entry.gauge) {
    entry.gauge = std::make_unique<Gauge>();
    entry.help = help;
    entry.type = "gauge";
  }
  return *entry.gauge;
}

void MetricsRegistry::SetCallback(const std::string& name, const std::string& help,
                                  std::function<std::int64_t()> read) {
  std::lock_guard lock(mutex_);
  Entry& entry = entries_[name];
  entry.help = help;
  entry.type = "gauge";
  entry.read = std::move(read);
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::lock_guard lock(mutex_);
  std::string out;
  std::set<std::string> described;
  for (const auto& [name, entry] : entries_) {
    const std::string base = BaseName(name);
    if (described.insert(base).second) {
      out += "# HELP " + base + " " + entry.help + "\n";
      out += "# TYPE " + base + " " + entry.type + "\n";
    }
    std::int64_t value = 0;
    if (entry.counter)
      value = entry.counter->Value();
    else if (entry.gauge)
      value = entry.gauge->Value();
    else if (entry.read)
      value = entry.read();
    out += name + " " + std::to_string(value) + "\n";
  }
  return out;
}

MetricsRegistry& MetricsRegistry::Global() {
  static MetricsRegistry* registry = new MetricsRegistry();
  return *registry;
}

}  // namespace tillbridge
