// Checks that `tillbridge doctor` runs for each configured module (sources,
// local API, cloud).
#pragma once

#include <string>
#include <vector>

#include "agent/config.h"
#include "common/status.h"

namespace tillbridge::agent {

// One line of `tillbridge doctor`: "ok", "warn" or "FAIL", the name, and
// what was found.
struct DoctorCheck {
  std::string name;
  Status status;
  std::string fix;  // what to do when status is not ok
  // What was found, printed after the name of a check that passed
  // ("ok, 10,482 rows").
  std::string detail;
  // A status that is not ok but does not fail doctor.
  bool warning = false;
  // Finer checks that make up this one (the POS database's connection,
  // tables, queries and user), each printed on a line of its own below it.
  // When there are parts, each failed part counts as one failed check.
  std::vector<DoctorCheck> parts;
};

// The checks for every module the config enables.
std::vector<DoctorCheck> ModuleDoctorChecks(const LoadedConfig& config);

}  // namespace tillbridge::agent
