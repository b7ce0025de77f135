// The local API stays available to cashiers while other clients misbehave,
// over real loopback TCP: idle and byte-a-second connections are closed at
// their deadlines, one client's connections are limited, oversized requests
// get JSON errors and a clean close, and new requests are answered while
// 300 slow connections are held. Timing bounds are generous on purpose (a
// shared machine); bench/api_slow_clients_bench measures the latency itself.
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "tests/agent/api/api_test_util.h"
#include "tests/agent/api/raw_client.h"

namespace tillbridge::agent::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

const std::string kConsent =
    R"({"phone":"(415) 555-0134","purpose":"marketing","granted":true,)"
    R"("method":"cashier_entry","disclosure_version":"1","cashier_id":"c-17"})";

// The start of a request head that a slow client never finishes.
const std::string kSlowHead = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// The error of a response that must be the API's JSON error shape.
void ExpectJsonError(const std::string& response, int status, const std::string& reason_part) {
  CAPTURE(response.substr(0, 600));
  REQUIRE(response.rfind("HTTP/1.1 " + std::to_string(status), 0) == 0);
  std::string lower = response.substr(0, response.find("\r\n\r\n"));
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  CHECK(lower.find("content-type: application/json") != std::string::npos);
  CHECK(lower.find("connection: close") != std::string::npos);
  auto parsed = ParseJson(response.substr(response.find("\r\n\r\n") + 4));
  REQUIRE(parsed.ok());
  CHECK(At(*parsed, "error.field") == "null");
  CHECK(At(*parsed, "error.reason").find(reason_part) != std::string::npos);
}

// A cashier's two requests: the health check and an opt-in, each on a new
// connection, each answered well within `limit`.
void ExpectCashierServed(ApiFixture& api, const std::string& phone, seconds limit) {
  auto start = SteadyClock::now();
  const Reply health = Call(api.port(), "GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(SecondsSince(start) < static_cast<double>(limit.count()));

  std::string body = kConsent;
  body.replace(body.find("(415) 555-0134"), 14, phone);
  start = SteadyClock::now();
  const Reply opt_in = api.Post("/v1/consents", body);
  CHECK_MESSAGE((opt_in.status == 201 || opt_in.status == 200), opt_in.body);
  CHECK(At(opt_in.Json(), "state") == "opted_in");
  CHECK(SecondsSince(start) < static_cast<double>(limit.count()));
}

// Connections that hold the server up by sending one byte of a header now
// and then and never finishing it.
class SlowClients {
 public:
  SlowClients(std::uint16_t port, int count, milliseconds interval) {
    for (int i = 0; i < count; ++i) {
      clients_.push_back(std::make_unique<RawClient>(port));
      clients_.back()->Send(kSlowHead);
    }
    sender_ = std::thread([this, interval] {
      while (!stop_.load()) {
        for (auto& client : clients_) {
          if (stop_.load()) break;
          if (!client->send_failed()) client->Send("a");
        }
        const auto until = SteadyClock::now() + interval;
        while (!stop_.load() && SteadyClock::now() < until) {
          std::this_thread::sleep_for(milliseconds(20));
        }
      }
    });
  }
  ~SlowClients() {
    stop_.store(true);
    sender_.join();
  }
  SlowClients(const SlowClients&) = delete;
  SlowClients& operator=(const SlowClients&) = delete;

  // How many the server still holds silently (nothing sent back, not closed).
  int Held() {
    int held = 0;
    for (auto& client : clients_) held += client->HasNews() ? 0 : 1;
    return held;
  }
  std::vector<std::unique_ptr<RawClient>>& clients() { return clients_; }

 private:
  std::vector<std::unique_ptr<RawClient>> clients_;
  std::atomic<bool> stop_{false};
  std::thread sender_;
};

ApiOptions OptionsWith(milliseconds header_timeout, milliseconds request_timeout) {
  ApiOptions options = ApiFixture::TestOptions();
  options.header_timeout = header_timeout;
  options.request_timeout = request_timeout;
  return options;
}

}  // namespace

