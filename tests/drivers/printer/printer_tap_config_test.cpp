#include "drivers/printer/printer_tap_config.h"

#include <doctest/doctest.h>

namespace tillbridge::drivers {
namespace {

using namespace std::chrono_literals;

ConfigValues Values(std::map<std::string, std::string> values) {
  return ConfigValues(std::move(values));
}

TEST_CASE("every key is in section printer and has a description") {
  for (const auto& spec : PrinterTapConfigKeys()) {
    CHECK(spec.key.rfind("printer.", 0) == 0);
    CHECK_FALSE(spec.description.empty());
    if (!spec.default_value.empty()) CHECK(ValidateConfigValue(spec, spec.default_value).ok());
  }
}

TEST_CASE("defaults give a disabled tcp tap") {
  auto options = PrinterTapOptionsFrom(Values({}));
  REQUIRE(options.ok());
  CHECK_FALSE(options->enabled);
  CHECK(options->mode == TapMode::kTcp);
  CHECK(options->tcp.listen_port == 9100);
  CHECK(options->decoder.idle_cut_timeout == 5s);
}

TEST_CASE("serial settings are parsed") {
  auto options = PrinterTapOptionsFrom(Values({{"printer.enabled", "true"},
                                               {"printer.mode", "serial"},
                                               {"printer.pos_port", "/dev/ttyS1"},
                                               {"printer.printer_port", "/dev/ttyUSB0"},
                                               {"printer.baud", "19200"},
                                               {"printer.parity", "even"},
                                               {"printer.data_bits", "7"},
                                               {"printer.stop_bits", "2"},
                                               {"printer.flow_control", "rtscts"},
                                               {"printer.serial_driver", "termios"},
                                               {"printer.templates", "/etc/t"},
                                               {"printer.idle_cut_timeout", "2s"}}));
  REQUIRE(options.ok());
  CHECK(options->mode == TapMode::kSerial);
  CHECK(options->serial.pos.path == "/dev/ttyS1");
  CHECK_FALSE(options->serial.pos.facing_printer);
  CHECK(options->serial.printer.path == "/dev/ttyUSB0");
  CHECK(options->serial.printer.facing_printer);
  CHECK(options->serial.printer.baud == 19200);
  CHECK(options->serial.printer.parity == Parity::kEven);
  CHECK(options->serial.printer.data_bits == 7);
  CHECK(options->serial.printer.stop_bits == 2);
  CHECK(options->serial.printer.flow_control == FlowControl::kRtsCts);
  CHECK(options->serial.printer.driver == SerialDriver::kTermios);
  CHECK(options->decoder.idle_cut_timeout == 2s);
}

TEST_CASE("bad values and missing companions are named") {
  const auto error = [](std::map<std::string, std::string> values) {
    auto options = PrinterTapOptionsFrom(ConfigValues(std::move(values)));
    REQUIRE_FALSE(options.ok());
    return options.status().message();
  };
  CHECK(error({{"printer.mode", "usb"}}) == "printer.mode: must be one of: serial, tcp; got 'usb'");
  CHECK(error({{"printer.baud", "fast"}}) == "printer.baud: expected a whole number, got 'fast'");
  CHECK(
      error({{"printer.data_bits", "9"}}).rfind("printer.data_bits: must be between 5 and 8", 0) ==
      0);
  CHECK(error({{"printer.idle_cut_timeout", "soon"}}).rfind("printer.idle_cut_timeout:", 0) == 0);
  CHECK(error({{"printer.enabled", "true"}, {"printer.templates", "t"}}) ==
        "printer.printer_host: required when mode is tcp");
  CHECK(error({{"printer.enabled", "true"},
               {"printer.mode", "serial"},
               {"printer.templates", "t"}}) == "printer.pos_port: required when mode is serial");
  CHECK(error({{"printer.enabled", "true"},
               {"printer.mode", "serial"},
               {"printer.pos_port", "/a"},
               {"printer.printer_port", "/a"},
               {"printer.templates", "t"}}) ==
        "printer.printer_port: must differ from printer.pos_port");
  CHECK(error({{"printer.enabled", "true"}, {"printer.printer_host", "10.0.0.9"}}) ==
        "printer.templates: required when the printer tap is enabled");
  CHECK(error({{"printer.currency", "dollars"}}) ==
        "printer.currency: currency must be an ISO 4217 code such as USD, got 'dollars'");
  const std::map<std::string, std::string> enabled = {{"printer.enabled", "true"},
                                                      {"printer.printer_host", "10.0.0.9"},
                                                      {"printer.templates", "t"}};
  auto with_zone = [&](const char* zone, const char* zoneinfo = kDefaultZoneinfoDir) {
    auto values = enabled;
    values["printer.time_zone"] = zone;
    values["printer.zoneinfo_dir"] = zoneinfo;
    return values;
  };
  CHECK(error(with_zone("Mars/Olympus"))
            .rfind("printer.time_zone: 'Mars/Olympus': no such zone", 0) == 0);
  CHECK(error(with_zone("+25:00")).rfind("printer.time_zone: '+25:00': expected an offset", 0) ==
        0);
  CHECK(error(with_zone("../../etc/passwd")).find("is not an IANA zone name") != std::string::npos);
  CHECK(error(with_zone("Europe/Berlin", "/nonexistent")).find("no such zone in /nonexistent") !=
        std::string::npos);
  // A disabled tap is not held to its zone.
  CHECK(PrinterTapOptionsFrom(Values({{"printer.time_zone", "Mars/Olympus"}})).ok());
}

TEST_CASE("printer.time_zone takes the names pos.time_zone takes") {
  for (const char* zone :
       {"local", "UTC", "+01:00", "-0530", "America/New_York", "Europe/Berlin"}) {
    auto options = PrinterTapOptionsFrom(Values({{"printer.enabled", "true"},
                                                 {"printer.printer_host", "10.0.0.9"},
                                                 {"printer.templates", "t"},
                                                 {"printer.time_zone", zone}}));
    REQUIRE_MESSAGE(options.ok(), zone);
    CHECK(options->time_zone == zone);
    CHECK(options->zoneinfo_dir == kDefaultZoneinfoDir);
  }
}

}  // namespace
}  // namespace tillbridge::drivers
