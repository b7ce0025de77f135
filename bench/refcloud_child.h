// The reference cloud (tillbridge-refcloud) as a child process for the
// benchmarks, on an ephemeral loopback port with plain HTTP. Bench-only:
// any failure to start it ends the benchmark with a message.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "sync/sync_options.h"

extern char** environ;

namespace tillbridge::bench {

// Killed (SIGTERM) and reaped on destruction. Not copyable.
class RefCloudChild {
 public:
  static constexpr const char* kToken = "bench";

  // Starts `binary` with its database and log in `dir`; `max_batch` is the
  // largest push batch it announces.
  RefCloudChild(const std::string& binary, const std::string& dir, std::size_t max_batch) {
    const std::string log = dir + "/refcloud.log";
    const std::vector<std::string> argv = {binary,
                                           "--port",
                                           "0",
                                           "--quiet",
                                           "--db",
                                           dir + "/cloud.db",
                                           "--token",
                                           kToken,
                                           "--max-batch-events",
                                           std::to_string(max_batch)};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> raw;
    for (const auto& arg : argv) raw.push_back(const_cast<char*>(arg.c_str()));
    raw.push_back(nullptr);
    const int spawned = posix_spawn(&pid_, raw[0], &actions, nullptr, raw.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) Fail("cannot start " + binary);
    for (int i = 0; i < 500 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      std::ifstream in(log);
      const std::string text((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
      const auto at = text.find("port=");
      if (at != std::string::npos) port_ = std::atoi(text.c_str() + at + 5);
    }
    if (port_ == 0) Fail("the reference cloud did not start (see " + log + ")");
  }
  ~RefCloudChild() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  RefCloudChild(const RefCloudChild&) = delete;
  RefCloudChild& operator=(const RefCloudChild&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Distinct events the cloud holds (GET /admin/stats).
  std::int64_t DistinctEvents() const {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port_));
    Poco::Net::HTTPRequest request("GET", "/admin/stats", Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Authorization", "Bearer dev-admin-token");
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
    Poco::JSON::Parser parser;
    return parser.parse(body).extract<Poco::JSON::Object::Ptr>()->getValue<std::int64_t>(
        "events_distinct");
  }

  // Push-only sync settings for this cloud with batches of `batch` events
  // and short retry delays.
  sync::SyncOptions PushOptions(std::size_t batch) const {
    sync::SyncOptions options;
    options.cloud.enabled = true;
    options.cloud.endpoint.url = url();
    options.cloud.token = kToken;
    options.cloud.batch_max_events = batch;
    options.cloud.batch_max_bytes = 4 << 20;
    options.cloud.endpoint.backoff_initial = std::chrono::milliseconds(50);
    options.cloud.endpoint.backoff_max = std::chrono::seconds(1);
    options.cloud.pull = false;
    return options;
  }

 private:
  [[noreturn]] static void Fail(const std::string& why) {
    std::fprintf(stderr, "bench: %s\n", why.c_str());
    std::exit(1);
  }

  pid_t pid_ = 0;
  int port_ = 0;
};

}  // namespace tillbridge::bench
