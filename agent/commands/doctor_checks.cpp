#include "agent/commands/doctor_checks.h"

#include <Poco/Exception.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <filesystem>

#include "agent/api/api_options.h"
#include "common/phone.h"
#include "common/platform/files.h"
#include "drivers/printer/printer_tap.h"
#include "drivers/printer/printer_tap_config.h"
#include "drivers/sql/sql_source.h"
#include "sync/cloud_check.h"
#include "sync/sync_options.h"

namespace tillbridge::agent {
namespace {

DoctorCheck CheckPosDatabase(const LoadedConfig& config) {
  DoctorCheck check{"POS database source 'pos'", Status::Ok(), ""};
  auto options = drivers::SqlSourceOptionsFrom(config.values, config.base_dir);
  if (!options.ok()) {
    check.status = options.status();
    check.fix = "correct the pos.* keys (docs/config.md)";
    return check;
  }
  const drivers::SqlSourceReport report = drivers::CheckSqlSource(*options);
  check.name = "POS database " + (report.database.empty() ? "" : report.database + " ") +
               "(source '" + options->name + "', profile " + report.profile + ")";
  std::vector<std::string> failed;
  for (const auto& item : report.checks) {
    DoctorCheck part{item.name, Status::Ok(), item.fix};
    switch (item.outcome) {
      case drivers::CheckOutcome::kOk:
        part.detail = item.detail;
        break;
      case drivers::CheckOutcome::kWarning:
        part.status = Status::FailedPrecondition(item.detail);
        part.warning = true;
        break;
      case drivers::CheckOutcome::kFailed:
        part.status = Status(item.code, item.detail);
        failed.push_back(item.name);
        break;
    }
    check.parts.push_back(std::move(part));
  }
  if (!failed.empty()) {
    std::string names;
    for (const auto& name : failed) names += (names.empty() ? "" : ", ") + name;
    check.status = Status(report.ToStatus().code(), "failed: " + names);
  }
  return check;
}

DoctorCheck CheckPrinterTap(const LoadedConfig& config) {
  DoctorCheck check{"receipt printer tap", Status::Ok(), ""};
  auto options = drivers::PrinterTapOptionsFrom(config.values);
  if (!options.ok()) {
    check.status = options.status();
    check.fix = "correct the printer.* keys (docs/config.md)";
    return check;
  }
  // Creating the tap loads the templates and opens the spool, without
  // touching the ports.
  auto tap = drivers::PrinterTap::Create(
      *options, PhoneNormalizer(config.values.GetString("agent.default_region")));
  if (!tap.ok()) {
    check.status = tap.status();
    check.fix = "see docs/receipt-templates.md and the printer.* keys";
    return check;
  }
  if (options->mode == drivers::TapMode::kTcp) {
    const auto& tcp = options->tcp;
    check.name = "receipt printer at " + tcp.printer_host + ":" + std::to_string(tcp.printer_port);
    try {
      Poco::Net::StreamSocket socket;
      socket.connect(
          Poco::Net::SocketAddress(tcp.printer_host, static_cast<Poco::UInt16>(tcp.printer_port)),
          Poco::Timespan(2, 0));
    } catch (const Poco::Exception& e) {
      check.status = Status::Unavailable("cannot connect: " + e.displayText());
      check.fix = "check that the printer is on and printer.printer_host/printer_port are right";
    }
    return check;
  }
  for (const auto* port : {&options->serial.pos, &options->serial.printer}) {
    std::error_code error;
    if (port->path.rfind("COM", 0) == 0) continue;
    if (!std::filesystem::exists(port->path, error)) {
      check.status = Status::NotFound("serial port " + port->path + " does not exist");
      check.fix = "plug the adapter in, or correct printer.pos_port / printer.printer_port";
      return check;
    }
    if (!platform::CanReadAndWrite(port->path)) {
      check.status = Status::PermissionDenied("no read/write access to " + port->path);
      check.fix = "add the service user to the 'dialout' group";
      return check;
    }
  }
  check.name = "serial ports " + options->serial.pos.path + " -> " + options->serial.printer.path;
  return check;
}

DoctorCheck CheckCloud(const LoadedConfig& config) {
  DoctorCheck check{"cloud", Status::Ok(), ""};
  auto options = sync::SyncOptionsFrom(config.values);
  if (!options.ok()) {
    check.status = options.status();
    check.fix = "correct the cloud.* keys (docs/config.md)";
    return check;
  }
  check.name = "cloud " + options->cloud.endpoint.url;
  check.status = sync::CheckCloudReachable(*options);
  if (check.status.code() == StatusCode::kPermissionDenied) {
    check.fix = "the cloud refused the token: set cloud.token or cloud.token_file";
  } else if (!check.status.ok()) {
    check.fix =
        "check the network, proxy (cloud.proxy) and CA file (cloud.ca_file); events "
        "queue safely until the cloud is reachable";
  }
  return check;
}

DoctorCheck CheckApiOptions(const LoadedConfig& config) {
  DoctorCheck check{"local API settings", Status::Ok(), ""};
  auto options = ApiOptionsFrom(config.values, config.values.GetString("agent.data_dir"));
  if (!options.ok()) {
    check.status = options.status();
    check.fix = "correct the api.* keys (docs/config.md)";
    return check;
  }
  check.name = "local API " + ApiBaseUrl(options->listen_address, options->port);
  return check;
}

}  // namespace

std::vector<DoctorCheck> ModuleDoctorChecks(const LoadedConfig& config) {
  std::vector<DoctorCheck> checks;
  if (config.values.GetBool("api.enabled")) checks.push_back(CheckApiOptions(config));
  if (config.values.GetBool("pos.enabled")) checks.push_back(CheckPosDatabase(config));
  if (config.values.GetBool("printer.enabled")) checks.push_back(CheckPrinterTap(config));
  if (config.values.GetBool("cloud.enabled")) checks.push_back(CheckCloud(config));
  return checks;
}

}  // namespace tillbridge::agent
