// `tillbridge consents export|verify` and `tillbridge api-token`.
#pragma once

#include <iosfwd>

#include "agent/cli.h"
#include "agent/config.h"

namespace tillbridge::agent {

int RunConsents(const LoadedConfig& config, const CommandLine& line, std::ostream& out,
                std::ostream& err);
// Prints the API token, or with --launch a one-time cashier sign-in link.
int RunApiToken(const LoadedConfig& config, const CommandLine& line, std::ostream& out,
                std::ostream& err);

}  // namespace tillbridge::agent
