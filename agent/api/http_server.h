// A small HTTP/1.1 server for the local API, built so that slow or idle
// clients cannot keep others out: one I/O thread reads every connection as
// its bytes arrive, under whole-request deadlines and per-client connection
// limits, and hands only complete requests to a pool of worker threads. A
// connection holds a worker only while its request is being answered.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "agent/api/http_types.h"
#include "agent/api/http_wire.h"
#include "common/status.h"

namespace tillbridge::agent {

// What the server asks of the application. Thread-safe: Handle runs on
// several worker threads at once.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Answers one complete request. Must not throw.
  virtual HttpResponse Handle(const HttpRequest& request) = 0;
  // Told of each response the server wrote by itself: a malformed,
  // oversized or too slow request, or a client over its connection limit.
  // `method` is empty when the request line was not read. Runs on the I/O
  // thread: must be quick and must not throw.
  virtual void Answered(std::string_view method, int status) = 0;
};

struct HttpServerOptions {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0 picks a free port
  int worker_threads = 16;
  // Open connections, whatever their state. At the limit a new connection
  // replaces the one that has waited longest (see max_connections_per_client).
  std::size_t max_connections = 512;
  // Open connections of one client (remote IP address). At the limit a new
  // connection replaces that client's connection that has waited longest
  // for its request (which gets 503 if it had sent part of one); when all of
  // them are being answered, the new one gets 503 instead.
  std::size_t max_connections_per_client = 32;
  // From a connection's start (or a later request's first byte) until its
  // request line and headers are complete.
  std::chrono::milliseconds header_timeout{5'000};
  // From the same start until the whole request, body included, is in; and
  // from a response's start until the client has taken all of it.
  std::chrono::milliseconds request_timeout{10'000};
  // An idle connection between requests.
  std::chrono::milliseconds keep_alive_timeout{5'000};
  HttpLimits limits;
  // Memory that requests still arriving may hold together. Beyond it the
  // largest of them is answered 503 and closed.
  std::size_t max_buffered_bytes = 64 * 1024 * 1024;
};

// Runs from Start until Stop on its own threads. Thread-safe.
class HttpServer {
 public:
  // Binds, listens and starts serving. `handler` must outlive the server.
  // Unavailable (naming the address and the reason) when it cannot listen.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   HttpHandler& handler);
  // Stops (see Stop).
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops listening at once and closes idle connections; requests already
  // arriving get a short grace to complete, requests being answered finish,
  // and their responses are written with "Connection: close". Returns when
  // every connection is closed and the threads are joined: within about a
  // second unless a handler is slower. Safe to call more than once.
  void Stop();

  // The bound port.
  std::uint16_t Port() const;

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tillbridge::agent
