// The tillbridge executable: `run` is a Poco ServerApplication (Unix daemon
// or Windows service); the other subcommands are plain CLI functions.
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <vector>

#include "agent/cli.h"
#include "agent/commands/commands.h"
#include "agent/commands/consent_commands.h"
#include "agent/config.h"
#include "agent/logging.h"
#include "agent/runtime.h"
#include "agent/version.h"
#include "common/log.h"
#include "common/platform/files.h"

namespace tillbridge::agent {
namespace {

Result<LoadedConfig> LoadFor(const CommandLine& line) {
  return LoadConfig(ConfigPathFor(line), AllConfigKeys(), TillbridgeEnvironment());
}

// The long-running agent. ServerApplication supplies --daemon/--pidfile on
// Unix and /registerService, /unregisterService on Windows.
class AgentApplication : public Poco::Util::ServerApplication {
 public:
  explicit AgentApplication(CommandLine line) : line_(std::move(line)) {}

 protected:
  void defineOptions(Poco::Util::OptionSet& options) override {
    ServerApplication::defineOptions(options);
    // Accepted here so that ServerApplication's own parser does not reject
    // them; the values were already read by ParseCommandLine.
    options.addOption(Poco::Util::Option("config", "c")
                          .argument("FILE")
                          .required(false)
                          .repeatable(false)
                          .noArgument());
  }

  int main(const std::vector<std::string>&) override {
    auto config = LoadFor(line_);
    if (!config.ok()) {
      std::cerr << "tillbridge: " << config.status().message() << "\n";
      return kExitUsage;
    }
    Status logging = ConfigureLogging(*config);
    if (!logging.ok()) {
      std::cerr << "tillbridge: " << logging.message() << "\n";
      return kExitUsage;
    }
    LogInfo("agent", "tillbridge " + std::string(kVersion) + " starting with " + config->path);
    auto runtime = Runtime::Start(*config);
    if (!runtime.ok()) {
      LogError("agent", "cannot start: " + runtime.status().message());
      return kExitFailure;
    }
    LogInfo("agent", "running:\n" + (*runtime)->Describe() +
                         "  stop with Ctrl-C or SIGTERM; `tillbridge status --config " +
                         config->path + "` shows progress");
    waitForTerminationRequest();
    LogInfo("agent", "stopping");
    (*runtime)->Stop();
    LogInfo("agent", "stopped");
    return kExitOk;
  }

 private:
  CommandLine line_;
};

int RunAgent(const CommandLine& line, const char* argv0) {
  // Report config errors on the terminal before any daemonizing.
  auto config = LoadFor(line);
  if (!config.ok()) {
    std::cerr << "tillbridge: " << config.status().message() << "\n";
    return kExitUsage;
  }
  std::vector<std::string> args = {argv0};
  for (const auto& option : line.passthrough) args.push_back(option);
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  AgentApplication app(line);
  return app.run(static_cast<int>(args.size()), argv.data());
}

int Dispatch(int argc, char** argv) {
  auto parsed = ParseCommandLine(argc, argv);
  if (!parsed.ok()) {
    std::cerr << "tillbridge: " << parsed.status().message() << "\n";
    return kExitUsage;
  }
  const CommandLine& line = *parsed;
  if (line.flags.count("version")) {
    std::cout << "tillbridge " << kVersion << "\n";
    return kExitOk;
  }
  if (line.flags.count("help") || line.words.empty() || line.words[0] == "help") {
    std::cout << UsageText();
    return line.words.empty() && !line.flags.count("help") ? kExitUsage : kExitOk;
  }
  const std::string& command = line.words[0];
  if (command == "config-reference") {
    std::cout << ConfigReferenceMarkdown(AllConfigKeys());
    return kExitOk;
  }
  if (command == "run") {
    if (line.words.size() > 1) {
      std::cerr << "tillbridge run: unexpected argument '" << line.words[1] << "'\n";
      return kExitUsage;
    }
    return RunAgent(line, argv[0]);
  }
  if (command == "decode") {
    // A capture can be decoded on any machine: the config file is used when
    // one is named or installed, not required.
    const bool named =
        line.values.count("config") > 0 || std::getenv("TILLBRIDGE_CONFIG") != nullptr;
    if (named || std::filesystem::exists(ConfigPathFor(line))) {
      auto config = LoadFor(line);
      if (!config.ok()) {
        std::cerr << "tillbridge: " << config.status().message() << "\n";
        return kExitUsage;
      }
      return RunDecode(line, &*config, std::cout, std::cerr);
    }
    return RunDecode(line, nullptr, std::cout, std::cerr);
  }
  const std::set<std::string> known = {"status",    "doctor", "consents",
                                       "api-token", "report", "manager-password"};
  if (!known.count(command)) {
    std::cerr << "tillbridge: unknown command '" << command << "' (see tillbridge --help)\n";
    return kExitUsage;
  }
  auto config = LoadFor(line);
  if (!config.ok()) {
    std::cerr << "tillbridge: " << config.status().message() << "\n";
    return kExitUsage;
  }
  if (command == "status")
    return RunStatus(*config, line.flags.count("json") > 0, std::cout, std::cerr);
  if (command == "doctor") return RunDoctor(*config, std::cout);
  if (command == "api-token") return RunApiToken(*config, line, std::cout, std::cerr);
  if (command == "report") {
    return RunReport(*config, line, SystemClock::Instance().NowMillis(), std::cout, std::cerr);
  }
  if (command == "manager-password") return RunManagerPassword(*config, line, std::cout, std::cerr);
  return RunConsents(*config, line, std::cout, std::cerr);
}

}  // namespace
}  // namespace tillbridge::agent

int main(int argc, char** argv) {
  // The store, logs, spool and exports hold phone numbers and consent
  // records: other local users get no access, whatever umask we run under.
  tillbridge::platform::LimitNewFilePermissions();
  // Windows service control: ServerApplication handles these itself.
  if (argc > 1 && argv[1][0] == '/') {
    tillbridge::agent::CommandLine line;
    tillbridge::agent::AgentApplication app(line);
    return app.run(argc, argv);
  }
#ifdef _WIN32
  // A service registered with /registerService starts without arguments:
  // run the agent with the default config path.
  if (argc == 1) return tillbridge::agent::RunAgent(tillbridge::agent::CommandLine{}, argv[0]);
#endif
  return tillbridge::agent::Dispatch(argc, argv);
}
