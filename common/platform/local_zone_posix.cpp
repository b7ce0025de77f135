#include <filesystem>

#include "common/platform/local_zone.h"

namespace tillbridge::platform {

Result<LocalZone> LocalTimeZone() {
  LocalZone zone;
  zone.name = "/etc/localtime";
  zone.tzif_path = "/etc/localtime";
  std::error_code error;
  if (!std::filesystem::exists(zone.tzif_path, error)) {
    return Status::NotFound(
        "this machine has no /etc/localtime; name the zone instead: an IANA name "
        "(Europe/Berlin) or an offset (+01:00)");
  }
  return zone;
}

}  // namespace tillbridge::platform
