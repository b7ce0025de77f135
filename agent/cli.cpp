#include "agent/cli.h"

#include <cstdlib>

#include "common/platform/paths.h"

namespace tillbridge::agent {
namespace {

const std::set<std::string>& ValueOptions() {
  static const std::set<std::string> options = {
      "config",   "format", "output", "pidfile", "umask", "templates",       "command-set",
      "currency", "region", "from",   "to",      "out",   "cost-per-message"};
  return options;
}

const std::set<std::string>& FlagOptions() {
  static const std::set<std::string> flags = {"json",   "help",   "version",
                                              "daemon", "launch", "stdin"};
  return flags;
}

}  // namespace

Result<CommandLine> ParseCommandLine(int argc, const char* const* argv) {
  CommandLine line;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h") arg = "--help";
    if (arg == "-c") arg = "--config";
    if (arg == "-V") arg = "--version";
    if (arg.rfind("--", 0) != 0) {
      if (!arg.empty() && arg[0] == '-') {
        return Status::InvalidArgument("unknown option '" + arg + "' (see tillbridge --help)");
      }
      line.words.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (const size_t equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
      has_value = true;
    }
    if (FlagOptions().count(name)) {
      if (has_value) return Status::InvalidArgument("option --" + name + " takes no value");
      line.flags.insert(name);
      if (name == "daemon") line.passthrough.push_back("--daemon");
      continue;
    }
    if (!ValueOptions().count(name)) {
      return Status::InvalidArgument("unknown option '--" + name + "' (see tillbridge --help)");
    }
    if (!has_value) {
      if (i + 1 >= argc) return Status::InvalidArgument("option --" + name + " needs a value");
      value = argv[++i];
    }
    if (line.values.count(name)) {
      return Status::InvalidArgument("option --" + name + " given twice");
    }
    line.values[name] = value;
    if (name == "pidfile" || name == "umask") line.passthrough.push_back("--" + name + "=" + value);
  }
  return line;
}

std::string ConfigPathFor(const CommandLine& line) {
  if (auto it = line.values.find("config"); it != line.values.end()) return it->second;
  if (const char* env = std::getenv("TILLBRIDGE_CONFIG"); env && *env) return env;
  // Where the .deb and the MSI put it (the service itself is given --config).
  return platform::DefaultConfigPath();
}

std::string UsageText() {
  return R"(Usage: tillbridge COMMAND [OPTIONS]

Tillbridge connects this register's point of sale to the cloud SMS platform:
it reads every transaction, keeps customers' SMS consent in a local store that
works offline, and syncs both ways with the cloud.

Commands:
  run                      run the agent in the foreground (Ctrl-C or SIGTERM stops it)
      --daemon             detach and run in the background (Unix)
      --pidfile FILE       write the process id to FILE (with --daemon)
  status [--json]          store statistics, outbox, dead letters, consents,
                           sources, sync state and the local API's address
  doctor                   check config, data folder, store, sources, cloud;
                           one line per check with ok/FAIL and the fix
  consents export --format csv [--output FILE]
                           the consent evidence record, one row per ledger entry
  consents verify          check the consent ledger's hash chain
                           (exit 0 intact, 1 naming the first bad row)
  api-token [--launch]     print the local API's bearer token (for configuring a POS),
                           or a one-time sign-in link for the cashier page
  decode FILE              decode a captured printer stream (bytes the POS sent to
                           its printer) and show each receipt's text and what the
                           templates extract, or why none matched
      --templates PATH     template file or folder (default: printer.templates)
      --command-set SET    auto, escpos or star (default: printer.command_set)
      --currency CODE      ISO 4217 currency of printed amounts (default USD)
      --region CC          country for phone numbers without +prefix (default US)
  report                   what the store's text messages brought in (ROI): redemption,
                           repeat visits, average sale, revenue per message, campaigns
      --from YYYY-MM-DD    first day (default: 29 days before --to)
      --to YYYY-MM-DD      last day, INCLUDED (default: today); days are the store's
                           local days (report.utc_offset)
      --format FORMAT      text (default: a summary with how each figure is computed),
                           html (one page with charts, works offline), json or csv
      --out FILE           write to FILE instead of standard output
      --cost-per-message D what one SMS costs, e.g. 0.0079 (default: report.cost_per_message)
  manager-password [--stdin]
                           set the password of the manager page (/manager on the local
                           API); asks twice on the terminal, or reads one line with --stdin
  config-reference         print every config key with its default (Markdown)

Options for every command:
  -c, --config FILE        config file (default: $TILLBRIDGE_CONFIG, else
                           /etc/tillbridge/tillbridge.ini; on Windows
                           %ProgramData%\Tillbridge\tillbridge.ini)
  -h, --help               show this help
  -V, --version            show the version

Exit codes: 0 success, 1 the command found a problem, 2 bad usage or bad config.
Every config key can be overridden with TILLBRIDGE_<SECTION>_<KEY>; see
docs/config.md. On Windows, `tillbridge /registerService --config FILE`
installs the service and `/unregisterService` removes it.
)";
}

}  // namespace tillbridge::agent
