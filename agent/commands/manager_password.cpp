#include "agent/api/manager_password.h"

#include <iostream>

#include "agent/commands/commands.h"
#include "agent/commands/terminal.h"
#include "agent/runtime.h"
#include "store/store.h"
#include "store/web_sessions.h"

namespace tillbridge::agent {
namespace {

constexpr const char* kPrefix = "tillbridge manager-password: ";

// The new password: twice from a terminal (echo off), or the first line of
// standard input with --stdin (for scripts and provisioning).
std::optional<std::string> ReadNewPassword(bool from_stdin, std::ostream& out, std::ostream& err) {
  if (from_stdin) {
    auto line = ReadSecretLine("", out);
    if (!line) err << kPrefix << "no password on standard input\n";
    return line;
  }
  if (!StdinIsTerminal()) {
    err << kPrefix << "standard input is not a terminal; pipe the password with --stdin\n";
    return std::nullopt;
  }
  auto first = ReadSecretLine("New manager password (at least " +
                                  std::to_string(kMinManagerPasswordLength) + " characters): ",
                              out);
  if (!first) return std::nullopt;
  if (Status valid = CheckManagerPassword(*first); !valid.ok()) {
    err << kPrefix << valid.message() << "\n";
    return std::nullopt;
  }
  auto second = ReadSecretLine("The same password again: ", out);
  if (!second) return std::nullopt;
  if (*first != *second) {
    err << kPrefix << "the two passwords differ; nothing was changed\n";
    return std::nullopt;
  }
  return first;
}

}  // namespace

int RunManagerPassword(const LoadedConfig& config, const CommandLine& line, std::ostream& out,
                       std::ostream& err) {
  if (line.words.size() > 1) {
    err << kPrefix << "unexpected argument '" << line.words[1] << "' (see tillbridge --help)\n";
    return kExitUsage;
  }
  const std::optional<std::string> password =
      ReadNewPassword(line.flags.count("stdin") > 0, out, err);
  if (!password) return kExitUsage;
  if (Status valid = CheckManagerPassword(*password); !valid.ok()) {
    err << kPrefix << valid.message() << "\n";
    return kExitUsage;
  }
  auto hash = HashManagerPassword(*password);
  if (!hash.ok()) {
    err << kPrefix << hash.status().message() << "\n";
    return kExitFailure;
  }
  auto opened = OpenConfiguredStore(config, /*create_dir=*/false);
  if (!opened.ok()) {
    err << kPrefix << opened.status().message() << "\n";
    return kExitFailure;
  }
  Status saved = (*opened)->web_sessions().SetManagerPasswordHash(*hash);
  if (!saved.ok()) {
    err << kPrefix << "cannot save it: " << saved.message() << "\n";
    return kExitFailure;
  }
  out << "The manager password is set; managers signed in before must sign in again.\n";
  const std::string url = ApiBaseUrl(config);
  if (!url.empty()) out << "Manager page: " << url << "/manager\n";
  return kExitOk;
}

}  // namespace tillbridge::agent
