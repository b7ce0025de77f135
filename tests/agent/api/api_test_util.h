// Shared by the API tests: a real store in a temp folder, a real ApiServer on
// an ephemeral loopback port, and a small HTTP client over real sockets.
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "agent/api/api_options.h"
#include "agent/api/api_server.h"
#include "agent/api/json.h"
#include "common/phone.h"
#include "store/store.h"
#include "tests/test_util.h"

namespace tillbridge::agent::testing {

inline constexpr const char* kToken = "test-token-0123456789abcdef0123456789abcdef";

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::vector<std::string> set_cookies;
  std::string body;

  // The body parsed as JSON (fails the test when it is not JSON).
  JsonValue Json() const {
    auto parsed = ParseJson(body);
    REQUIRE_MESSAGE(parsed.ok(), "not JSON: ", body);
    return std::move(parsed).value();
  }
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Member `path` ("error.field") of a JSON value, as text: strings as is,
// null as "null", numbers as written, booleans as true/false.
inline std::string At(const JsonValue& root, const std::string& path) {
  const JsonValue* node = &root;
  std::string rest = path;
  while (!rest.empty()) {
    const auto dot = rest.find('.');
    const std::string key = rest.substr(0, dot);
    rest = dot == std::string::npos ? "" : rest.substr(dot + 1);
    if (!key.empty() && std::all_of(key.begin(), key.end(), ::isdigit) &&
        node->type() == JsonValue::Type::kArray) {
      const auto index = std::stoul(key);
      if (index >= node->items().size()) return "<missing>";
      node = &node->items()[index];
      continue;
    }
    node = node->Find(key);
    if (node == nullptr) return "<missing>";
  }
  switch (node->type()) {
    case JsonValue::Type::kNull:
      return "null";
    case JsonValue::Type::kBool:
      return node->bool_value() ? "true" : "false";
    case JsonValue::Type::kArray:
      return "<array:" + std::to_string(node->items().size()) + ">";
    case JsonValue::Type::kObject:
      return "<object>";
    default:
      return node->text();
  }
}

// One HTTP request over a fresh loopback connection.
inline Reply Call(std::uint16_t port, const std::string& method, const std::string& path,
                  const std::string& body = "",
                  const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [name, value] : headers) request.add(name, value);
  if (!body.empty() || method == "POST") {
    if (!request.has("Content-Type")) request.setContentType("application/json");
    request.setContentLength64(static_cast<Poco::Int64>(body.size()));
  }
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Reply reply;
  reply.status = static_cast<int>(response.getStatus());
  for (const auto& [name, value] : response) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (lower == "set-cookie") reply.set_cookies.push_back(value);
    reply.headers[lower] = value;
  }
  std::ostringstream text;
  Poco::StreamCopier::copyStream(in, text);
  reply.body = text.str();
  return reply;
}

inline std::pair<std::string, std::string> Bearer(const std::string& token = kToken) {
  return {"Authorization", "Bearer " + token};
}

// Sends raw bytes and returns everything the server answers until it
// closes the connection (or 5 s pass). With `close_write` the client then
// shuts its sending side, so the server sees the end of the request.
inline std::string RawExchange(std::uint16_t port, const std::string& bytes,
                               bool close_write = true) {
  Poco::Net::StreamSocket socket;
  socket.connect(Poco::Net::SocketAddress("127.0.0.1", port), Poco::Timespan(5, 0));
  socket.setReceiveTimeout(Poco::Timespan(5, 0));
  socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  if (close_write) socket.shutdownSend();
  std::string out;
  char buffer[4096];
  try {
    for (;;) {
      const int got = socket.receiveBytes(buffer, sizeof(buffer));
      if (got <= 0) break;
      out.append(buffer, static_cast<std::size_t>(got));
    }
  } catch (const Poco::Exception&) {
  }
  return out;
}

// A store and a running server with test options.
class ApiFixture {
 public:
  explicit ApiFixture(ApiOptions options = TestOptions(), const Clock* clock = nullptr,
                      std::string region = "US")
      : phones_(std::move(region)), options_(std::move(options)), clock_(clock) {
    Open();
  }

  // Stops the server and closes the store, then opens both again on the
  // same folder, as an agent restart does.
  void Restart() {
    server_.reset();
    store_.reset();
    Open();
  }

  static ApiOptions TestOptions() {
    ApiOptions options;
    options.port = 0;
    options.token = kToken;
    options.transactional_disclosure = {"Receipts by text. Reply STOP to stop.",
                                        "1 msg per purchase"};
    options.marketing_disclosure = {"Offers by text. Reply STOP to stop.", "Up to 4 msgs/month"};
    return options;
  }

  store::Store& store() { return *store_; }
  ApiServer& server() { return *server_; }

 private:
  void Open() {
    store::StoreOptions store_options;
    store_options.path = dir_.File("store.db");
    store_options.store_id = "store-7";
    store_options.terminal_id = "lane-3";
    store_options.clock = clock_;
    auto opened = store::Store::Open(store_options);
    REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
    store_ = std::move(opened).value();
    auto started = ApiServer::Start(options_, *store_, phones_);
    REQUIRE_MESSAGE(started.ok(), started.status().ToString());
    server_ = std::move(started).value();
  }

 public:
  std::uint16_t port() const { return server_->Port(); }
  const tillbridge::testing::TempDir& dir() const { return dir_; }
  std::string db_path() const { return dir_.File("store.db"); }

  Reply Get(const std::string& path) { return Call(port(), "GET", path, "", {Bearer()}); }
  Reply Post(const std::string& path, const std::string& body,
             std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.push_back(Bearer());
    return Call(port(), "POST", path, body, headers);
  }

 private:
  tillbridge::testing::TempDir dir_;
  PhoneNormalizer phones_;
  ApiOptions options_;
  const Clock* clock_ = nullptr;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ApiServer> server_;
};

}  // namespace tillbridge::agent::testing
