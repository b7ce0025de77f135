// tillbridge-refcloud: the reference implementation of the Sync API, for
// tests, benchmarks and the demo. See --help and docs/sync-api.md.
#include <Poco/Net/SSLManager.h>
#include <signal.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/config_spec.h"
#include "tools/refcloud/cloud_db.h"
#include "tools/refcloud/cloud_rules.h"
#include "tools/refcloud/faults.h"
#include "tools/refcloud/rules.h"
#include "tools/refcloud/server.h"

namespace tillbridge::refcloud {
namespace {

constexpr const char* kUsage =
    R"(tillbridge-refcloud: reference implementation of the Tillbridge Sync API

Usage: tillbridge-refcloud [options]

Serving
  --host ADDR              address to listen on (default 127.0.0.1)
  --port N                 port; 0 picks a free one (default 0). The first
                           line on stdout is "refcloud listening <url> port=<N>"
  --db PATH                SQLite file for what the cloud records
                           (default :memory:)
  --token TOKEN            bearer token agents must send (default dev-token)
  --admin-token TOKEN      bearer token for /admin/... (default dev-admin-token)
  --webhook-secret SECRET  accept signed catch-hook POSTs at /hooks/<name>
  --tls-cert FILE          PEM certificate (chain) to serve HTTPS
  --tls-key FILE           PEM private key for --tls-cert
  --brand NAME             store name used in SMS texts (default "Corner Store")
  --rules FILE             message rules and sending numbers (JSON, see
                           docs/messages.md); default: the rules last put
                           through PUT /admin/rules into --db, else the
                           built-in rules (tools/refcloud/rules.default.json)
  --tick-seconds N         send due follow-ups and re-engagement every N
                           seconds (default 30; 0: only POST /admin/run-due)
  --coupon-upc-prefix D    UPC number system (one digit) that starts every
                           coupon's UPC-A (default 5, GS1's coupon system)
  --max-batch-events N     push limit announced to agents (default 1000)
  --max-batch-bytes N      push body limit (default 4194304)
  --max-wait SECONDS       longest long poll (default 60)
  --quiet                  no per-request log lines (SMS and consent lines stay)

Faults (also switchable at runtime: PUT /admin/faults)
  --seed N                 random seed for faults (default 1)
  --error-rate X           share of requests answered 503 (0..1)
  --throttle-rate X        share answered 429 with Retry-After
  --retry-after SECONDS    the Retry-After value (default 1)
  --drop-rate X            share whose connection is closed without an answer
                           (half before processing, half after)
  --latency MS             added to every answer
  --latency-jitter MS      plus up to this much, at random
  --outage START+LENGTH    drop everything in this window after start-up,
                           e.g. 10s+30s; may be repeated

  --help                   this text
)";

struct Args {
  ServerOptions server;
  std::string db = ":memory:";
  std::string brand = "Corner Store";
  std::string rules_file;
  char coupon_upc_prefix = '5';
  std::uint64_t seed = 1;
  FaultSettings faults;
  std::vector<std::pair<std::int64_t, std::int64_t>> outages;  // offsets in ms
  bool help = false;
};

Result<double> Rate(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || value < 0 || value > 1) {
    return Status::InvalidArgument(flag + ": expected a number from 0 to 1, got '" + text + "'");
  }
  return value;
}

Result<std::int64_t> Number(const std::string& flag, const std::string& text, std::int64_t min,
                            std::int64_t max) {
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < min ||
      value > max) {
    return Status::InvalidArgument(flag + ": expected a whole number from " + std::to_string(min) +
                                   " to " + std::to_string(max) + ", got '" + text + "'");
  }
  return value;
}

