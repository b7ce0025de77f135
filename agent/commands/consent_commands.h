// `tillbridge consents export|verify` and `tillbridge api-token`.
#pragma once

#include <iosfwd>

#include "agent/cli.h"
#include "agent/config.h"

namespace tillbridge::agent {

int RunConsents(const LoadedConfig& config, const CommandLine& line, std::ostream& out,
                std::ostream& err);
int RunApiToken(const LoadedConfig& config, std::ostream& out, std::ostream& err);

}  // namespace tillbridge::agent
