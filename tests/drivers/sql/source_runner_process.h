// Starts sql_source_runner (the agent's source loop as its own process) so
// a test can kill it with SIGKILL at any moment. POSIX only.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/types.h>

#include <string>

extern char** environ;

namespace tillbridge::drivers::testing {

// Runs the runner with `config` and `store` until the store holds `expect`
// records or `timeout_s` passes; its stdout and stderr go to `log`.
inline pid_t StartSourceRunner(const std::string& config, const std::string& store,
                               const std::string& log, int expect, int timeout_s) {
  const std::string runner =
      std::string(TILLBRIDGE_BINARY_DIR) + "/tests/drivers/sql/sql_source_runner";
  const std::string expected = std::to_string(expect);
  const std::string timeout = std::to_string(timeout_s);
  const char* argv[] = {runner.c_str(), "--config",       config.c_str(), "--store",
                        store.c_str(),  "--expect",       expected.c_str(), "--timeout-s",
                        timeout.c_str(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc =
      posix_spawn(&pid, runner.c_str(), &actions, nullptr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE_MESSAGE(rc == 0, "cannot start ", runner);
  return pid;
}

}  // namespace tillbridge::drivers::testing
