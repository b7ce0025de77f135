#include "agent/commands/doctor_checks.h"

namespace tillbridge::agent {

std::vector<DoctorCheck> ModuleDoctorChecks(const LoadedConfig& config) {
  std::vector<DoctorCheck> checks;
  (void)config;
  return checks;
}

}  // namespace tillbridge::agent
