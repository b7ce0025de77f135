#include "drivers/printer/printer_tap_config.h"

#include "drivers/printer/receipt_extractor.h"

namespace tillbridge::drivers {

const std::vector<ConfigKeySpec>& PrinterTapConfigKeys() {
  static const std::vector<ConfigKeySpec> kKeys = {
      {"printer.enabled", ConfigType::kBool, "false", "Run the receipt-printer tap."},
      {"printer.source_name", ConfigType::kString, "printer",
       "Source name the tap's transactions are stored under."},
      {"printer.mode",
       ConfigType::kEnum,
       "tcp",
       "serial: the POS writes to a serial port (or virtual COM pair) and the printer is on "
       "another; tcp: the POS prints to this agent's TCP port and the agent forwards to the "
       "network printer.",
       {"serial", "tcp"}},
      {"printer.pos_port", ConfigType::kString, "",
       "serial mode: the port the POS writes to, e.g. /dev/ttyS1, a socat link, or COM5."},
      {"printer.printer_port", ConfigType::kString, "",
       "serial mode: the port the receipt printer is connected to, e.g. /dev/ttyUSB0."},
      {"printer.serial_driver",
       ConfigType::kEnum,
       "auto",
       "auto uses libserialport for ports it lists and termios for other tty paths such as "
       "pseudo-terminals; or force libserialport / termios.",
       {"auto", "libserialport", "termios"}},
      {"printer.baud",
       ConfigType::kInt,
       "9600",
       "serial mode: baud rate of both ports.",
       {},
       50,
       4000000},
      {"printer.parity",
       ConfigType::kEnum,
       "none",
       "serial mode: parity.",
       {"none", "odd", "even", "mark", "space"}},
      {"printer.data_bits", ConfigType::kInt, "8", "serial mode: data bits.", {}, 5, 8},
      {"printer.stop_bits", ConfigType::kInt, "1", "serial mode: stop bits.", {}, 1, 2},
      {"printer.flow_control",
       ConfigType::kEnum,
       "none",
       "serial mode: flow control. With flow control the POS is held back while the printer is "
       "unplugged; without it the bytes are lost, as they would be with no tap.",
       {"none", "rtscts", "xonxoff", "dtrdsr"}},
      {"printer.listen_address", ConfigType::kString, "0.0.0.0",
       "tcp mode: address the POS connects to."},
      {"printer.listen_port",
       ConfigType::kInt,
       "9100",
       "tcp mode: port the POS connects to (the raw printing port).",
       {},
       0,
       65535},
      {"printer.printer_host", ConfigType::kString, "",
       "tcp mode: host name or address of the real printer."},
      {"printer.printer_port_tcp",
       ConfigType::kInt,
       "9100",
       "tcp mode: the printer's raw port.",
       {},
       1,
       65535},
      {"printer.connect_timeout",
       ConfigType::kDuration,
       "3s",
       "tcp mode: how long to try reaching the printer before the POS connection is reset.",
       {},
       10,
       60000},
      {"printer.reconnect_interval",
       ConfigType::kDuration,
       "1s",
       "How often to retry a port or printer that is gone.",
       {},
       10,
       600000},
      {"printer.idle_cut_timeout",
       ConfigType::kDuration,
       "5s",
       "A receipt without a paper cut ends after this long without a byte.",
       {},
       100,
       3600000},
      {"printer.command_set",
       ConfigType::kEnum,
       "auto",
       "The printer's language: escpos (Epson and compatibles), star (Star Line Mode and "
       "StarPRNT), or auto to recognise it from the bytes of each connection.",
       {"auto", "escpos", "star"}},
      {"printer.templates", ConfigType::kPath, "",
       "Receipt template file, or folder of *.tbt files (docs/receipt-templates.md)."},
      {"printer.spool_dir", ConfigType::kPath, "printer-spool",
       "Folder for the receipt spool and the log of receipts no template matched."},
      {"printer.currency", ConfigType::kString, "USD", "ISO 4217 currency of printed amounts."},
      {"printer.time_zone", ConfigType::kString, "local",
       "Time zone of printed dates: local (this computer's, daylight saving included), UTC, an "
       "offset (+01:00) or an IANA name (Europe/Berlin), as for pos.time_zone."},
      {"printer.zoneinfo_dir", ConfigType::kPath, kDefaultZoneinfoDir,
       "Folder of the IANA time zone database, for an IANA name in printer.time_zone."},
      {"printer.max_line_bytes",
       ConfigType::kInt,
       "512",
       "Longer printed lines are cut off.",
       {},
       40,
       65536},
      {"printer.max_receipt_bytes",
       ConfigType::kInt,
       "65536",
       "Receipt text beyond this size is dropped (the receipt is kept).",
       {},
       1024,
       16777216},
      {"printer.capture_journal_bytes",
       ConfigType::kInt,
       "268435456",
       "Most bytes the capture journal (spool_dir/capture) keeps that are not yet decoded and "
       "stored; beyond this, bytes are still printed but not decoded, and counted as parse "
       "drops.",
       {},
       1048576,
       17179869184},
  };
  return kKeys;
}

namespace {

// Values with defaults applied and each one checked against its spec.
class CheckedValues {
 public:
  explicit CheckedValues(const ConfigValues& values) : values_(values) {}

