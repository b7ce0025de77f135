// The reference cloud's HTTP(S) server: the Sync API (/v1), a catch-hook
// receiver (/hooks/...), and admin endpoints for tests and the demo
// (/admin/...), with fault injection on everything but /admin.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "tools/refcloud/cloud_db.h"
#include "tools/refcloud/cloud_rules.h"
#include "tools/refcloud/faults.h"

namespace tillbridge::refcloud {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  std::string token = "dev-token";
  std::string admin_token = "dev-admin-token";
  std::string webhook_secret;  // empty: /hooks answers 404
  std::string tls_cert;        // PEM files; both set: HTTPS
  std::string tls_key;
  std::size_t max_batch_events = 1000;
  std::size_t max_batch_bytes = 4 * 1024 * 1024;
  int max_wait_seconds = 60;
  bool quiet = false;  // no per-request log lines
  // How often the server sends what is due (follow-ups, re-engagement) on
  // its own; 0: only on POST /admin/run-due.
  int tick_seconds = 30;
};

// Writes one readable log line (the caller adds nothing; phones arrive masked).
using LogSink = std::function<void(const std::string& line)>;

class RefCloudServer {
 public:
  // Binds and starts serving, and starts the ticker that sends what is
  // due. The database, faults, rules and clock must outlive the server.
  static Result<std::unique_ptr<RefCloudServer>> Start(const ServerOptions& options, CloudDb& db,
                                                       FaultInjector& faults, CloudRules& rules,
                                                       const Clock& clock, LogSink log);
  ~RefCloudServer();
  RefCloudServer(const RefCloudServer&) = delete;
  RefCloudServer& operator=(const RefCloudServer&) = delete;

  int port() const;
  std::string url() const;  // http(s)://host:port
  // Stops the ticker and accepting, ends long polls, waits for requests in
  // progress.
  void Stop();

  struct Impl;  // the Poco side; defined in server.cpp

 private:
  explicit RefCloudServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tillbridge::refcloud
