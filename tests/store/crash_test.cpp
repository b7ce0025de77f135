// Kills a child that ingests in a loop with SIGKILL at random moments, then
// checks that every ingest it reported as committed is present, nothing is
// half-written, and the consent chain verifies (ARCHITECTURE invariant 2).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <set>
#include <string>

#include "store/consent_ledger.h"
#include "store/outbox.h"
#include "store/sqlite_db.h"
#include "store/store.h"
#include "store/transaction_log.h"
#include "tests/test_util.h"

namespace tillbridge::store {
namespace {

struct ChildRun {
  long last_committed = 0;
  int lines = 0;
};

// Starts the child, lets it run for `run_for`, kills it, and returns the
// highest number it reported committed.
ChildRun RunAndKill(const std::string& child, const std::string& db,
                    std::chrono::milliseconds run_for) {
  int out[2];
  REQUIRE(pipe(out) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execl(child.c_str(), child.c_str(), db.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  ChildRun run;
  std::string buffer;
  auto parse = [&] {
    size_t newline;
    while ((newline = buffer.find('\n')) != std::string::npos) {
      const std::string line = buffer.substr(0, newline);
      buffer.erase(0, newline + 1);
      if (line.rfind("committed ", 0) == 0) {
        run.last_committed = std::stol(line.substr(10));
        ++run.lines;
      }
    }
  };
  const auto deadline = std::chrono::steady_clock::now() + run_for;
  char chunk[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd fd{out[0], POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (poll(&fd, 1, static_cast<int>(std::max<long>(0, left.count()))) > 0) {
      const ssize_t n = read(out[0], chunk, sizeof chunk);
      if (n <= 0) break;
      buffer.append(chunk, static_cast<size_t>(n));
      parse();
    }
  }
  kill(pid, SIGKILL);
  // Lines already written before the kill are still in the pipe.
  for (;;) {
    const ssize_t n = read(out[0], chunk, sizeof chunk);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
  }
  parse();
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK_MESSAGE((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL),
                "child exited on its own: status ", status);
  return run;
}

}  // namespace

TEST_CASE("nothing committed is lost across 60 SIGKILLs") {
  const std::string child = std::string(TILLBRIDGE_BINARY_DIR) + "/tests/store/store_crash_child";
  tillbridge::testing::TempDir dir;
  const std::string db = dir.File("crash.db");
  std::mt19937 random(20261129);
  std::uniform_int_distribution<int> pick_ms(20, 160);
  long reported = 0;
  int kills = 0;
  for (int round = 0; round < 60; ++round) {
    CAPTURE(round);
    const ChildRun run = RunAndKill(child, db, std::chrono::milliseconds(pick_ms(random)));
    ++kills;
    if (run.lines > 0) reported = std::max(reported, run.last_committed);

    StoreOptions options;
    options.path = db;
    options.store_id = "crash-store";
    auto store = Store::Open(options);
    REQUIRE_MESSAGE(store.ok(), store.status().ToString());
    // The cursor moves with the records: all of 1..cursor are present, and
    // everything the child reported is at or below the cursor.
    auto cursor = (*store)->transactions().Cursor("pos").value();
    const long stored_cursor = cursor ? std::stol(*cursor) : 0;
    CHECK(stored_cursor >= reported);
    CHECK((*store)->transactions().Count().value() == stored_cursor);
    CHECK((*store)->outbox().Depth().value() >= stored_cursor);
    {
      auto raw = Database::Open(db, false);
      REQUIRE(raw.ok());
      // No transaction without all three lines, no line without its transaction.
      CHECK((*raw)
                ->QueryInt("SELECT count(*) FROM transactions t WHERE (SELECT count(*) FROM "
                           "transaction_lines l WHERE l.transaction_id = t.id) != 3")
                .value() == 0);
      CHECK(
          (*raw)->QueryInt("SELECT count(*) FROM outbox WHERE type LIKE 'transaction.%'").value() ==
          stored_cursor);
    }
    auto chain = (*store)->consents().Verify();
    REQUIRE(chain.ok());
    CHECK_MESSAGE(!chain->first_bad_seq.has_value(), chain->reason);
    CHECK((*store)->CheckIntegrity().ok());
  }
  CHECK(kills >= 50);
  CHECK(reported > 0);
  MESSAGE("kills: ", kills, ", records committed: ", reported);
}

}  // namespace tillbridge::store
