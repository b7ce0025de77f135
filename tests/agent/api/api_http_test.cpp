// The server over real loopback HTTP: authentication, routing and every kind
// of bad input gets a JSON error (never a 500 or a crash), plus metrics and
// a prompt Stop.
#include <chrono>
#include <future>
#include <thread>

#include "tests/agent/api/api_test_util.h"

namespace tillbridge::agent::testing {
namespace {

void ExpectError(const Reply& reply, int status, const std::string& field,
                 const std::string& reason_part) {
  CHECK_MESSAGE(reply.status == status, reply.body);
  CHECK(reply.Header("content-type").rfind("application/json", 0) == 0);
  const JsonValue json = reply.Json();
  CHECK_MESSAGE(At(json, "error.field") == field, reply.body);
  CHECK_MESSAGE(At(json, "error.reason").find(reason_part) != std::string::npos, reply.body);
}

const std::string kConsent =
    R"({"phone":"(415) 555-0134","purpose":"transactional","granted":true,)"
    R"("method":"keypad","disclosure_version":"1","cashier_id":"c-17"})";

}  // namespace

TEST_CASE("health needs no token; every /v1 route does") {
  ApiFixture api;
  const Reply health = Call(api.port(), "GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(At(health.Json(), "status") == "ok");
  CHECK(At(health.Json(), "store_id") == "store-7");

  const std::vector<std::pair<std::string, std::string>> routes = {
      {"POST", "/v1/consents"},
      {"GET", "/v1/consents/4155550134"},
      {"GET", "/v1/consents/4155550134/history"},
      {"GET", "/v1/disclosures/current"},
      {"GET", "/v1/disclosures"},
      {"POST", "/v1/disclosures"},
      {"GET", "/v1/customers/4155550134"},
      {"POST", "/v1/transactions"},
      {"GET", "/v1/no-such-thing"},
  };
  for (const auto& [method, path] : routes) {
    CAPTURE(path);
    const Reply missing = Call(api.port(), method, path, method == "POST" ? "{}" : "");
    ExpectError(missing, 401, "Authorization", "missing");
    CHECK(missing.Header("www-authenticate").find("Bearer") != std::string::npos);
    ExpectError(Call(api.port(), method, path, "", {Bearer("wrong-token")}), 401, "Authorization",
                "not valid");
    ExpectError(Call(api.port(), method, path, "", {{"Authorization", "Basic dXNlcjpwYXNz"}}), 401,
                "Authorization", "Bearer");
    ExpectError(Call(api.port(), method, path, "", {{"Authorization", "Bearer "}}), 401,
                "Authorization", "");
  }
  // The right token passes (lower-case scheme too).
  CHECK(Call(api.port(), "GET", "/v1/disclosures/current", "",
             {{"Authorization", std::string("bearer ") + kToken}})
            .status == 200);
}

TEST_CASE("unknown routes are 404 and wrong methods 405 with Allow") {
  ApiFixture api;
  ExpectError(Call(api.port(), "GET", "/nothing-here"), 404, "null", "no such route");
  ExpectError(api.Get("/v1/consents"), 405, "null", "use POST");
  CHECK(api.Get("/v1/consents").Header("allow") == "POST");
  ExpectError(api.Get("/v1/consents/"), 404, "null", "no such route");
  ExpectError(api.Get("/v1/unknown/route"), 404, "null", "no such route");

  const Reply put = Call(api.port(), "PUT", "/v1/consents/4155550134", "{}", {Bearer()});
  ExpectError(put, 405, "null", "PUT");
  CHECK(put.Header("allow") == "GET");
  const Reply post_health = Call(api.port(), "POST", "/healthz", "{}");
  ExpectError(post_health, 405, "null", "POST");
  CHECK(post_health.Header("allow") == "GET");
  const Reply delete_disclosures = Call(api.port(), "DELETE", "/v1/disclosures", "", {Bearer()});
  CHECK(delete_disclosures.status == 405);
  CHECK(delete_disclosures.Header("allow") == "GET, POST");
}

TEST_CASE("malformed JSON, wrong types and unknown fields are 400 naming the problem") {
  ApiFixture api;
  ExpectError(api.Post("/v1/consents", R"({"phone": "4155550134",)"), 400, "null",
              "malformed JSON at line 1");
  ExpectError(api.Post("/v1/consents", "not json"), 400, "null", "malformed JSON");
  ExpectError(api.Post("/v1/consents", "[]"), 400, "null", "must be a JSON object");
  ExpectError(api.Post("/v1/consents", " "), 400, "null", "empty");
  // No Content-Length and not chunked: no body, answered at once.
  const std::string no_length = RawExchange(
      api.port(), std::string("POST /v1/consents HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                              "Content-Type: application/json\r\nAuthorization: Bearer ") +
                      kToken + "\r\n\r\n");
  CHECK(no_length.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(no_length.find("request body is empty") != std::string::npos);
  ExpectError(api.Post("/v1/consents", R"({"phone":4155550134})"), 400, "phone",
              "must be a string");
  ExpectError(
      api.Post("/v1/consents", R"({"phone":"4155550134","purpose":"marketing","granted":1})"), 400,
      "granted", "true or false");
  ExpectError(api.Post("/v1/consents", kConsent.substr(0, kConsent.size() - 1) + R"(,"extra":1})"),
              400, "extra", "unknown field");
  ExpectError(
      api.Post(
          "/v1/transactions",
          R"({"pos_id":"R-1","kind":"sale","occurred_at":"2026-11-29T12:00:00Z","currency":"USD","total_minor":"12.50"})"),
      400, "total_minor", "whole number");
  ExpectError(api.Post("/v1/disclosures",
                       R"({"purpose":"marketing","version":2,"text":"t","frequency":"f"})"),
              400, "version", "must be a string");
  ExpectError(api.Post("/v1/consents", "{\"phone\":\"\xff\"}"), 400, "null", "UTF-8");
  ExpectError(api.Post("/v1/consents", std::string(40, '[') + std::string(40, ']')), 400, "null",
              "nested too deeply");
}

TEST_CASE("POST bodies must be declared as JSON") {
  ApiFixture api;
  ExpectError(api.Post("/v1/consents", kConsent, {{"Content-Type", "text/plain"}}), 415,
              "Content-Type", "application/json");
  CHECK(api.Post("/v1/consents", kConsent, {{"Content-Type", "application/json; charset=utf-8"}})
            .status == 201);
}

TEST_CASE("invalid phone numbers are 400 with the phone field and a reason") {
  ApiFixture api;
  ExpectError(
      api.Post(
          "/v1/consents",
          R"({"phone":"555","purpose":"transactional","granted":false,"method":"keypad","cashier_id":"c-1"})"),
      400, "phone", "short");
  ExpectError(api.Get("/v1/consents/call-me"), 400, "phone", "letters");
  ExpectError(api.Get("/v1/customers/12"), 400, "phone", "");
  ExpectError(api.Get("/v1/consents/%ZZ"), 404, "null", "no such route");
}

TEST_CASE("bodies over the limit get 413 without being read into memory") {
  ApiFixture api;
  const std::string big(70 * 1024, 'x');
  const Reply reply = api.Post("/v1/consents", big);
  ExpectError(reply, 413, "null", "larger than 65536 bytes");
  std::string connection = reply.Header("connection");
  std::transform(connection.begin(), connection.end(), connection.begin(), ::tolower);
  CHECK(connection == "close");

  // A client that claims 10 GB and sends almost nothing is answered at once
  // instead of being waited for.
  const auto started = std::chrono::steady_clock::now();
  const std::string answer = RawExchange(
      api.port(),
      std::string("POST /v1/consents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") + kToken +
          "\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{}",
      /*close_write=*/false);
  CHECK(answer.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(answer.find("\"error\"") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));

  // Chunked bodies have no length up front; reading stops past the limit.
  std::string chunked =
      std::string("POST /v1/transactions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") + kToken +
      "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 80; ++i) chunked += "400\r\n" + std::string(1024, ' ') + "\r\n";
  chunked += "0\r\n\r\n";
  const std::string chunked_answer = RawExchange(api.port(), chunked);
  CHECK(chunked_answer.rfind("HTTP/1.1 413", 0) == 0);

  // The server is still fine afterwards.
  CHECK(Call(api.port(), "GET", "/healthz").status == 200);
}

TEST_CASE("a body shorter than its Content-Length times out as a 408") {
  ApiOptions options = ApiFixture::TestOptions();
  options.request_timeout = std::chrono::milliseconds(300);
  ApiFixture api(options);
  const std::string answer = RawExchange(
      api.port(),
      std::string("POST /v1/consents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") + kToken +
          "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":",
      /*close_write=*/false);
  CHECK(answer.rfind("HTTP/1.1 408", 0) == 0);
  CHECK(answer.find("request body did not arrive within 300 ms") != std::string::npos);

  // A client that stops sending halfway (closes its side) is told at once.
  const std::string ended = RawExchange(
      api.port(),
      std::string("POST /v1/consents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") + kToken +
          "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":");
  CHECK(ended.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(ended.find("body ended before it was complete") != std::string::npos);
}

TEST_CASE("garbage on the socket does not hurt the server") {
  ApiFixture api;
  RawExchange(api.port(), "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 TLS hello?\r\n\r\n");
  RawExchange(api.port(), "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n");
  RawExchange(api.port(), "GARBAGE\r\n\r\n");
  const std::string answer = RawExchange(api.port(), "GET /healthz HTTP/1.0\r\n\r\n");
  CHECK(answer.rfind("HTTP/1.0 200", 0) == 0);
}

TEST_CASE("metrics count requests by route template, never by raw path") {
  ApiFixture api;
  REQUIRE(Call(api.port(), "GET", "/healthz").status == 200);
  REQUIRE(api.Get("/v1/consents/4155550134").status == 200);
  REQUIRE(Call(api.port(), "GET", "/nowhere").status == 404);
  const std::string odd = RawExchange(api.port(), "B\"AD / HTTP/1.0\r\n\r\n");
  CHECK(odd.rfind("HTTP/1.0 405", 0) == 0);
  const Reply metrics = Call(api.port(), "GET", "/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(metrics.Header("content-type").rfind("text/plain; version=0.0.4", 0) == 0);
  CHECK(metrics.body.find(
            R"(tillbridge_api_requests_total{method="GET",route="/healthz",code="200"})") !=
        std::string::npos);
  CHECK(metrics.body.find(R"(route="/v1/consents/{phone}",code="200")") != std::string::npos);
  CHECK(metrics.body.find(R"(route="unmatched",code="404")") != std::string::npos);
  CHECK(metrics.body.find("# TYPE tillbridge_api_request_duration_seconds histogram") !=
        std::string::npos);
  CHECK(metrics.body.find("tillbridge_api_request_duration_seconds_bucket{le=\"+Inf\"}") !=
        std::string::npos);
  CHECK(metrics.body.find("4155550134") == std::string::npos);
  CHECK(metrics.body.find(R"(method="other",route="unmatched",code="405")") != std::string::npos);
  CHECK(metrics.body.find("B\"AD") == std::string::npos);
}

TEST_CASE("metrics can require the token") {
  ApiOptions options = ApiFixture::TestOptions();
  options.metrics_require_token = true;
  ApiFixture api(options);
  CHECK(Call(api.port(), "GET", "/metrics").status == 401);
  CHECK(api.Get("/metrics").status == 200);
}

TEST_CASE("Stop finishes the request in progress and returns promptly") {
  ApiFixture api;
  // An idle keep-alive connection must not hold Stop up.
  Poco::Net::HTTPClientSession idle("127.0.0.1", api.port());
  idle.setKeepAlive(true);
  Poco::Net::HTTPRequest ping("GET", "/healthz", Poco::Net::HTTPMessage::HTTP_1_1);
  idle.sendRequest(ping);
  Poco::Net::HTTPResponse pong;
  std::string ignored;
  Poco::StreamCopier::copyToString(idle.receiveResponse(pong), ignored);
  REQUIRE(pong.getStatus() == Poco::Net::HTTPResponse::HTTP_OK);

  // A request in progress: its body arrives slowly, after Stop began.
  Poco::Net::StreamSocket slow;
  slow.connect(Poco::Net::SocketAddress("127.0.0.1", api.port()));
  const std::string head =
      std::string("POST /v1/consents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") + kToken +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(kConsent.size()) +
      "\r\n\r\n";
  slow.sendBytes(head.data(), static_cast<int>(head.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));

  const auto started = std::chrono::steady_clock::now();
  auto stopping = std::async(std::launch::async, [&] { api.server().Stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  slow.sendBytes(kConsent.data(), static_cast<int>(kConsent.size()));
  stopping.get();
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(took < std::chrono::seconds(1));

  std::string answer(4096, '\0');
  slow.setReceiveTimeout(Poco::Timespan(2, 0));
  const int got = slow.receiveBytes(answer.data(), static_cast<int>(answer.size()));
  REQUIRE(got > 0);
  answer.resize(static_cast<std::size_t>(got));
  CHECK(answer.rfind("HTTP/1.1 201", 0) == 0);

  // Nothing listens any more: refused at once, not left hanging.
  const auto probe = std::chrono::steady_clock::now();
  CHECK_THROWS(Call(api.port(), "GET", "/healthz"));
  CHECK(std::chrono::steady_clock::now() - probe < std::chrono::seconds(1));
  api.server().Stop();  // a second Stop is harmless
}

TEST_CASE("a port already in use is a clear error") {
  ApiFixture first;
  ApiOptions options = ApiFixture::TestOptions();
  options.port = first.port();
  PhoneNormalizer phones("US");
  auto second = ApiServer::Start(options, first.store(), phones);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == StatusCode::kUnavailable);
  CHECK(second.status().message().find(std::to_string(first.port())) != std::string::npos);
}

}  // namespace tillbridge::agent::testing
