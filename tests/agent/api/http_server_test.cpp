// The HTTP server on its own, with a handler the test controls, over real
// loopback TCP: what happens when every connection of a client is being
// answered, at the total connection limit, and on Stop.
#include "agent/api/http_server.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/api/json.h"
#include "tests/agent/api/raw_client.h"
#include "tests/test_util.h"

namespace tillbridge::agent::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Answers 200 once the test lets it; counts what the server answered itself.
class GateHandler final : public HttpHandler {
 public:
  HttpResponse Handle(const HttpRequest& request) override {
    std::unique_lock lock(mutex_);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    return JsonResponse(200, R"({"path":")" + request.path + R"("})");
  }
  void Answered(std::string_view, int status) override {
    std::lock_guard lock(mutex_);
    answered_.push_back(status);
  }

  void Open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  bool WaitEntered(int count, milliseconds limit) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return entered_ >= count; });
  }
  std::vector<int> answered() {
    std::lock_guard lock(mutex_);
    return answered_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  int entered_ = 0;
  std::vector<int> answered_;
};

std::unique_ptr<HttpServer> StartServer(const HttpServerOptions& options, HttpHandler& handler) {
  auto started = HttpServer::Start(options, handler);
  REQUIRE_MESSAGE(started.ok(), started.status().ToString());
  return std::move(started).value();
}

const std::string kGet = "GET /x HTTP/1.1\r\nHost: x\r\n\r\n";

}  // namespace

TEST_CASE("when all of a client's connections are being answered, a new one gets 503") {
  GateHandler handler;
  HttpServerOptions options;
  options.worker_threads = 4;
  options.max_connections_per_client = 2;
  auto server = StartServer(options, handler);

  RawClient first(server->Port());
  RawClient second(server->Port());
  REQUIRE(first.Send(kGet));
  REQUIRE(second.Send(kGet));
  REQUIRE(handler.WaitEntered(2, seconds(5)));

  RawClient third(server->Port());
  CHECK(third.Read(seconds(5)));
  const std::string& refused = third.received();
  CHECK(refused.rfind("HTTP/1.1 503", 0) == 0);
  CHECK(refused.find("Retry-After: 1") != std::string::npos);
  CHECK(refused.find("Connection: close") != std::string::npos);
  auto json = ParseJson(third.Body());
  REQUIRE(json.ok());
  CHECK(json->Find("error") != nullptr);

  handler.Open();
  CHECK(first.ReadUntil("/x", seconds(5)));
  CHECK(second.ReadUntil("/x", seconds(5)));
  CHECK(first.received().rfind("HTTP/1.1 200", 0) == 0);
  CHECK(handler.answered() == std::vector<int>{503});
}

TEST_CASE("at the total limit the longest-idle connection makes room") {
  GateHandler handler;
  handler.Open();
  HttpServerOptions options;
  options.max_connections = 8;
  options.max_connections_per_client = 100;
  auto server = StartServer(options, handler);

  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 8; ++i) {
    idle.push_back(std::make_unique<RawClient>(server->Port()));
    std::this_thread::sleep_for(milliseconds(20));
  }
  RawClient newcomer(server->Port());
  REQUIRE(newcomer.Send(kGet));
  CHECK(newcomer.ReadUntil("/x", seconds(5)));
  // The oldest, which never sent a byte, was closed without an answer.
  CHECK(idle[0]->Read(seconds(5)));
  CHECK(idle[0]->received().empty());
  for (std::size_t i = 1; i < idle.size(); ++i) CHECK_FALSE(idle[i]->HasNews());
}

TEST_CASE("beyond the memory budget the largest request still arriving makes room") {
  GateHandler handler;
  handler.Open();
  HttpServerOptions options;
  options.limits.max_body_bytes = 1024 * 1024;
  options.max_buffered_bytes = 100 * 1024;
  auto server = StartServer(options, handler);

  RawClient large(server->Port());
  REQUIRE(large.Send("POST /large HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n" +
                     std::string(80 * 1024, 'a')));
  std::this_thread::sleep_for(milliseconds(200));
  RawClient small(server->Port());
  REQUIRE(small.Send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 51200\r\n\r\n" +
                     std::string(40 * 1024, 'b')));
  CHECK(large.ReadUntil("\r\n\r\n", seconds(5)));
  CHECK(large.received().rfind("HTTP/1.1 503", 0) == 0);
  CHECK(large.received().find("too much at once") != std::string::npos);
  REQUIRE(small.Send(std::string(10 * 1024, 'b')));
  CHECK(small.ReadUntil("/small", seconds(5)));
  CHECK(small.received().rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("Stop lets a request being answered finish and closes the rest") {
  GateHandler handler;
  auto server = StartServer(HttpServerOptions{}, handler);
  RawClient busy(server->Port());
  RawClient idle(server->Port());
  REQUIRE(busy.Send(kGet));
  REQUIRE(handler.WaitEntered(1, seconds(5)));

  auto stopping = std::async(std::launch::async, [&] { server->Stop(); });
  CHECK(idle.Read(seconds(5)));
  CHECK(idle.received().empty());
  CHECK(stopping.wait_for(milliseconds(300)) == std::future_status::timeout);
  handler.Open();
  stopping.get();
  CHECK(busy.Read(seconds(5)));
  CHECK(busy.received().rfind("HTTP/1.1 200", 0) == 0);
  CHECK(busy.received().find("Connection: close") != std::string::npos);
}

}  // namespace tillbridge::agent::testing