TEST_CASE("idle connections neither delay others nor outlive api.header_timeout") {
  ApiOptions options = OptionsWith(milliseconds(500), seconds(10));
  options.keep_alive_timeout = milliseconds(300);
  ApiFixture api(options);
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 20; ++i) idle.push_back(std::make_unique<RawClient>(api.port()));

  const auto start = SteadyClock::now();
  CHECK(Call(api.port(), "GET", "/healthz").status == 200);
  CHECK(SecondsSince(start) < 2.0);

  // They sent nothing, so they are closed without an answer.
  for (auto& client : idle) {
    CHECK(client->Read(seconds(5)));
    CHECK(client->received().empty());
  }
  CHECK(SecondsSince(start) < 5.0);

  // A kept-alive connection that goes quiet is closed after
  // api.keep_alive_timeout.
  RawClient kept(api.port());
  REQUIRE(kept.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  CHECK(kept.Read(seconds(5)));
  CHECK(kept.received().rfind("HTTP/1.1 200", 0) == 0);
  CHECK(kept.received().find("Connection: keep-alive") != std::string::npos);
}

TEST_CASE("a byte a second does not stretch a request past its deadline") {
  ApiFixture api(OptionsWith(milliseconds(1000), milliseconds(2000)));

  // Headers trickling in: 408 once api.header_timeout has passed since the
  // connection opened, however recently the last byte came.
  {
    RawClient slow(api.port());
    const auto start = SteadyClock::now();
    REQUIRE(slow.Send(kSlowHead));
    while (!slow.closed() && SecondsSince(start) < 8.0) {
      slow.Send("a");
      slow.Read(milliseconds(200));
    }
    CHECK(slow.closed());
    CHECK(SecondsSince(start) < 4.0);
    ExpectJsonError(slow.received(), 408, "headers did not arrive within 1000 ms");
  }
  // A body trickling in: 408 once api.request_timeout has passed.
  {
    RawClient slow(api.port());
    const auto start = SteadyClock::now();
    REQUIRE(
        slow.Send(std::string("POST /v1/consents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") +
                  kToken + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"));
    while (!slow.closed() && SecondsSince(start) < 8.0) {
      slow.Send(" ");
      slow.Read(milliseconds(200));
    }
    CHECK(slow.closed());
    CHECK(SecondsSince(start) < 5.0);
    ExpectJsonError(slow.received(), 408, "body did not arrive within 2000 ms");
  }
  CHECK(Call(api.port(), "GET", "/healthz").status == 200);
}

TEST_CASE("one client's connections are limited; its longest-waiting one makes room") {
  ApiOptions options = OptionsWith(seconds(30), seconds(30));
  options.max_connections_per_client = 4;
  ApiFixture api(options);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<RawClient>(api.port()));
    REQUIRE(clients.back()->Send(kSlowHead));
    std::this_thread::sleep_for(milliseconds(50));  // a clear age order
  }
  for (auto& client : clients) CHECK_FALSE(client->Read(milliseconds(100)));

  // A fifth connection from the same address: the oldest of the four, still
  // sending its request, is answered 503 and closed.
  RawClient fifth(api.port());
  REQUIRE(fifth.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  CHECK(fifth.Read(seconds(5)));
  CHECK(fifth.received().rfind("HTTP/1.1 200", 0) == 0);

  CHECK(clients[0]->Read(seconds(5)));
  ExpectJsonError(clients[0]->received(), 503, "make room");
  CHECK(clients[0]->received().find("Retry-After: 1") != std::string::npos);
  for (std::size_t i = 1; i < clients.size(); ++i) CHECK_FALSE(clients[i]->HasNews());

  // The others are still being read: finishing a request gets it answered.
  REQUIRE(clients[1]->Send("1\r\nConnection: close\r\n\r\n"));
  CHECK(clients[1]->Read(seconds(5)));
  CHECK(clients[1]->received().rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("a 10 MB chunked body gets a JSON 413 and a clean close") {
  ApiFixture api;
  RawClient client(api.port());
  std::string request =
      std::string("POST /v1/transactions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") + kToken +
      "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk = "10000\r\n" + std::string(0x10000, ' ') + "\r\n";
  for (int i = 0; i < 160; ++i) request += chunk;  // 10.5 MB
  request += "0\r\n\r\n";
  CHECK(client.Send(request));
  client.ShutdownSend();
  CHECK(client.Read(seconds(10)));
  CHECK_FALSE(client.reset());
  ExpectJsonError(client.received(), 413, "larger than 65536 bytes");
  CHECK(Call(api.port(), "GET", "/healthz").status == 200);
}

TEST_CASE("a 100,000-byte path gets a JSON 414, huge headers a JSON 431") {
  ApiFixture api;
  {
    RawClient client(api.port());
    CHECK(client.Send("GET /" + std::string(100'000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    client.ShutdownSend();
    CHECK(client.Read(seconds(10)));
    CHECK_FALSE(client.reset());
    ExpectJsonError(client.received(), 414, "longer than 8192 bytes");
  }
  {
    RawClient client(api.port());
    CHECK(client.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100'000, 'b') +
                      "\r\n\r\n"));
    client.ShutdownSend();
    CHECK(client.Read(seconds(10)));
    CHECK_FALSE(client.reset());
    ExpectJsonError(client.received(), 431, "larger than 32768 bytes");
  }
  CHECK(Call(api.port(), "GET", "/healthz").status == 200);
}

TEST_CASE(
    "300 slow connections from one address: the per-client limit cuts them, cashiers get in") {
  // Defaults except the deadlines, which are long so that the slow
  // connections are held for the whole test.
  ApiFixture api(OptionsWith(seconds(60), seconds(60)));
  SlowClients slow(api.port(), 300, milliseconds(1000));
  std::this_thread::sleep_for(milliseconds(500));
  const int held = slow.Held();
  CAPTURE(held);
  CHECK(held <= 32);
  CHECK(held >= 16);
  // The ones pushed out were told why (or closed before they sent a byte).
  int told = 0;
  for (auto& client : slow.clients()) {
    if (!client->HasNews()) continue;
    client->Read(milliseconds(50));
    if (client->received().empty()) continue;
    CHECK(client->received().rfind("HTTP/1.1 503", 0) == 0);
    ++told;
  }
  CHECK(told > 0);
  ExpectCashierServed(api, "(415) 555-0134", seconds(2));
  ExpectCashierServed(api, "(415) 555-0135", seconds(2));
}

TEST_CASE("300 slow connections all held: cashiers still get in") {
  ApiOptions options = OptionsWith(seconds(60), seconds(60));
  options.max_connections_per_client = 400;
  ApiFixture api(options);
  SlowClients slow(api.port(), 300, milliseconds(1000));
  std::this_thread::sleep_for(milliseconds(500));
  CHECK(slow.Held() == 300);
  ExpectCashierServed(api, "(415) 555-0134", seconds(2));
  ExpectCashierServed(api, "(415) 555-0135", seconds(2));
  // Slow clients keep trickling meanwhile; none of them was pushed out.
  std::this_thread::sleep_for(milliseconds(1200));
  CHECK(slow.Held() == 300);
  ExpectCashierServed(api, "(415) 555-0136", seconds(2));
}

TEST_CASE("expect-continue, pipelining and HTTP/1.0 on the same server") {
  ApiFixture api;
  {
    RawClient client(api.port());
    REQUIRE(
        client.Send(std::string("POST /v1/consents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") +
                    kToken + "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n" +
                    "Content-Length: " + std::to_string(kConsent.size()) + "\r\n\r\n"));
    CHECK(client.ReadUntil("\r\n\r\n", seconds(5)));
    CHECK(client.received() == "HTTP/1.1 100 Continue\r\n\r\n");
    REQUIRE(client.Send(kConsent));
    CHECK(client.ReadUntil("opted_in", seconds(5)));
    CHECK(client.received().find("HTTP/1.1 201") != std::string::npos);
  }
  {
    RawClient client(api.port());
    REQUIRE(
        client.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                    "GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    CHECK(client.Read(seconds(5)));
    const std::string& both = client.received();
    CHECK(both.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(both.find("HTTP/1.1 404") != std::string::npos);
  }
  {
    RawClient client(api.port());
    REQUIRE(client.Send("GET /healthz HTTP/1.0\r\n\r\n"));
    CHECK(client.Read(seconds(5)));
    CHECK(client.received().rfind("HTTP/1.0 200", 0) == 0);
    CHECK(client.received().find("Connection: close") != std::string::npos);
  }
}

}  // namespace tillbridge::agent::testing