  Status Load() {
    for (const auto& spec : PrinterTapConfigKeys()) {
      std::string value = values_.Has(spec.key) ? values_.GetString(spec.key) : spec.default_value;
      if (!value.empty() || spec.required) {
        Status valid = ValidateConfigValue(spec, value);
        if (!valid.ok()) return Status::InvalidArgument(spec.key + ": " + valid.message());
      }
      merged_.Set(spec.key, value);
    }
    return Status::Ok();
  }
  const ConfigValues& merged() const { return merged_; }

 private:
  const ConfigValues& values_;
  ConfigValues merged_;
};

Parity ParseParity(const std::string& text) {
  if (text == "odd") return Parity::kOdd;
  if (text == "even") return Parity::kEven;
  if (text == "mark") return Parity::kMark;
  if (text == "space") return Parity::kSpace;
  return Parity::kNone;
}

FlowControl ParseFlowControl(const std::string& text) {
  if (text == "rtscts") return FlowControl::kRtsCts;
  if (text == "xonxoff") return FlowControl::kXonXoff;
  if (text == "dtrdsr") return FlowControl::kDtrDsr;
  return FlowControl::kNone;
}

SerialDriver ParseDriver(const std::string& text) {
  if (text == "libserialport") return SerialDriver::kLibSerialPort;
  if (text == "termios") return SerialDriver::kTermios;
  return SerialDriver::kAuto;
}

}  // namespace

Result<PrinterTapOptions> PrinterTapOptionsFrom(const ConfigValues& values) {
  CheckedValues checked(values);
  TB_RETURN_IF_ERROR(checked.Load());
  const ConfigValues& v = checked.merged();
  PrinterTapOptions options;
  options.enabled = v.GetBool("printer.enabled");
  options.source_name = v.GetString("printer.source_name");
  if (options.source_name.empty())
    return Status::InvalidArgument("printer.source_name: must not be empty");
  options.mode = v.GetString("printer.mode") == "serial" ? TapMode::kSerial : TapMode::kTcp;

  SerialSettings serial;
  serial.baud = static_cast<int>(v.GetInt("printer.baud"));
  serial.data_bits = static_cast<int>(v.GetInt("printer.data_bits"));
  serial.stop_bits = static_cast<int>(v.GetInt("printer.stop_bits"));
  serial.parity = ParseParity(v.GetString("printer.parity"));
  serial.flow_control = ParseFlowControl(v.GetString("printer.flow_control"));
  serial.driver = ParseDriver(v.GetString("printer.serial_driver"));
  options.serial.pos = serial;
  options.serial.pos.path = v.GetString("printer.pos_port");
  options.serial.pos.facing_printer = false;
  options.serial.printer = serial;
  options.serial.printer.path = v.GetString("printer.printer_port");
  options.serial.reconnect_interval = v.GetDuration("printer.reconnect_interval");

  options.tcp.listen_address = v.GetString("printer.listen_address");
  options.tcp.listen_port = static_cast<int>(v.GetInt("printer.listen_port"));
  options.tcp.printer_host = v.GetString("printer.printer_host");
  options.tcp.printer_port = static_cast<int>(v.GetInt("printer.printer_port_tcp"));
  options.tcp.connect_timeout = v.GetDuration("printer.connect_timeout");
  options.tcp.reconnect_interval = v.GetDuration("printer.reconnect_interval");

  options.command_set = *ParseCommandSet(v.GetString("printer.command_set"));
  options.decoder.idle_cut_timeout = v.GetDuration("printer.idle_cut_timeout");
  options.decoder.max_line_bytes = static_cast<std::size_t>(v.GetInt("printer.max_line_bytes"));
  options.decoder.max_receipt_bytes =
      static_cast<std::size_t>(v.GetInt("printer.max_receipt_bytes"));
  options.capture_journal_bytes =
      static_cast<std::uint64_t>(v.GetInt("printer.capture_journal_bytes"));
  options.templates_path = v.GetString("printer.templates");
  options.spool_dir = v.GetString("printer.spool_dir");
  options.currency = v.GetString("printer.currency");
  options.time_zone = v.GetString("printer.time_zone");
  options.zoneinfo_dir = v.GetString("printer.zoneinfo_dir");

  if (auto digits = CurrencyMinorDigits(options.currency); !digits.ok()) {
    return Status::InvalidArgument("printer.currency: " + digits.status().message());
  }
  if (!options.enabled) return options;
  if (auto zone = TimeZone::Load(options.time_zone, options.zoneinfo_dir); !zone.ok()) {
    return Status::InvalidArgument("printer.time_zone: " + zone.status().message());
  }
  if (options.mode == TapMode::kSerial) {
    if (options.serial.pos.path.empty()) {
      return Status::InvalidArgument("printer.pos_port: required when mode is serial");
    }
    if (options.serial.printer.path.empty()) {
      return Status::InvalidArgument("printer.printer_port: required when mode is serial");
    }
    if (options.serial.pos.path == options.serial.printer.path) {
      return Status::InvalidArgument("printer.printer_port: must differ from printer.pos_port");
    }
  } else if (options.tcp.printer_host.empty()) {
    return Status::InvalidArgument("printer.printer_host: required when mode is tcp");
  }
  if (options.templates_path.empty()) {
    return Status::InvalidArgument("printer.templates: required when the printer tap is enabled");
  }
  if (options.spool_dir.empty()) {
    return Status::InvalidArgument("printer.spool_dir: required when the printer tap is enabled");
  }
  return options;
}

}  // namespace tillbridge::drivers
