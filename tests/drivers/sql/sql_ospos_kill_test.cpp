// The agent's source loop (sql_source_runner, a separate process) is killed
// with SIGKILL at random moments while OSPOS rings up 10,000 sales, and
// restarted each time from the cursor in its store: each sale must reach the
// outbox exactly once.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <random>
#include <thread>

#include "tests/drivers/sql/burst_check.h"
#include "tests/drivers/sql/source_runner_process.h"
#include "tests/test_util.h"

namespace tillbridge::drivers {
namespace {

constexpr int kSales = 10000;

TEST_CASE("10,000 OSPOS sales while the agent is killed and restarted: each sale once") {
  tillbridge::testing::TempDir dir;
  auto db = testing::OsposDatabase::Create("kill");
  REQUIRE_MESSAGE(db.ok(), db.status().ToString());
  testing::OsposBurst burst((*db)->name(), kSales, 25);
  REQUIRE(burst.Prepare().ok());
  const std::string config = dir.File("pos.conf");
  {
    std::ofstream out(config);
    out << "pos.profile = ospos\npos.host = 127.0.0.1\npos.port = " << testing::MariaDbPort()
        << "\npos.database = " << (*db)->name() << "\npos.user = " << testing::kReadOnlyUser
        << "\npos.password = " << testing::kReadOnlyPassword
        << "\npos.time_zone = UTC\npos.start_from = beginning\npos.poll_interval = 50ms\n";
  }
  const std::string store_path = dir.File("store.db");
  const std::string log = dir.File("runner.log");

  Status written;
  std::thread writer([&] { written = burst.Run(); });
  std::mt19937 random(std::random_device{}());
  int kills = 0;
  pid_t pid = testing::StartSourceRunner(config, store_path, log, kSales, 130);
  // Kill it while the burst is being written and read: at four points of
  // the writer's progress (so a fast server cannot outrun the schedule),
  // each a random moment after the point is reached.
  for (const int percent : {10, 30, 50, 70}) {
    while (burst.committed() < kSales * percent / 100 && burst.committed() < kSales) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 120));
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) break;  // already done
    REQUIRE(kill(pid, SIGKILL) == 0);
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status));
    ++kills;
    pid = testing::StartSourceRunner(config, store_path, log, kSales, 130);
  }
  writer.join();
  REQUIRE_MESSAGE(written.ok(), written.ToString());
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream log_in(log);
  std::string log_text((std::istreambuf_iterator<char>(log_in)), std::istreambuf_iterator<char>());
  REQUIRE_MESSAGE(WIFEXITED(status), log_text);
  REQUIRE_MESSAGE(WEXITSTATUS(status) == 0, log_text);
  CHECK(kills >= 2);
  MESSAGE("runner killed ", kills, " times");

  auto store = testing::OpenStore(store_path);
  testing::CheckEachSaleOnce(*store, kSales);
}

}  // namespace
}  // namespace tillbridge::drivers
