#include <filesystem>
#include <fstream>
#include <functional>
#include <ostream>
#include <vector>

#include "agent/commands/commands.h"
#include "agent/commands/doctor_checks.h"
#include "agent/runtime.h"
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
  if (!error && space.available < 100ull * 1024 * 1024) {
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
  }
  return check;
}

}  // namespace

int RunDoctor(const LoadedConfig& config, std::ostream& out) {
  std::vector<DoctorCheck> checks;
  checks.push_back({"config " + config.path, Status::Ok(), ""});
  checks.push_back(CheckDataDir(config));
  if (checks.back().status.ok()) checks.push_back(CheckStore(config));
  for (auto& check : ModuleDoctorChecks(config)) checks.push_back(std::move(check));

  int failures = 0;
  for (const auto& check : checks) {
    if (check.status.ok()) {
      out << "ok    " << check.name << "\n";
    } else {
      ++failures;
      out << "FAIL  " << check.name << ": " << check.status.message() << "\n";
      if (!check.fix.empty()) out << "      fix: " << check.fix << "\n";
    }
  }
  out << (failures == 0 ? "all checks passed\n" : std::to_string(failures) + " check(s) failed\n");
  return failures == 0 ? kExitOk : kExitFailure;
}

}  // namespace tillbridge::agent
