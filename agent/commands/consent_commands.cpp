#include "agent/commands/consent_commands.h"

#include <fstream>
#include <ostream>

#include "agent/api/api_options.h"
#include "agent/api/api_token.h"
#include "agent/api/consent_export.h"
#include "agent/commands/commands.h"
#include "agent/runtime.h"
#include "store/store.h"

namespace tillbridge::agent {

int RunConsents(const LoadedConfig& config, const CommandLine& line, std::ostream& out,
                std::ostream& err) {
  if (line.words.size() != 2 || (line.words[1] != "export" && line.words[1] != "verify")) {
    err << "tillbridge consents: expected 'consents export --format csv' or 'consents verify'\n";
    return kExitUsage;
  }
  auto store = OpenConfiguredStore(config, /*create_dir=*/false);
  if (!store.ok()) {
    err << "tillbridge consents: " << store.status().message() << "\n";
    return kExitFailure;
  }
  if (line.words[1] == "verify") return VerifyConsentChain(**store, out);

  const auto format = line.values.find("format");
  if (format != line.values.end() && format->second != "csv") {
    err << "tillbridge consents export: unknown format '" << format->second
        << "' (only csv is supported)\n";
    return kExitUsage;
  }
  std::ofstream file;
  std::ostream* target = &out;
  if (auto output = line.values.find("output"); output != line.values.end()) {
    file.open(output->second, std::ios::binary | std::ios::trunc);
    if (!file) {
      err << "tillbridge consents export: cannot write " << output->second << "\n";
      return kExitFailure;
    }
    target = &file;
  }
  Status written = WriteConsentsCsv(**store, *target);
  if (!written.ok()) {
    err << "tillbridge consents export: " << written.message() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

int RunApiToken(const LoadedConfig& config, const CommandLine& line, std::ostream& out,
                std::ostream& err) {
  auto options = ApiOptionsFrom(config.values, config.values.GetString("agent.data_dir"));
  if (!options.ok()) {
    err << "tillbridge api-token: " << options.status().message() << "\n";
    return kExitUsage;
  }
  std::string token = options->token;
  if (token.empty()) {
    auto loaded = LoadOrCreateApiToken(options->token_file);
    if (!loaded.ok()) {
      err << "tillbridge api-token: " << loaded.status().message() << "\n";
      return kExitFailure;
    }
    token = *loaded;
  }
  if (line.flags.count("launch")) {
    // A one-time sign-in link for the cashier page; the token is not in it.
    out << MakeLaunchUrl(ApiBaseUrl(options->listen_address, options->port), token,
                         SystemClock::Instance().NowMillis(), options->launch_link_ttl)
        << "\n";
    return kExitOk;
  }
  out << token << "\n";
  return kExitOk;
}

}  // namespace tillbridge::agent
