// This computer's time zone, as the operating system keeps it: the TZif
// file /etc/localtime on Linux; on Windows the rule of the zone set in
// Settings (bias and the two yearly changes), which has no file at all.
// The POS database driver turns either into a TimeZone when
// pos.time_zone is "local".
#pragma once

#include <string>

#include "common/status.h"

namespace tillbridge::platform {

// One end of daylight saving as Windows keeps it (SYSTEMTIME in
// TIME_ZONE_INFORMATION): the `week`th `weekday` (0 = Sunday; week 5 = the
// last) of `month`, at hour:minute:second local time before the change.
struct ZoneChangeDate {
  int month = 0;  // 1-12; 0 for a zone without daylight saving
  int week = 0;
  int weekday = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

struct LocalZone {
  std::string name;       // for messages: "/etc/localtime", "Eastern Standard Time"
  std::string tzif_path;  // when the zone is a TZif file
  // Otherwise Windows' rule: local time = UTC - (bias + standard or
  // daylight bias), all in minutes.
  int bias_minutes = 0;
  int standard_bias_minutes = 0;
  int daylight_bias_minutes = 0;
  ZoneChangeDate standard_date;  // when daylight saving ends
  ZoneChangeDate daylight_date;  // when it starts
};

// NotFound, saying what to set instead, when the system has no time zone
// this can read.
Result<LocalZone> LocalTimeZone();

}  // namespace tillbridge::platform
