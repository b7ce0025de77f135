// Where Tillbridge keeps its files by default on this platform. The MSI and
// the .deb put the config there; a config file can name any other folder.
#pragma once

#include <string>

namespace tillbridge::platform {

// The config file read when no --config is given and TILLBRIDGE_CONFIG is
// unset: /etc/tillbridge/tillbridge.ini; %ProgramData%\Tillbridge\tillbridge.ini.
std::string DefaultConfigPath();

// The folder for the store, the API token and spools when agent.data_dir is
// unset: /var/lib/tillbridge; %ProgramData%\Tillbridge\data.
std::string DefaultDataDir();

}  // namespace tillbridge::platform
