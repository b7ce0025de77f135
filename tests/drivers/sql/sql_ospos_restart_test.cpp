// MariaDB itself is restarted (service mariadb restart) while OSPOS rings up
// 10,000 sales and the source polls: the source reports Unavailable while
// the server is down, reconnects, and each sale reaches the outbox once.
#include <doctest/doctest.h>
#include <unistd.h>

#include <thread>

#include "drivers/sql/sql_source.h"
#include "tests/drivers/sql/burst_check.h"
#include "tests/test_util.h"

namespace tillbridge::drivers {
namespace {

constexpr int kSales = 10000;

TEST_CASE("MariaDB restarted during a burst of 10,000 OSPOS sales: each sale once") {
  if (geteuid() != 0) {
    MESSAGE("skipped: restarting MariaDB needs root (CI runs as root)");
    return;
  }
  tillbridge::testing::TempDir dir;
  auto db = testing::OsposDatabase::Create("restart");
  REQUIRE_MESSAGE(db.ok(), db.status().ToString());
  testing::OsposBurst burst((*db)->name(), kSales, 25);
  REQUIRE(burst.Prepare().ok());

  SqlSourceOptions options;
  options.name = "ospos";
  options.profile = "ospos";
  options.port = testing::MariaDbPort();
  options.database = (*db)->name();
  options.user = testing::kReadOnlyUser;
  options.password = testing::kReadOnlyPassword;
  options.time_zone = "UTC";
  options.start_from = StartFrom::kBeginning;
  options.poll_interval = std::chrono::milliseconds(50);
  PhoneNormalizer phone("US");
  auto source = MakeSqlSource(options, phone, SystemClock::Instance());
  REQUIRE(source.ok());
  auto store = testing::OpenStore(dir.File("store.db"));

  Status written;
  std::thread writer([&] { written = burst.Run(); });
  std::string restart_output;
  int restart_rc = -1;
  std::thread restarter([&] {
    while (burst.committed() < 2500) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    restart_rc = testing::Run("service mariadb restart", &restart_output);
  });

  int unavailable = 0;
  std::string last_error;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(100);
  while (std::chrono::steady_clock::now() < deadline) {
    auto count = store->transactions().Count();
    REQUIRE(count.ok());
    if (*count >= kSales) break;
    auto polled = testing::PollOnce(**source, *store, std::chrono::milliseconds(100));
    if (!polled.ok()) {
      CHECK(polled.status().code() == StatusCode::kUnavailable);
      ++unavailable;
      last_error = polled.status().message();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  writer.join();
  restarter.join();
  REQUIRE_MESSAGE(restart_rc == 0, restart_output);
  REQUIRE_MESSAGE(written.ok(), written.ToString());
  // Whatever is left after the writer finished.
  REQUIRE(testing::Pump(
              **source, *store, [&] { return *store->transactions().Count() >= kSales; },
              std::chrono::seconds(30))
              .ok());
  MESSAGE("polls failed while MariaDB was down: ", unavailable,
          "; writer reconnects: ", burst.reconnects(), "; last error: ", last_error);
  CHECK(unavailable > 0);
  CHECK(last_error.find("POS source 'ospos'") != std::string::npos);
  CHECK((*source)->Health().connected);
  CHECK((*source)->Health().last_error.empty());
  testing::CheckEachSaleOnce(*store, kSales);
}

}  // namespace
}  // namespace tillbridge::drivers