Result<Args> ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      args.help = true;
      continue;
    }
    if (flag == "--quiet") {
      args.server.quiet = true;
      continue;
    }
    if (i + 1 >= argc) return Status::InvalidArgument(flag + ": needs a value (see --help)");
    const std::string value = argv[++i];
    if (flag == "--host") {
      args.server.host = value;
    } else if (flag == "--port") {
      auto port = Number(flag, value, 0, 65535);
      if (!port.ok()) return port.status();
      args.server.port = static_cast<int>(*port);
    } else if (flag == "--db") {
      args.db = value;
    } else if (flag == "--token") {
      args.server.token = value;
    } else if (flag == "--admin-token") {
      args.server.admin_token = value;
    } else if (flag == "--webhook-secret") {
      args.server.webhook_secret = value;
    } else if (flag == "--tls-cert") {
      args.server.tls_cert = value;
    } else if (flag == "--tls-key") {
      args.server.tls_key = value;
    } else if (flag == "--brand") {
      args.brand = value;
    } else if (flag == "--rules") {
      args.rules_file = value;
    } else if (flag == "--tick-seconds") {
      auto n = Number(flag, value, 0, 86'400);
      if (!n.ok()) return n.status();
      args.server.tick_seconds = static_cast<int>(*n);
    } else if (flag == "--coupon-upc-prefix") {
      if (value.size() != 1 || value[0] < '0' || value[0] > '9') {
        return Status::InvalidArgument(
            flag + ": expected one digit 0-9 (a UPC number system), got '" + value + "'");
      }
      args.coupon_upc_prefix = value[0];
    } else if (flag == "--max-batch-events") {
      auto n = Number(flag, value, 1, 100'000);
      if (!n.ok()) return n.status();
      args.server.max_batch_events = static_cast<size_t>(*n);
    } else if (flag == "--max-batch-bytes") {
      auto n = Number(flag, value, 1024, 256LL * 1024 * 1024);
      if (!n.ok()) return n.status();
      args.server.max_batch_bytes = static_cast<size_t>(*n);
    } else if (flag == "--max-wait") {
      auto n = Number(flag, value, 0, 600);
      if (!n.ok()) return n.status();
      args.server.max_wait_seconds = static_cast<int>(*n);
    } else if (flag == "--seed") {
      auto n = Number(flag, value, 0, INT64_MAX);
      if (!n.ok()) return n.status();
      args.seed = static_cast<std::uint64_t>(*n);
    } else if (flag == "--error-rate") {
      auto rate = Rate(flag, value);
      if (!rate.ok()) return rate.status();
      args.faults.error_rate = *rate;
    } else if (flag == "--throttle-rate") {
      auto rate = Rate(flag, value);
      if (!rate.ok()) return rate.status();
      args.faults.throttle_rate = *rate;
    } else if (flag == "--drop-rate") {
      auto rate = Rate(flag, value);
      if (!rate.ok()) return rate.status();
      args.faults.drop_rate = *rate;
    } else if (flag == "--retry-after") {
      auto n = Number(flag, value, 0, 86'400);
      if (!n.ok()) return n.status();
      args.faults.retry_after_seconds = static_cast<int>(*n);
    } else if (flag == "--latency") {
      auto n = Number(flag, value, 0, 600'000);
      if (!n.ok()) return n.status();
      args.faults.latency_ms = static_cast<int>(*n);
    } else if (flag == "--latency-jitter") {
      auto n = Number(flag, value, 0, 600'000);
      if (!n.ok()) return n.status();
      args.faults.latency_jitter_ms = static_cast<int>(*n);
    } else if (flag == "--outage") {
      const auto plus = value.find('+');
      auto start = ParseDuration(value.substr(0, plus));
      auto length =
          plus == std::string::npos
              ? Result<std::chrono::milliseconds>(Status::InvalidArgument("missing +LENGTH"))
              : ParseDuration(value.substr(plus + 1));
      if (!start.ok() || !length.ok()) {
        return Status::InvalidArgument("--outage: expected START+LENGTH such as 10s+30s, got '" +
                                       value + "'");
      }
      args.outages.emplace_back(start->count(), length->count());
    } else {
      return Status::InvalidArgument("unknown option " + flag + " (see --help)");
    }
  }
  if (args.faults.error_rate + args.faults.throttle_rate + args.faults.drop_rate > 1) {
    return Status::InvalidArgument("--error-rate + --throttle-rate + --drop-rate exceeds 1");
  }
  return args;
}

// The rules from `path`, or the built-in ones when it is empty.
Result<RuleSet> LoadRules(const std::string& path) {
  if (path.empty()) return ParseRuleSet(DefaultRulesJson());
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("--rules: cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  auto rules = ParseRuleSet(text.str());
  if (!rules.ok())
    return Status::InvalidArgument("--rules " + path + ": " + rules.status().message());
  return rules;
}

std::mutex& OutputMutex() {
  static std::mutex mutex;
  return mutex;
}

// One line per thing that happened, time-stamped. Callers mask phone
// numbers (MaskPhone) where they print them.
void PrintLine(const std::string& line) {
  const UnixMillis now = SystemClock::Instance().NowMillis();
  const std::string stamp = FormatRfc3339(now).substr(11, 12);
  std::lock_guard lock(OutputMutex());
  std::cout << stamp << " refcloud " << line << '\n' << std::flush;
}

int Run(int argc, char** argv) {
  auto args = ParseArgs(argc, argv);
  if (!args.ok()) {
    std::cerr << "tillbridge-refcloud: " << args.status().message() << "\n";
    return 2;
  }
  if (args->help) {
    std::cout << kUsage;
    return 0;
  }
  // Block termination signals in every thread; main waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto rule_set = LoadRules(args->rules_file);
  if (!rule_set.ok()) {
    std::cerr << "tillbridge-refcloud: " << rule_set.status().message() << "\n";
    return 2;
  }
  const Clock& clock = SystemClock::Instance();
  auto db = CloudDb::Open(args->db, clock);
  if (!db.ok()) {
    std::cerr << "tillbridge-refcloud: " << db.status().message() << "\n";
    return 1;
  }
  // Which rules: --rules FILE when given, else those last put through
  // PUT /admin/rules into this database, else the built-in ones.
  std::string rules_from = args->rules_file.empty() ? "built-in" : args->rules_file;
  if (args->rules_file.empty()) {
    auto saved = (*db)->SavedRules();
    if (saved.ok() && saved->has_value()) {
      auto parsed = ParseRuleSet(**saved);
      if (parsed.ok()) {
        rule_set = std::move(parsed);
        rules_from = "saved by PUT /admin/rules";
      } else {
        std::cerr << "tillbridge-refcloud: the rules saved by PUT /admin/rules no longer parse ("
                  << parsed.status().message() << "); using the built-in rules\n";
      }
    }
  }
  const UnixMillis started = clock.NowMillis();
  for (const auto& [offset, length] : args->outages) {
    args->faults.windows.emplace_back(started + offset, started + offset + length);
  }
  FaultInjector faults(args->seed, clock);
  faults.Set(args->faults);
  CloudRules rules(args->brand, args->coupon_upc_prefix, std::move(rule_set).value());
  const bool tls = !args->server.tls_cert.empty() || !args->server.tls_key.empty();
  if (tls) Poco::Net::initializeSSL();
  int exit_code = 0;
  {
    auto server = RefCloudServer::Start(args->server, **db, faults, rules, clock, PrintLine);
    if (!server.ok()) {
      std::cerr << "tillbridge-refcloud: " << server.status().message() << "\n";
      exit_code = 1;
    } else {
      {
        std::lock_guard lock(OutputMutex());
        std::cout << "refcloud listening " << (*server)->url() << " port=" << (*server)->port()
                  << " rules=" << rules_from << std::endl;
      }
      int received = 0;
      sigwait(&signals, &received);
      PrintLine(std::string("stopping on ") + (received == SIGINT ? "SIGINT" : "SIGTERM"));
      (*server)->Stop();
    }
  }
  if (tls) Poco::Net::uninitializeSSL();
  return exit_code;
}

}  // namespace
}  // namespace tillbridge::refcloud

int main(int argc, char** argv) { return tillbridge::refcloud::Run(argc, argv); }
