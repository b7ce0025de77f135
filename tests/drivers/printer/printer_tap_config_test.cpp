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
}

}  // namespace
}  // namespace tillbridge::drivers
