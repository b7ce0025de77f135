#include <filesystem>
#include <fstream>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "agent/commands/commands.h"
#include "agent/commands/doctor_checks.h"
#include "agent/api/api_options.h"
#include "agent/runtime.h"
#include "common/platform/files.h"
#include "store/store.h"

namespace tillbridge::agent {
namespace {

DoctorCheck CheckDataDir(const LoadedConfig& config) {
  const std::filesystem::path dir(config.values.GetString("agent.data_dir"));
  DoctorCheck check{"data folder " + dir.string(), Status::Ok(), ""};
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    check.status = Status::PermissionDenied("cannot create it: " + error.message());
    check.fix = "create it and give the service user write access, or set agent.data_dir";
    return check;
  }
  const std::filesystem::path probe = dir / ".doctor-write-test";
  {
    std::ofstream file(probe);
    file << "ok";
    if (!file) {
      check.status = Status::PermissionDenied("not writable");
      check.fix = "chown it to the user that runs tillbridge (the package uses 'tillbridge')";
      return check;
    }
  }
  std::filesystem::remove(probe, error);
  auto space = std::filesystem::space(dir, error);
  if (!error && space.available < 1024 * 1024) {
    check.status = Status::IoError("the disk is full: " + std::to_string(space.available) +
                                   " bytes free");
    check.fix = "free disk space; sales and opt-ins wait at the POS until the agent can record them";
  } else if (!error && space.available < 100ull * 1024 * 1024) {
    check.status =
        Status::IoError("only " + std::to_string(space.available / (1024 * 1024)) + " MiB free");
    check.fix = "free disk space: the store needs room to queue events while offline";
  }
  return check;
}

DoctorCheck CheckStore(const LoadedConfig& config) {
  DoctorCheck check{"store " + StorePath(config), Status::Ok(), ""};
  auto opened = OpenConfiguredStore(config, /*create_dir=*/true);
  if (!opened.ok()) {
    check.status = opened.status();
    check.fix = "check the file's permissions; restore it from backup if it is corrupt";
    return check;
  }
  check.status = (*opened)->CheckIntegrity();
  if (!check.status.ok()) {
    check.fix =
        "the store or the consent ledger was modified outside tillbridge; run "
        "`tillbridge consents verify` and restore from backup";
    return check;
  }
  check.status = (*opened)->CheckWritable();
  if (!check.status.ok()) {
    check.fix = store::Store::IsDiskFull(check.status)
                    ? "free disk space; sales and opt-ins wait at the POS until the agent can "
                      "record them"
                    : "give the agent's user write access to the data folder";
  }
  return check;
}

// The data folder and the API token must not be readable by other local
// users: they hold phone numbers, the consent ledger and the API secret.
DoctorCheck CheckPrivate(const std::string& what, const std::string& path,
                         const std::string& fix) {
  DoctorCheck check{what + " " + path, Status::Ok(), ""};
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    check.detail = "not created yet (the agent creates it for its own user only)";
    return check;
  }
  auto open = platform::IsReadableByOthers(path);
  if (!open.ok()) {
    check.status = open.status();
    return check;
  }
  if (*open) {
    check.status = Status::PermissionDenied("readable by other users");
    check.fix = fix;
  } else {
    check.detail = "for the agent's user only";
  }
  return check;
}

// Prints `check` and its parts; returns how many checks failed.
int PrintCheck(const DoctorCheck& check, const std::string& indent, std::ostream& out) {
  const bool failed = !check.status.ok() && !check.warning;
  if (check.status.ok()) {
    out << indent << "ok    " << check.name;
    if (!check.detail.empty()) out << ": " << check.detail;
    out << "\n";
  } else {
    out << indent << (failed ? "FAIL  " : "warn  ") << check.name << ": " << check.status.message()
        << "\n";
    if (!check.fix.empty()) out << indent << "      fix: " << check.fix << "\n";
  }
  int failed_parts = 0;
  for (const auto& part : check.parts) failed_parts += PrintCheck(part, indent + "      ", out);
  // A failed check is counted once, or by its failed parts when it has some.
  return failed_parts > 0 ? failed_parts : (failed ? 1 : 0);
}

}  // namespace

int RunDoctor(const LoadedConfig& config, std::ostream& out) {
  std::vector<DoctorCheck> checks;
  checks.push_back({"config " + config.path, Status::Ok(), ""});
  checks.push_back(CheckDataDir(config));
  if (checks.back().status.ok()) checks.push_back(CheckStore(config));
  if (config.values.GetBool("api.enabled")) {
    auto api = ApiOptionsFrom(config.values, config.values.GetString("agent.data_dir"));
    if (api.ok() && api->token.empty()) {
      checks.push_back(CheckPrivate("API token file", api->token_file,
                                    "chmod 600 " + api->token_file +
                                        " (the agent also does this when it starts)"));
    }
  }
  for (auto& check : ModuleDoctorChecks(config)) checks.push_back(std::move(check));

  int failures = 0;
  for (const auto& check : checks) failures += PrintCheck(check, "", out);
  out << (failures == 0 ? "all checks passed\n" : std::to_string(failures) + " check(s) failed\n");
  return failures == 0 ? kExitOk : kExitFailure;
}

}  // namespace tillbridge::agent
