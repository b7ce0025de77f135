// The running agent: opens the store and starts every configured component
// (sources, local API, cloud sync), and stops them in reverse order.
#pragma once

#include <memory>
#include <string>

#include "agent/config.h"
#include "agent/report/report_settings.h"
#include "common/status.h"

namespace tillbridge::store {
class Store;
}

namespace tillbridge::agent {

struct RuntimeParts;

class Runtime {
 public:
  // Creates the data folder, opens the store and starts the components that
  // the config enables. On error nothing is left running.
  static Result<std::unique_ptr<Runtime>> Start(const LoadedConfig& config);
  ~Runtime();  // stops
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Stops components, newest first; each finishes its current store
  // transaction. Returns within about a second.
  void Stop();
  store::Store& store();
  // One line per component for the start-up banner.
  std::string Describe() const;

 private:
  explicit Runtime(std::unique_ptr<RuntimeParts> parts);
  std::unique_ptr<RuntimeParts> parts_;
};

// Opens the store named by `config` (agent.data_dir/tillbridge.db),
// creating the folder when `create_dir` is set.
Result<std::unique_ptr<store::Store>> OpenConfiguredStore(const LoadedConfig& config,
                                                          bool create_dir);

// The report.* settings for `config`, with report.utc_offset = pos
// resolved from pos.time_zone and pos.zoneinfo_dir. InvalidArgument names
// the key when a value is unusable (or the zone cannot be loaded).
Result<report::ReportSettings> ReportSettingsFor(const LoadedConfig& config);

// The store file's path for `config`.
std::string StorePath(const LoadedConfig& config);

}  // namespace tillbridge::agent
