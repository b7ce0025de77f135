// The merged key table: the agent core's keys followed by each module's.
#include "agent/api/api_options.h"
#include "agent/config.h"
#include "agent/report/report_settings.h"
#include "drivers/printer/printer_tap_config.h"
#include "drivers/sql/sql_source.h"
#include "sync/sync_options.h"

namespace tillbridge::agent {

const std::vector<ConfigKeySpec>& AllConfigKeys() {
  static const std::vector<ConfigKeySpec> keys = [] {
    std::vector<ConfigKeySpec> all = CoreConfigKeys();
    for (const auto* table :
         {&ApiConfigKeys(), &drivers::SqlSourceConfigKeys(), &drivers::PrinterTapConfigKeys(),
          &sync::SyncConfigKeys(), &report::ReportConfigKeys()}) {
      all.insert(all.end(), table->begin(), table->end());
    }
    return all;
  }();
  return keys;
}

}  // namespace tillbridge::agent
