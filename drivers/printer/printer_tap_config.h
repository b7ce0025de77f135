// Configuration of the receipt-printer tap: the keys of section [printer]
// and the typed options they parse into.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/config_spec.h"
#include "common/status.h"
#include "common/time_zone.h"
#include "drivers/printer/byte_port.h"
#include "drivers/printer/passthrough.h"
#include "drivers/printer/receipt_decoder.h"

namespace tillbridge::drivers {

enum class TapMode { kSerial, kTcp };

struct PrinterTapOptions {
  bool enabled = false;
  std::string source_name = "printer";
  TapMode mode = TapMode::kTcp;
  SerialPassthroughOptions serial;  // mode serial
  TcpPassthroughOptions tcp;        // mode tcp
  CommandSet command_set = CommandSet::kAuto;
  DecoderLimits decoder;
  std::string templates_path;  // file or folder of *.tbt files
  std::string spool_dir;       // spool and unmatched-receipt log
  std::string currency = "USD";
  std::string time_zone = "local";
  std::string zoneinfo_dir = kDefaultZoneinfoDir;
  // Cap on the capture journal's undecoded bytes (printer.capture_journal_bytes).
  std::uint64_t capture_journal_bytes = 256ull * 1024 * 1024;
};

// The [printer] keys with types, defaults and descriptions.
const std::vector<ConfigKeySpec>& PrinterTapConfigKeys();

// Builds options from validated values (defaults filled in for missing
// keys). Checks what one key alone cannot: serial mode needs both ports,
// TCP mode a printer host, an enabled tap its templates and spool folder.
// Errors name the key: "printer.printer_host: required when mode is tcp".
Result<PrinterTapOptions> PrinterTapOptionsFrom(const ConfigValues& values);

}  // namespace tillbridge::drivers
