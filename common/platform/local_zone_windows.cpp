#include <windows.h>

#include "common/platform/local_zone.h"
#include "common/platform/windows_text.h"

namespace tillbridge::platform {
namespace {

ZoneChangeDate FromSystemTime(const SYSTEMTIME& time) {
  ZoneChangeDate date;
  date.month = time.wMonth;
  date.week = time.wDay;
  date.weekday = time.wDayOfWeek;
  date.hour = time.wHour;
  date.minute = time.wMinute;
  date.second = time.wSecond;
  return date;
}

}  // namespace

Result<LocalZone> LocalTimeZone() {
  DYNAMIC_TIME_ZONE_INFORMATION info = {};
  if (GetDynamicTimeZoneInformation(&info) == TIME_ZONE_ID_INVALID) {
    return Status::NotFound(
        "Windows did not say this computer's time zone; name the zone instead: an offset "
        "(+01:00)");
  }
  // A change given for one year only (wYear set) is not a yearly rule.
  if (info.StandardDate.wYear != 0 || info.DaylightDate.wYear != 0) {
    return Status::NotFound(
        "this computer's time zone changes on fixed dates, not by a yearly rule; name the zone "
        "instead: an offset (+01:00)");
  }
  LocalZone zone;
  zone.name = Narrow(info.TimeZoneKeyName[0] != 0 ? std::wstring_view(info.TimeZoneKeyName)
                                                  : std::wstring_view(info.StandardName));
  zone.bias_minutes = static_cast<int>(info.Bias);
  zone.standard_bias_minutes = static_cast<int>(info.StandardBias);
  zone.daylight_bias_minutes = static_cast<int>(info.DaylightBias);
  zone.standard_date = FromSystemTime(info.StandardDate);
  zone.daylight_date = FromSystemTime(info.DaylightDate);
  return zone;
}

}  // namespace tillbridge::platform
