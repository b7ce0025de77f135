#include "agent/commands/consent_commands.h"

#include <ostream>

#include "agent/commands/commands.h"

namespace tillbridge::agent {

int RunConsents(const LoadedConfig&, const CommandLine&, std::ostream&, std::ostream& err) {
  err << "tillbridge consents: not available in this build\n";
  return kExitFailure;
}

int RunApiToken(const LoadedConfig&, std::ostream&, std::ostream& err) {
  err << "tillbridge api-token: not available in this build\n";
  return kExitFailure;
}

}  // namespace tillbridge::agent
