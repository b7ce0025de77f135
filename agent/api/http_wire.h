// HTTP/1.1 on the wire for the local API: a request parser fed with bytes as
// they arrive, and the response writer. No sockets and no clocks; the
// server (http_server.cpp) feeds the parser and applies the deadlines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/api/http_types.h"

namespace tillbridge::agent {

// What one request may hold. Beyond a limit the parser fails at once, before
// the rest of the request has arrived.
struct HttpLimits {
  std::size_t max_target_bytes = 8 * 1024;  // request target (path and query); longer: 414
  std::size_t max_head_bytes = 32 * 1024;   // header lines together; more: 431
  std::size_t max_header_count = 100;       // header lines; more: 431
  std::size_t max_body_bytes = 64 * 1024;   // declared or received body; more: 413
};

// Reads one request at a time from a connection's bytes: request line,
// headers, then a body framed by Content-Length or chunked transfer coding.
// Failures are client errors in the API's error shape, after which the
// connection must be closed (the rest of its bytes cannot be trusted to
// frame a next request). Not thread-safe.
class HttpRequestParser {
 public:
  enum class State {
    kHead,      // reading the request line and headers
    kBody,      // head complete, reading the body
    kComplete,  // request() is the whole request
    kFailed,    // error() says why
  };

  explicit HttpRequestParser(HttpLimits limits);

  // Takes bytes of `data` up to the end of the current request and returns
  // how many it took; bytes after the end (a pipelined next request) are
  // left to the caller. Takes nothing once complete or failed.
  std::size_t Feed(std::string_view data);

  State state() const { return state_; }
  // Whether any byte of the current request has arrived.
  bool started() const { return started_; }
  // Whether the request line and headers are complete (body may follow).
  bool head_complete() const { return state_ == State::kBody || state_ == State::kComplete; }
  // The client sent "Expect: 100-continue" and waits for an interim
  // response before sending the body it announced.
  bool expects_continue() const { return state_ == State::kBody && expect_continue_; }
  // The request so far: method, path and query once the request line is
  // read; headers once the head is complete; all of it when complete.
  const HttpRequest& request() const { return request_; }
  // Bytes of the current request held in memory (body and partial line).
  std::size_t buffered_bytes() const { return request_.body.size() + line_.size(); }
  // Moves the complete request out; the parser must be Reset afterwards.
  HttpRequest TakeRequest() { return std::move(request_); }
  // Why the request failed (state kFailed).
  const ApiError& error() const { return error_; }
  // HTTP/1.0 request (the response must say HTTP/1.0 too).
  bool http10() const { return http10_; }
  // The client allows the connection to stay open after this response.
  bool keep_alive() const { return keep_alive_; }

  // Starts over for the next request on the same connection.
  void Reset();

 private:
  enum class BodyFraming { kNone, kLength, kChunked };
  enum class ChunkStep { kSize, kData, kDataEnd, kTrailer };

  bool InLine() const;
  void OnLine(std::string_view line);
  void OnRequestLine(std::string_view line);
  void OnHeaderLine(std::string_view line);
  void OnHeadComplete();
  void OnChunkSizeLine(std::string_view line);
  void OnChunkLineAfterData(std::string_view line);
  void OnTrailerLine(std::string_view line);
  // False (after failing) when a partial line has grown past its limit.
  bool CheckPartialLine();
  void Fail(int status, std::optional<std::string> field, std::string reason);

  HttpLimits limits_;
  State state_ = State::kHead;
  bool started_ = false;
  bool request_line_done_ = false;
  bool http10_ = false;
  bool keep_alive_ = true;
  bool expect_continue_ = false;
  BodyFraming framing_ = BodyFraming::kNone;
  ChunkStep chunk_step_ = ChunkStep::kSize;
  std::uint64_t remaining_ = 0;  // body or chunk bytes still to come
  std::string line_;             // the current line so far
  std::size_t head_bytes_ = 0;   // header (or trailer) bytes so far
  std::size_t header_count_ = 0;
  HttpRequest request_;
  ApiError error_;
};

// How a response goes out on its connection.
struct ResponseFraming {
  bool http10 = false;        // answer in HTTP/1.0
  bool keep_alive = true;     // false: "Connection: close"
  bool head_request = false;  // answering HEAD: headers only
};

// The response as bytes: status line, Date, Content-Type, the response's
// headers, Content-Length and Connection. JSON responses also get
// "Cache-Control: no-store" (unless they set it) and
// "X-Content-Type-Options: nosniff". Headers holding a line break are
// dropped.
std::string SerializeResponse(const HttpResponse& response, const ResponseFraming& framing);

// The interim response that tells a client to send the body it announced.
inline constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace tillbridge::agent
