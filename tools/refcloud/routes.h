// Request handlers of the reference cloud, on plain request/reply structs
// so that the HTTP server adapter alone knows Poco's types.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tools/refcloud/cloud_db.h"
#include "tools/refcloud/cloud_rules.h"
#include "tools/refcloud/faults.h"
#include "tools/refcloud/server.h"

namespace tillbridge::refcloud {

struct Request {
  std::string method;
  std::string path;  // without the query
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct Reply {
  int status = 200;
  std::string body;  // JSON
  std::vector<std::pair<std::string, std::string>> headers;
};

// What the handlers share. Everything referenced outlives the server.
struct RouteContext {
  const ServerOptions& options;
  CloudDb& db;
  FaultInjector& faults;
  CloudRules& rules;
  const Clock& clock;
  LogSink log;
  bool tls = false;
};

// {"error": {"code": ..., "message": ...}} with `status`.
Reply ErrorReply(int status, const std::string& code, const std::string& message);

// /v1/...: health, agent registration, event push, change feed.
Reply HandleApi(RouteContext& context, const Request& request);
// /hooks/<name>: a signed catch hook (webhook sink receiver).
Reply HandleHook(RouteContext& context, const Request& request);
// /admin/...: counts, events, messages, inbound SMS, clicks, faults.
Reply HandleAdmin(RouteContext& context, const Request& request);

// Sends what is due at `now` (follow-ups, re-engagement) in one
// transaction whose clock reads `now`, and logs it. Used by the server's
// ticker and POST /admin/run-due.
Result<CloudRules::DueResult> RunDueAt(RouteContext& context, UnixMillis now);

// The bearer token of an Authorization header compared in constant time.
bool BearerMatches(const std::string& authorization, const std::string& token);

}  // namespace tillbridge::refcloud
