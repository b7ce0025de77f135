#include "agent/api/http_wire.h"

#include <doctest/doctest.h>

#include <string>

namespace tillbridge::agent {
namespace {

using State = HttpRequestParser::State;

// Feeds `bytes` in pieces of `step` bytes; returns the bytes taken.
std::size_t FeedInSteps(HttpRequestParser& parser, const std::string& bytes, std::size_t step) {
  std::size_t taken = 0;
  while (taken < bytes.size()) {
    const std::string_view piece = std::string_view(bytes).substr(taken, step);
    const std::size_t used = parser.Feed(piece);
    taken += used;
    if (used < piece.size()) break;  // the request ended inside this piece
  }
  return taken;
}

HttpRequestParser::State Parse(const std::string& bytes, HttpLimits limits = {},
                               HttpRequestParser* out = nullptr) {
  HttpRequestParser parser(limits);
  parser.Feed(bytes);
  if (out != nullptr) *out = parser;
  return parser.state();
}

}  // namespace

TEST_CASE("a request in one piece or byte by byte gives the same result") {
  const std::string bytes =
      "POST /v1/consents?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
      "X-Spaces:   padded value \t\r\nContent-Length: 7\r\n\r\n{\"a\":1}";
  for (const std::size_t step : {bytes.size(), std::size_t{1}, std::size_t{7}}) {
    CAPTURE(step);
    HttpRequestParser parser({});
    CHECK(FeedInSteps(parser, bytes, step) == bytes.size());
    REQUIRE(parser.state() == State::kComplete);
    const HttpRequest& request = parser.request();
    CHECK(request.method == "POST");
    CHECK(request.path == "/v1/consents");
    CHECK(request.query == "x=1");
    CHECK(request.Header("content-type") == "application/json");
    CHECK(request.Header("x-spaces") == "padded value");
    CHECK(request.body == "{\"a\":1}");
    CHECK(parser.keep_alive());
    CHECK_FALSE(parser.http10());
  }
}

TEST_CASE("bytes after a complete request are left for the next one") {
  const std::string first = "GET /a HTTP/1.1\r\n\r\n";
  HttpRequestParser parser({});
  CHECK(parser.Feed(first + "GET /b HTTP/1.1\r\n\r\n") == first.size());
  CHECK(parser.state() == State::kComplete);
  CHECK(parser.request().path == "/a");
  parser.Reset();
  CHECK_FALSE(parser.started());
  CHECK(parser.Feed("GET /b HTTP/1.1\r\n\r\n") == first.size());
  CHECK(parser.request().path == "/b");
}

TEST_CASE("chunked bodies with extensions and trailers") {
  HttpRequestParser parser({});
  const std::string bytes =
      "POST /t HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4;name=value\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n";
  CHECK(FeedInSteps(parser, bytes, 3) == bytes.size());
  REQUIRE(parser.state() == State::kComplete);
  CHECK(parser.request().body == "Wikipedia in\r\n\r\nchunks.");
}

TEST_CASE("connection persistence follows the version and the Connection header") {
  HttpRequestParser parser({});
  CHECK(Parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", {}, &parser) == State::kComplete);
  CHECK_FALSE(parser.keep_alive());
  CHECK(Parse("GET / HTTP/1.0\r\n\r\n", {}, &parser) == State::kComplete);
  CHECK(parser.http10());
  CHECK_FALSE(parser.keep_alive());
  CHECK(Parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", {}, &parser) == State::kComplete);
  CHECK(parser.keep_alive());
}

TEST_CASE("Expect: 100-continue is reported until the body arrives") {
  HttpRequestParser parser({});
  parser.Feed("POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n");
  CHECK(parser.state() == State::kBody);
  CHECK(parser.expects_continue());
  parser.Feed("{}");
  CHECK(parser.state() == State::kComplete);
  CHECK_FALSE(parser.expects_continue());
}

TEST_CASE("limits fail at once, before the rest of the request arrives") {
  HttpLimits limits;
  limits.max_body_bytes = 1000;
  {
    HttpRequestParser parser(limits);
    parser.Feed("GET /" + std::string(9000, 'a'));  // no end of line yet
    REQUIRE(parser.state() == State::kFailed);
    CHECK(parser.error().status == 414);
    CHECK(parser.request().method.empty());
  }
  {
    HttpRequestParser parser(limits);
    parser.Feed("GET /x HTTP/1.1\r\nX: " + std::string(40000, 'b'));
    REQUIRE(parser.state() == State::kFailed);
    CHECK(parser.error().status == 431);
    CHECK(parser.request().method == "GET");
  }
  {
    std::string many = "GET /x HTTP/1.1\r\n";
    for (int i = 0; i < 101; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
    HttpRequestParser parser(limits);
    parser.Feed(many);
    REQUIRE(parser.state() == State::kFailed);
    CHECK(parser.error().status == 431);
  }
  {
    HttpRequestParser parser(limits);
    parser.Feed("POST /x HTTP/1.1\r\nContent-Length: 1001\r\n\r\n");
    REQUIRE(parser.state() == State::kFailed);
    CHECK(parser.error().status == 413);
    CHECK(parser.error().reason == "the request body is larger than 1000 bytes");
  }
  {
    HttpRequestParser parser(limits);
    parser.Feed("POST /x HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n");
    CHECK(parser.error().status == 413);
  }
  {
    HttpRequestParser parser(limits);
    parser.Feed("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n" +
                std::string(0x200, 'x') + "\r\n300\r\n");
    REQUIRE(parser.state() == State::kFailed);
    CHECK(parser.error().status == 413);
  }
  {
    HttpRequestParser parser(limits);
    parser.Feed(
        "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFFFF\r\n");
    CHECK(parser.error().status == 413);
  }
}

TEST_CASE("malformed requests are client errors naming the problem") {
  struct Case {
    std::string bytes;
    int status;
    std::string field;
  };
  const Case cases[] = {
      {"GARBAGE\r\n\r\n", 400, ""},
      {"GET  /x HTTP/1.1\r\n\r\n", 400, ""},
      {"GET /x HTTP/2.0\r\n\r\n", 505, ""},
      {"GET /x SPDY\r\n\r\n", 400, ""},
      {"GET /\x01 HTTP/1.1\r\n\r\n", 400, ""},
      {"GET /x HTTP/1.1\r\nNo colon\r\n\r\n", 400, ""},
      {"GET /x HTTP/1.1\r\nBad Name: 1\r\n\r\n", 400, ""},
      {"GET /x HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n", 400, ""},
      {std::string("GET /x HTTP/1.1\r\nA: a") + '\0' + "b\r\n\r\n", 400, "A"},
      {"POST /x HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
       "Transfer-Encoding"},
      {"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "Transfer-Encoding"},
      {"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400, "Transfer-Encoding"},
      {"POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "Transfer-Encoding"},
      {"POST /x HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400, "Content-Length"},
      {"POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "Content-Length"},
      {"POST /x HTTP/1.1\r\nContent-Length:\r\n\r\n", 400, "Content-Length"},
      {"POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, "Content-Length"},
      {"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, ""},
      {"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", 400, ""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.bytes);
    HttpRequestParser parser({});
    parser.Feed(c.bytes);
    REQUIRE(parser.state() == State::kFailed);
    CHECK(parser.error().status == c.status);
    CHECK(parser.error().field.value_or("") == c.field);
    CHECK_FALSE(parser.error().reason.empty());
    CHECK_FALSE(parser.keep_alive());
  }
  // Equal duplicates are one length; leading empty lines are skipped.
  CHECK(Parse("\r\n\r\nPOST /x HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\nab") == State::kComplete);
  // Any visible method reaches the routes, which answer 405.
  CHECK(Parse("B\"AD / HTTP/1.0\r\n\r\n") == State::kComplete);
}

TEST_CASE("responses are framed with length, connection and JSON safety headers") {
  HttpResponse json = JsonResponse(404, R"({"error":{}})");
  json.headers.emplace_back("Allow", "GET");
  json.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: b=c");
  const std::string bytes = SerializeResponse(json, ResponseFraming{});
  CHECK(bytes.rfind("HTTP/1.1 404 Not Found\r\nDate: ", 0) == 0);
  CHECK(bytes.find("\r\nContent-Type: application/json\r\n") != std::string::npos);
  CHECK(bytes.find("\r\nAllow: GET\r\n") != std::string::npos);
  CHECK(bytes.find("Set-Cookie") == std::string::npos);
  CHECK(bytes.find("\r\nCache-Control: no-store\r\n") != std::string::npos);
  CHECK(bytes.find("\r\nX-Content-Type-Options: nosniff\r\n") != std::string::npos);
  CHECK(bytes.find("\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\n{\"error\":{}}") !=
        std::string::npos);

  HttpResponse page;
  page.content_type = "text/html; charset=utf-8";
  page.headers.emplace_back("Cache-Control", "no-cache");
  page.body = "<p>";
  const std::string head = SerializeResponse(
      page, ResponseFraming{.http10 = true, .keep_alive = false, .head_request = true});
  CHECK(head.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
  CHECK(head.find("no-store") == std::string::npos);
  CHECK(head.find("nosniff") == std::string::npos);
  CHECK(head.size() >= 4);
  CHECK(head.substr(head.size() - 4) == "\r\n\r\n");
  CHECK(head.find("Content-Length: 3\r\nConnection: close\r\n") != std::string::npos);
}

}  // namespace tillbridge::agent
