// Sets up Poco's logging from the log.* config keys: console (standard
// error, which systemd sends to the journal) and an optional rotating file.
#pragma once

#include "agent/config.h"
#include "common/status.h"

namespace tillbridge::agent {

// Replaces the channels of every logger. Safe to call again.
Status ConfigureLogging(const LoadedConfig& config);

}  // namespace tillbridge::agent
