// The merged key table: the agent core's keys followed by each module's.
#include "agent/config.h"

namespace tillbridge::agent {

const std::vector<ConfigKeySpec>& AllConfigKeys() {
  static const std::vector<ConfigKeySpec> keys = [] {
    std::vector<ConfigKeySpec> all = CoreConfigKeys();
    return all;
  }();
  return keys;
}

}  // namespace tillbridge::agent
