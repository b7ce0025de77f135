// Helpers for the sync tests: child processes (the reference cloud, the
// sync driver, a proxy), an HTTP client for the cloud's admin API, a clock
// that can run fast, and generated transactions.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "store/model.h"
#include "sync/sync_options.h"

namespace tillbridge::testing {

// A child process with stdout and stderr sent to a file. Killed (SIGKILL)
// and reaped on destruction if still running, and killed by the kernel if
// the thread that spawned it dies (spawn from the test's main thread).
class ChildProcess {
 public:
  static Result<std::unique_ptr<ChildProcess>> Spawn(const std::vector<std::string>& argv,
                                                     const std::string& output_file);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int pid() const { return pid_; }
  void Signal(int signal);
  // Waits for exit; returns the exit code, 128+signal when killed, or -1 on
  // timeout.
  int Wait(std::chrono::milliseconds timeout);
  bool running();
  // Waits until the output file has a line containing `needle`; returns it.
  std::optional<std::string> WaitForLine(const std::string& needle,
                                         std::chrono::milliseconds timeout) const;
  std::string Output() const;

 private:
  ChildProcess(int pid, std::string output_file)
      : pid_(pid), output_file_(std::move(output_file)) {}
  int pid_;
  std::string output_file_;
  bool reaped_ = false;
  int status_ = 0;
};

// A parsed JSON answer from the admin API (Poco stays inside the .cpp).
class JsonValue {
 public:
  JsonValue() = default;
  static JsonValue Parse(const std::string& text);
  bool valid() const { return valid_; }
  std::int64_t Int(const std::string& path) const;  // "faults.drop_after"
  std::string Text(const std::string& path) const;
  // Elements of the array at `path`, each as its own JSON text.
  std::vector<JsonValue> Array(const std::string& path) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  bool valid_ = false;
};

struct HttpAnswer {
  int status = 0;  // 0: no answer
  std::string body;
  JsonValue json;
};

// A running tillbridge-refcloud on 127.0.0.1 with an ephemeral port.
class RefCloud {
 public:
  struct Options {
    std::vector<std::string> extra_args;  // e.g. {"--error-rate", "0.1"}
    std::string token = "test-token";
    std::string admin_token = "test-admin";
    std::string tls_cert;
    std::string tls_key;
    std::string webhook_secret;
    std::string db;  // empty: a file in a temp folder owned by the caller
  };
  static Result<std::unique_ptr<RefCloud>> Start(const std::string& work_dir, Options options);
  ~RefCloud();

  int port() const { return port_; }
  std::string url() const { return url_; }
  const Options& options() const { return options_; }
  ChildProcess& process() { return *process_; }

  // Any request, with exactly the headers given.
  HttpAnswer Request(const std::string& method, const std::string& path, const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers) const;
  // A request with the admin token.
  HttpAnswer Admin(const std::string& method, const std::string& path,
                   const std::string& body = "") const;
  // GET /admin/stats as JSON.
  JsonValue Stats() const;
  // PUT /admin/faults with `json`; true when accepted.
  bool SetFaults(const std::string& json) const;
  // Every received event in order of first receipt: (customer, pos_id).
  std::vector<std::pair<std::string, std::string>> EventsInOrder() const;

  // Cloud options for a SyncService talking to this cloud.
  sync::SyncOptions SyncOptionsFor() const;

 private:
  Options options_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
  std::string url_;
};

// A thread-safe clock for tests: starts at `start`, moves `speed` times
// faster than real time, and can jump.
class FastClock final : public Clock {
 public:
  explicit FastClock(UnixMillis start);
  UnixMillis NowMillis() const override;
  void SetSpeed(double speed);
  void Advance(std::chrono::milliseconds by);

 private:
  mutable std::mutex mutex_;
  UnixMillis base_;                               // guarded by mutex_
  std::chrono::steady_clock::time_point anchor_;  // guarded by mutex_
  double speed_ = 1.0;                            // guarded by mutex_
};

// `count` sales numbered from `first`, spread over `customers` phones
// (+1415555xxxx); phone-less when `customers` is 0.
std::vector<store::Transaction> MakeSales(std::int64_t first, std::int64_t count, int customers,
                                          UnixMillis occurred_at);
std::string CustomerPhone(int index);

// Knobs for running the soak tests again with other values (see
// docs/testing.md). Each reads its environment variable once per call and
// stops the test with a clear message when the value is not usable.
//   TILLBRIDGE_TEST_SEED          random seed (a fresh one when unset)
//   TILLBRIDGE_TEST_FAILURE_RATE  share of cloud requests that fail, 0 to 0.9
//   TILLBRIDGE_TEST_KILLS         how many times the kill test SIGKILLs
std::uint64_t TestSeed();
double TestFailureRate(double fallback);
int TestKills(int fallback);

// Reference-cloud fault settings (PUT /admin/faults) that fail `rate` of
// requests: 40 % of the failures are 5xx errors, 47 % dropped connections
// (half before, half after the cloud processed the request) and 13 % 429s
// with a one-second Retry-After.
std::string FaultsForRate(double rate);

// Path of a built binary under TILLBRIDGE_BINARY_DIR.
std::string BinaryPath(const std::string& relative);

// Waits until `done` returns true, polling every 20 ms; false on timeout.
bool WaitUntilTrue(const std::function<bool()>& done, std::chrono::milliseconds timeout);

// A free TCP port on 127.0.0.1 (bound to 0 and released: for tools that
// cannot report the port they picked).
int FreePort();
// True when something accepts TCP connections on 127.0.0.1:`port`.
bool PortOpen(int port);

// Creates a test CA and a server certificate for 127.0.0.1 signed by it
// (and a self-signed one not signed by it) with the openssl CLI.
struct TestPki {
  std::string ca_cert;
  std::string server_cert;
  std::string server_key;
  std::string wrong_host_cert;  // signed by the CA, but for another host name
  std::string wrong_host_key;
  std::string self_signed_cert;
  std::string self_signed_key;
};
Result<TestPki> MakeTestPki(const std::string& dir);

}  // namespace tillbridge::testing
