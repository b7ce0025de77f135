// Checks that `tillbridge doctor` runs for each configured module (sources,
// local API, cloud).
#pragma once

#include <string>
#include <vector>

#include "agent/config.h"
#include "common/status.h"

namespace tillbridge::agent {

struct DoctorCheck {
  std::string name;
  Status status;
  std::string fix;  // what to do when status is not ok
};

// The checks for every module the config enables.
std::vector<DoctorCheck> ModuleDoctorChecks(const LoadedConfig& config);

}  // namespace tillbridge::agent
