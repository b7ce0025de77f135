// The server of http_server.h. Every socket is a non-blocking Poco socket;
// the I/O thread waits on all of them at once (PollSockets) and is the only
// thread that touches a connection. Workers get complete requests through a
// queue and hand responses back through another, waking the I/O thread with
// a byte on a loopback socket pair.
#include "agent/api/http_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/SocketDefs.h>
#include <Poco/Net/StreamSocket.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "agent/api/socket_poll.h"
#include "common/log.h"

namespace tillbridge::agent {
namespace {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using std::chrono::milliseconds;

constexpr int kListenBacklog = 128;
constexpr std::size_t kReadChunkBytes = 16 * 1024;
// Reads per connection and turn of the loop, so that one fast sender cannot
// hold the loop while others wait.
constexpr int kReadsPerTurn = 4;
constexpr int kAcceptsPerTurn = 64;
constexpr std::size_t kMaxSendBytes = 1 << 20;
// After answering with "Connection: close" the server reads and drops what
// the client is still sending for a while, so that the client sees the
// answer instead of a reset (RFC 9112, 9.6). Bounded in time and bytes.
constexpr milliseconds kLingerTime{2'000};
constexpr std::size_t kLingerMaxBytes = 32 * 1024 * 1024;
// On Stop, requests already arriving get this long to complete; responses
// finished later still get a moment to go out.
constexpr milliseconds kStopGrace{700};
constexpr milliseconds kStopSendGrace{250};
// Accepting fails while the process is out of descriptors; the listener
// stays ready, so waiting on it again at once would spin.
constexpr milliseconds kAcceptPause{100};
constexpr milliseconds kMaxWait{1'000};
constexpr milliseconds kWarningInterval{60'000};

enum class Phase {
  kWaiting,    // for the first byte of a request
  kReading,    // a request is arriving
  kHandling,   // a worker is answering it
  kWriting,    // the response is going out
  kLingering,  // answered and closing: what the client still sends is dropped
};

struct Connection {
  explicit Connection(const HttpLimits& limits) : parser(limits) {}
  bool HasOutput() const { return output_sent < output.size(); }
  bool Reads() const {
    return phase == Phase::kWaiting || phase == Phase::kReading || phase == Phase::kLingering;
  }

  std::uint64_t id = 0;
  Poco::Net::StreamSocket socket;
  SocketHandle handle = 0;
  std::string client;    // remote IP address
  bool counted = false;  // holds one of its client's connection slots
  bool closed = false;
  bool served = false;  // has answered a request before (kept alive)
  Phase phase = Phase::kWaiting;
  TimePoint since;          // start of the current phase; evictions take the oldest
  TimePoint request_start;  // where the header and request deadlines count from
  std::optional<TimePoint> deadline;
  HttpRequestParser parser;
  std::string input;  // bytes the parser has not taken: a pipelined request
  std::string output;
  std::size_t output_sent = 0;
  bool close_after_output = false;
  bool continue_sent = false;
  bool http10 = false;
  bool keep_alive = true;
  bool head_request = false;
  std::size_t dropped = 0;   // bytes read and dropped while lingering
  std::size_t buffered = 0;  // bytes of a request still arriving, as last counted
};

struct Job {
  std::uint64_t connection = 0;
  HttpRequest request;
};

struct Answer {
  std::uint64_t connection = 0;
  HttpResponse response;
};

SocketHandle HandleOf(const Poco::Net::Socket& socket) {
  return static_cast<SocketHandle>(socket.impl()->sockfd());
}

bool WouldBlock(const Poco::Exception& error) { return error.code() == POCO_EWOULDBLOCK; }

std::string Millis(milliseconds duration) { return std::to_string(duration.count()) + " ms"; }

HttpResponse Busy(std::string reason) {
  HttpResponse response = ErrorResponse(503, std::nullopt, std::move(reason));
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

}  // namespace

struct HttpServer::Impl {
  Impl(const HttpServerOptions& server_options, HttpHandler& server_handler)
      : options(server_options), handler(server_handler) {}

  Status OpenWakeSockets();
  void SendWake();
  void Loop();
  void Turn();
  void Work();

  void BeginStop(TimePoint now);
  void DrainWake();
  void CollectAnswers(TimePoint now);
  void AcceptConnections(TimePoint now);
  void Admit(Poco::Net::StreamSocket socket, const std::string& client, TimePoint now);
  bool EvictOldest(const std::string* client, TimePoint now);
  void Receive(Connection& connection, TimePoint now);
  void EndOfStream(Connection& connection, TimePoint now);
  void Advance(Connection& connection, TimePoint now);
  void Dispatch(Connection& connection, TimePoint now);
  void Refuse(Connection& connection, const ApiError& error, TimePoint now);
  void Respond(Connection& connection, const HttpResponse& response, bool close, TimePoint now);
  void Flush(Connection& connection, TimePoint now);
  void Written(Connection& connection, TimePoint now);
  void ExpireDeadlines(TimePoint now);
  void Account(Connection& connection);
  void ShedLargest(TimePoint now);
  void Close(Connection& connection);
  void Release(Connection& connection);
  std::size_t Slots(const std::string& client) const;
  TimePoint Bounded(TimePoint wanted, TimePoint now) const;
  void Warn(const std::string& message, TimePoint now);

  const HttpServerOptions options;
  HttpHandler& handler;
  Poco::Net::ServerSocket listener;
  std::uint16_t port = 0;
  Poco::Net::StreamSocket wake_reader;
  Poco::Net::StreamSocket wake_writer;
  std::thread loop_thread;
  std::vector<std::thread> workers;

  std::mutex stop_mutex;
  bool stopped = false;  // guarded by stop_mutex

  std::mutex queue_mutex;
  std::condition_variable work_ready;
  std::deque<Job> jobs;         // guarded by queue_mutex
  std::vector<Answer> answers;  // guarded by queue_mutex
  bool wake_pending = false;    // guarded by queue_mutex
  bool stop_requested = false;  // guarded by queue_mutex
  bool workers_leave = false;   // guarded by queue_mutex

  // The I/O thread's own state.
  std::map<std::uint64_t, std::unique_ptr<Connection>> connections;  // by id: oldest first
  std::map<std::string, std::size_t> slots_by_client;
  std::size_t open_connections = 0;
  std::size_t buffered_total = 0;  // sum of Connection::buffered
  std::uint64_t next_id = 1;
  bool listening = true;
  TimePoint accept_paused_until{};
  bool stopping = false;
  TimePoint stop_deadline{};
  std::optional<TimePoint> last_warning;
  std::vector<char> read_buffer = std::vector<char>(kReadChunkBytes);
  std::vector<SocketPollEntry> entries;
  std::vector<Connection*> polled;
};

Status HttpServer::Impl::OpenWakeSockets() {
  try {
    for (int attempt = 0; attempt < 3; ++attempt) {
      Poco::Net::ServerSocket rendezvous(Poco::Net::SocketAddress("127.0.0.1", 0), 1);
      Poco::Net::StreamSocket writer;
      writer.connect(rendezvous.address(), Poco::Timespan(2, 0));
      Poco::Net::SocketAddress peer;
      Poco::Net::StreamSocket reader = rendezvous.acceptConnection(peer);
      // Another local program may have connected first; only our own end will do.
      if (peer != writer.address()) continue;
      reader.setBlocking(false);
      writer.setBlocking(false);
      writer.setNoDelay(true);
      wake_reader = reader;
      wake_writer = writer;
      return Status::Ok();
    }
  } catch (const Poco::Exception& error) {
    return Status::Unavailable("cannot open the server's wake-up sockets: " + error.displayText());
  }
  return Status::Unavailable(
      "cannot open the server's wake-up sockets: another program kept connecting to them");
}

void HttpServer::Impl::SendWake() {
  try {
    wake_writer.sendBytes("w", 1);
  } catch (const Poco::Exception&) {
    // A full buffer means a wake-up is on its way already.
  }
}

void HttpServer::Impl::Work() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(queue_mutex);
      work_ready.wait(lock, [&] { return workers_leave || !jobs.empty(); });
      if (jobs.empty()) return;
      job = std::move(jobs.front());
      jobs.pop_front();
    }
    HttpResponse response;
    try {
      response = handler.Handle(job.request);
    } catch (...) {
      response = ErrorResponse(500, std::nullopt, "internal error; see the agent log");
    }
    bool wake = false;
    {
      std::lock_guard lock(queue_mutex);
      answers.push_back(Answer{job.connection, std::move(response)});
      wake = !wake_pending;
      wake_pending = true;
    }
    if (wake) SendWake();
  }
}

void HttpServer::Impl::Loop() {
  for (;;) {
    try {
      Turn();
    } catch (const std::exception& error) {
      // Nothing a client sends may end the loop; a fault here is ours.
      LogError("api", std::string("HTTP server loop: ") + error.what());
      std::this_thread::sleep_for(kAcceptPause);
    }
    if (stopping && connections.empty()) break;
  }
  if (listening) {
    listening = false;
    try {
      listener.close();
    } catch (const Poco::Exception&) {
    }
  }
}

void HttpServer::Impl::Turn() {
  TimePoint now = SteadyClock::now();
  bool stop = false;
  {
    std::lock_guard lock(queue_mutex);
    stop = stop_requested;
  }
  if (stop && !stopping) BeginStop(now);
  std::erase_if(connections, [](const auto& entry) { return entry.second->closed; });
  if (stopping && connections.empty()) return;

  entries.clear();
  polled.clear();
  entries.push_back(SocketPollEntry{.handle = HandleOf(wake_reader), .want_read = true});
  const bool poll_listener = listening && now >= accept_paused_until;
  if (poll_listener)
    entries.push_back(SocketPollEntry{.handle = HandleOf(listener), .want_read = true});
  TimePoint wake_at = now + kMaxWait;
  if (listening && !poll_listener) wake_at = std::min(wake_at, accept_paused_until);
  for (auto& [id, owned] : connections) {
    Connection& connection = *owned;
    // A connection being answered waits for its worker, not for its socket.
    if (connection.phase == Phase::kHandling) continue;
    entries.push_back(SocketPollEntry{.handle = connection.handle,
                                      .want_read = connection.Reads(),
                                      .want_write = connection.HasOutput()});
    polled.push_back(&connection);
    if (connection.deadline) wake_at = std::min(wake_at, *connection.deadline);
  }
  const auto wait = std::chrono::ceil<milliseconds>(
      std::max<SteadyClock::duration>(wake_at - now, SteadyClock::duration::zero()));
  auto ready = PollSockets(entries, wait);
  if (!ready.ok()) {
    Warn(ready.status().message(), now);
    std::this_thread::sleep_for(kAcceptPause);
    return;
  }

  now = SteadyClock::now();
  if (entries[0].readable || entries[0].failed) DrainWake();
  CollectAnswers(now);
  const std::size_t first = poll_listener ? 2 : 1;
  for (std::size_t i = 0; i < polled.size(); ++i) {
    Connection& connection = *polled[i];
    const SocketPollEntry& entry = entries[first + i];
    if (connection.closed) continue;
    if ((entry.writable || entry.failed) && connection.HasOutput()) Flush(connection, now);
    if (!connection.closed && (entry.readable || entry.failed) && connection.Reads()) {
      Receive(connection, now);
    }
  }
  if (poll_listener && (entries[1].readable || entries[1].failed)) AcceptConnections(now);
  ExpireDeadlines(SteadyClock::now());
}

void HttpServer::Impl::BeginStop(TimePoint now) {
  stopping = true;
  stop_deadline = now + kStopGrace;
  if (listening) {
    // From now on a connection attempt is refused at once instead of
    // waiting in the backlog for an accept that never comes.
    listening = false;
    try {
      listener.close();
    } catch (const Poco::Exception&) {
    }
  }
  for (auto& [id, owned] : connections) {
    Connection& connection = *owned;
    if (connection.closed) continue;
    if (connection.phase == Phase::kWaiting) {
      Close(connection);
    } else if (connection.phase != Phase::kHandling) {
      connection.deadline =
          connection.deadline ? std::min(*connection.deadline, stop_deadline) : stop_deadline;
    }
  }
}

void HttpServer::Impl::DrainWake() {
  char sink[64];
  try {
    while (wake_reader.receiveBytes(sink, sizeof(sink)) > 0) {
    }
  } catch (const Poco::Exception&) {
  }
}

void HttpServer::Impl::CollectAnswers(TimePoint now) {
  std::vector<Answer> ready;
  {
    std::lock_guard lock(queue_mutex);
    wake_pending = false;
    ready.swap(answers);
  }
  for (Answer& answer : ready) {
    const auto found = connections.find(answer.connection);
    if (found == connections.end() || found->second->closed) continue;
    Connection& connection = *found->second;
    Respond(connection, answer.response, !connection.keep_alive, now);
  }
}

void HttpServer::Impl::AcceptConnections(TimePoint now) {
  for (int i = 0; i < kAcceptsPerTurn && listening; ++i) {
    Poco::Net::SocketAddress peer;
    Poco::Net::StreamSocket socket;
    try {
      socket = listener.acceptConnection(peer);
    } catch (const Poco::Exception& error) {
      if (WouldBlock(error)) return;
      if (error.code() == POCO_ECONNABORTED) continue;
      Warn("cannot accept API connections (" + error.displayText() + "); pausing briefly", now);
      accept_paused_until = now + kAcceptPause;
      return;
    }
    Admit(std::move(socket), peer.host().toString(), now);
  }
}

void HttpServer::Impl::Admit(Poco::Net::StreamSocket socket, const std::string& client,
                             TimePoint now) {
  try {
    socket.setBlocking(false);
    socket.setNoDelay(true);
  } catch (const Poco::Exception&) {
    return;  // already gone
  }
  bool refuse = false;
  if (Slots(client) >= options.max_connections_per_client && !EvictOldest(&client, now)) {
    refuse = true;
  }
  if (open_connections >= options.max_connections && !EvictOldest(nullptr, now)) {
    // Every connection is being answered: no room even for a refusal.
    Warn("the API has " + std::to_string(open_connections) +
             " connections being answered (api.max_connections); closing new ones at once",
         now);
    return;
  }
  auto owned = std::make_unique<Connection>(options.limits);
  Connection& connection = *owned;
  connection.id = next_id++;
  connection.socket = std::move(socket);
  connection.handle = HandleOf(connection.socket);
  connection.client = client;
  connection.since = now;
  connection.request_start = now;
  connection.deadline = now + options.header_timeout;
  connections.emplace(connection.id, std::move(owned));
  ++open_connections;
  if (refuse) {
    Warn("client " + client + " has " + std::to_string(Slots(client)) +
             " connections being answered (api.max_connections_per_client); refusing more",
         now);
    handler.Answered("", 503);
    Respond(connection,
            Busy("too many connections from this client are being answered; retry shortly"),
            /*close=*/true, now);
    return;
  }
  connection.counted = true;
  ++slots_by_client[client];
  // A client usually sends its request right after connecting: read it now,
  // so that it is being answered before newer connections can push it out.
  Receive(connection, now);
}

bool HttpServer::Impl::EvictOldest(const std::string* client, TimePoint now) {
  // A connection already closing goes first (it only matters for the total);
  // then the one stuck longest where it is: waiting for a request, receiving
  // one, or waiting for its client to take a response.
  const auto rank = [](const Connection& c) { return c.phase == Phase::kLingering ? 0 : 1; };
  Connection* victim = nullptr;
  for (auto& [id, owned] : connections) {
    Connection& candidate = *owned;
    if (candidate.closed || candidate.phase == Phase::kHandling) continue;
    if (client != nullptr && (!candidate.counted || candidate.client != *client)) continue;
    if (victim == nullptr || rank(candidate) < rank(*victim) ||
        (rank(candidate) == rank(*victim) && candidate.since < victim->since)) {
      victim = &candidate;
    }
  }
  if (victim == nullptr) return false;
  if (client != nullptr) {
    Warn("client " + *client + " is at its limit of " +
             std::to_string(options.max_connections_per_client) +
             " connections (api.max_connections_per_client); closing its longest-waiting ones",
         now);
  } else {
    Warn("the API is at its limit of " + std::to_string(options.max_connections) +
             " connections (api.max_connections); closing the longest-waiting ones",
         now);
  }
  if (victim->phase != Phase::kReading) {
    Close(*victim);
    return true;
  }
  // It had started a request: tell it why it is closed.
  handler.Answered(victim->parser.request().method, 503);
  const HttpResponse busy =
      Busy("this connection was closed to make room for a newer one; send the request again");
  if (client != nullptr) {
    // Only the client's slot is needed: answer and close as usual.
    Release(*victim);
    victim->input.clear();
    Respond(*victim, busy, /*close=*/true, now);
  } else {
    // The descriptor itself is needed: one attempt to answer, then close.
    const std::string bytes =
        SerializeResponse(busy, ResponseFraming{victim->parser.http10(), false});
    try {
      victim->socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
    } catch (const Poco::Exception&) {
    }
    Close(*victim);
  }
  return true;
}

void HttpServer::Impl::Receive(Connection& connection, TimePoint now) {
  for (int round = 0; round < kReadsPerTurn && !connection.closed && connection.Reads(); ++round) {
    int got = 0;
    try {
      got =
          connection.socket.receiveBytes(read_buffer.data(), static_cast<int>(read_buffer.size()));
    } catch (const Poco::Exception&) {
      Close(connection);  // reset by the client
      return;
    }
    if (got < 0) return;  // nothing more for now
    if (got == 0) {
      EndOfStream(connection, now);
      return;
    }
    const auto bytes = static_cast<std::size_t>(got);
    if (connection.phase == Phase::kLingering) {
      connection.dropped += bytes;
      if (connection.dropped > kLingerMaxBytes) Close(connection);
      continue;
    }
    connection.input.append(read_buffer.data(), bytes);
    Advance(connection, now);
    Account(connection);
    if (buffered_total > options.max_buffered_bytes) ShedLargest(now);
  }
}

void HttpServer::Impl::EndOfStream(Connection& connection, TimePoint now) {
  if (connection.phase != Phase::kReading) {
    Close(connection);
    return;
  }
  // The client stopped sending halfway; it may still read an answer.
  Refuse(connection,
         ApiError{400, std::nullopt,
                  connection.parser.head_complete()
                      ? "the request body ended before it was complete"
                      : "the request ended before its headers were complete"},
         now);
}

void HttpServer::Impl::Advance(Connection& connection, TimePoint now) {
  while (!connection.closed && !connection.input.empty() &&
         (connection.phase == Phase::kWaiting || connection.phase == Phase::kReading)) {
    if (connection.phase == Phase::kWaiting) {
      connection.phase = Phase::kReading;
      // A new connection's deadlines count from its start; a kept-alive
      // one's from its next request's first byte.
      if (connection.served) {
        connection.request_start = now;
        connection.since = now;
      }
      connection.deadline = Bounded(
          connection.request_start + std::min(options.header_timeout, options.request_timeout),
          now);
    }
    const std::size_t used = connection.parser.Feed(connection.input);
    connection.input.erase(0, used);
    switch (connection.parser.state()) {
      case HttpRequestParser::State::kHead:
        return;
      case HttpRequestParser::State::kBody:
        connection.deadline = Bounded(connection.request_start + options.request_timeout, now);
        if (connection.parser.expects_continue() && !connection.continue_sent) {
          connection.continue_sent = true;
          connection.output.append(kContinueResponse);
          Flush(connection, now);
        }
        return;
      case HttpRequestParser::State::kComplete:
        Dispatch(connection, now);
        return;
      case HttpRequestParser::State::kFailed:
        Refuse(connection, connection.parser.error(), now);
        return;
    }
  }
}

void HttpServer::Impl::Dispatch(Connection& connection, TimePoint now) {
  connection.http10 = connection.parser.http10();
  connection.keep_alive = connection.parser.keep_alive();
  connection.head_request = connection.parser.request().method == "HEAD";
  connection.phase = Phase::kHandling;
  connection.since = now;
  connection.deadline.reset();
  Account(connection);
  {
    std::lock_guard lock(queue_mutex);
    jobs.push_back(Job{connection.id, connection.parser.TakeRequest()});
    jobs.back().request.client = connection.client;
  }
  work_ready.notify_one();
}

void HttpServer::Impl::Refuse(Connection& connection, const ApiError& error, TimePoint now) {
  handler.Answered(connection.parser.request().method, error.status);
  HttpResponse response = ErrorResponse(error);
  if (error.status == 503) response.headers.emplace_back("Retry-After", "1");
  connection.http10 = connection.parser.http10();
  connection.head_request = false;
  connection.input.clear();
  Respond(connection, response, /*close=*/true, now);
}

void HttpServer::Impl::Respond(Connection& connection, const HttpResponse& response, bool close,
                               TimePoint now) {
  close = close || stopping;
  connection.output.append(SerializeResponse(
      response, ResponseFraming{connection.http10, !close, connection.head_request}));
  connection.close_after_output = close;
  connection.phase = Phase::kWriting;
  connection.since = now;
  connection.deadline = Bounded(now + options.request_timeout, now);
  Account(connection);
  Flush(connection, now);
}

void HttpServer::Impl::Flush(Connection& connection, TimePoint now) {
  while (connection.HasOutput()) {
    const std::size_t size =
        std::min(connection.output.size() - connection.output_sent, kMaxSendBytes);
    int sent = 0;
    try {
      sent = connection.socket.sendBytes(connection.output.data() + connection.output_sent,
                                         static_cast<int>(size));
    } catch (const Poco::Exception& error) {
      if (WouldBlock(error)) return;
      Close(connection);  // the client went away
      return;
    }
    if (sent <= 0) return;
    connection.output_sent += static_cast<std::size_t>(sent);
  }
  connection.output.clear();
  connection.output_sent = 0;
  if (connection.phase == Phase::kWriting) Written(connection, now);
}

void HttpServer::Impl::Written(Connection& connection, TimePoint now) {
  if (connection.close_after_output || stopping) {
    Release(connection);
    try {
      connection.socket.shutdownSend();
    } catch (const Poco::Exception&) {
      Close(connection);
      return;
    }
    connection.phase = Phase::kLingering;
    connection.since = now;
    connection.deadline = Bounded(now + kLingerTime, now);
    connection.input.clear();
    return;
  }
  connection.served = true;
  connection.parser.Reset();
  connection.continue_sent = false;
  connection.head_request = false;
  connection.phase = Phase::kWaiting;
  connection.since = now;
  connection.deadline = now + options.keep_alive_timeout;
  Advance(connection, now);  // a pipelined request may be here already
}

void HttpServer::Impl::ExpireDeadlines(TimePoint now) {
  for (auto& [id, owned] : connections) {
    Connection& connection = *owned;
    if (connection.closed || !connection.deadline || now < *connection.deadline) continue;
    if (connection.phase != Phase::kReading) {
      // Idle, not taking its response, or done lingering.
      Close(connection);
      continue;
    }
    if (stopping) {
      Refuse(connection, ApiError{503, std::nullopt, "the agent is stopping; retry shortly"}, now);
    } else if (!connection.parser.head_complete()) {
      Refuse(connection,
             ApiError{408, std::nullopt,
                      "the request headers did not arrive within " +
                          Millis(std::min(options.header_timeout, options.request_timeout))},
             now);
    } else {
      Refuse(connection,
             ApiError{408, std::nullopt,
                      "the request body did not arrive within " + Millis(options.request_timeout) +
                          " of the request's start"},
             now);
    }
  }
}

void HttpServer::Impl::Account(Connection& connection) {
  const std::size_t now_buffered =
      connection.phase == Phase::kReading && !connection.closed
          ? connection.input.size() + connection.parser.buffered_bytes()
          : 0;
  buffered_total = buffered_total - connection.buffered + now_buffered;
  connection.buffered = now_buffered;
}

void HttpServer::Impl::ShedLargest(TimePoint now) {
  while (buffered_total > options.max_buffered_bytes) {
    Connection* largest = nullptr;
    for (auto& [id, owned] : connections) {
      Connection& candidate = *owned;
      if (candidate.closed || candidate.phase != Phase::kReading) continue;
      if (largest == nullptr || candidate.buffered > largest->buffered) largest = &candidate;
    }
    if (largest == nullptr) return;
    Warn("requests still arriving hold more than " + std::to_string(options.max_buffered_bytes) +
             " bytes; refusing the largest",
         now);
    Refuse(*largest,
           ApiError{503, std::nullopt,
                    "the agent is receiving too much at once; send the request again shortly"},
           now);
  }
}

void HttpServer::Impl::Close(Connection& connection) {
  if (connection.closed) return;
  buffered_total -= connection.buffered;
  connection.buffered = 0;
  Release(connection);
  try {
    connection.socket.close();
  } catch (const Poco::Exception&) {
  }
  connection.closed = true;
  --open_connections;
}

void HttpServer::Impl::Release(Connection& connection) {
  if (!connection.counted) return;
  connection.counted = false;
  const auto found = slots_by_client.find(connection.client);
  if (found != slots_by_client.end() && --found->second == 0) slots_by_client.erase(found);
}

std::size_t HttpServer::Impl::Slots(const std::string& client) const {
  const auto found = slots_by_client.find(client);
  return found == slots_by_client.end() ? 0 : found->second;
}

TimePoint HttpServer::Impl::Bounded(TimePoint wanted, TimePoint now) const {
  if (!stopping) return wanted;
  return std::min(wanted, std::max(stop_deadline, now + kStopSendGrace));
}

void HttpServer::Impl::Warn(const std::string& message, TimePoint now) {
  // Under attack the same warning would come thousands of times a second.
  if (last_warning && now - *last_warning < kWarningInterval) {
    LogDebug("api", message);
    return;
  }
  last_warning = now;
  LogWarning("api", message);
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      HttpHandler& handler) {
  auto impl = std::make_unique<Impl>(options, handler);
  const std::string where = options.listen_address + ":" + std::to_string(options.port);
  try {
    // SO_REUSEADDR for quick restarts, but not SO_REUSEPORT: a second agent
    // on the same port must fail loudly instead of sharing it.
    impl->listener.bind(Poco::Net::SocketAddress(options.listen_address, options.port),
                        /*reuseAddress=*/true, /*reusePort=*/false);
    impl->listener.listen(kListenBacklog);
    impl->listener.setBlocking(false);
    impl->port = impl->listener.address().port();
  } catch (const Poco::Exception& error) {
    return Status::Unavailable(where + ": " + error.displayText());
  }
  TB_RETURN_IF_ERROR(impl->OpenWakeSockets());
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(impl)));
  Impl& state = *server->impl_;
  try {
    for (int i = 0; i < std::max(1, options.worker_threads); ++i) {
      state.workers.emplace_back([&state] { state.Work(); });
    }
    state.loop_thread = std::thread([&state] { state.Loop(); });
  } catch (const std::system_error& error) {
    server->Stop();
    return Status::Unavailable(where + ": cannot start the server's threads: " + error.what());
  }
  return server;
}

void HttpServer::Stop() {
  Impl& state = *impl_;
  std::lock_guard stop_lock(state.stop_mutex);
  if (state.stopped) return;
  state.stopped = true;
  bool wake = false;
  {
    std::lock_guard lock(state.queue_mutex);
    state.stop_requested = true;
    wake = !state.wake_pending;
    state.wake_pending = true;
  }
  if (wake) state.SendWake();
  if (state.loop_thread.joinable()) {
    state.loop_thread.join();
  } else {
    try {
      state.listener.close();
    } catch (const Poco::Exception&) {
    }
  }
  {
    std::lock_guard lock(state.queue_mutex);
    state.workers_leave = true;
  }
  state.work_ready.notify_all();
  for (auto& worker : state.workers) {
    if (worker.joinable()) worker.join();
  }
}

std::uint16_t HttpServer::Port() const { return impl_->port; }

}  // namespace tillbridge::agent
