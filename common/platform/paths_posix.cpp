#include "common/platform/paths.h"

namespace tillbridge::platform {

std::string DefaultConfigPath() { return "/etc/tillbridge/tillbridge.ini"; }

std::string DefaultDataDir() { return "/var/lib/tillbridge"; }

}  // namespace tillbridge::platform
