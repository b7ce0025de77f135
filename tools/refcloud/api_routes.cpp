#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "common/digest.h"
#include "common/phone.h"
#include "tools/refcloud/routes.h"

namespace tillbridge::refcloud {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr const char* kApiVersion = "1.0";
constexpr std::int64_t kSkewReportMs = 5 * 60'000;
constexpr const char* kCursorPrefix = "c1.";

Object::Ptr NewObject() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }

std::string Json(const Object::Ptr& object) {
  std::ostringstream out;
  object->stringify(out);
  return out.str();
}

Reply JsonReply(int status, const Object::Ptr& object) { return {status, Json(object), {}}; }

// Cursors read "c1.<epoch>.<seq>": opaque to agents, and refused by any
// other database (a reset cloud) instead of silently skipping changes.
std::string Cursor(const CloudDb& db, std::int64_t seq) {
  return std::string(kCursorPrefix) + db.epoch() + "." + std::to_string(seq);
}

std::optional<std::int64_t> ParseCursor(const CloudDb& db, const std::string& text) {
  const std::string prefix = std::string(kCursorPrefix) + db.epoch() + ".";
  if (text.rfind(prefix, 0) != 0) return std::nullopt;
  std::int64_t seq = 0;
  const char* begin = text.data() + prefix.size();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, seq);
  if (begin == end || ec != std::errc() || ptr != end || seq < 0) return std::nullopt;
  return seq;
}

std::int64_t QueryInt(const Request& request, const std::string& name, std::int64_t fallback) {
  auto it = request.query.find(name);
  if (it == request.query.end()) return fallback;
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
  if (ec != std::errc() || ptr != it->second.data() + it->second.size()) return fallback;
  return value;
}

// Path "/v1/agents/<id>[/<rest>]" -> id and rest.
bool SplitAgentPath(const std::string& path, std::string* agent_id, std::string* rest) {
  const std::string prefix = "/v1/agents/";
  if (path.rfind(prefix, 0) != 0) return false;
  const std::string tail = path.substr(prefix.size());
  const auto slash = tail.find('/');
  *agent_id = tail.substr(0, slash);
  *rest = slash == std::string::npos ? "" : tail.substr(slash + 1);
  return !agent_id->empty();
}

Reply Health(RouteContext& context) {
  Object::Ptr body = NewObject();
  body->set("status", "ok");
  body->set("api_version", kApiVersion);
  body->set("server_time", FormatRfc3339(context.clock.NowMillis()));
  body->set("tls", context.tls);
  return JsonReply(200, body);
}

Reply Register(RouteContext& context, const std::string& agent_id, const Request& request) {
  Object::Ptr body;
  try {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var parsed = parser.parse(request.body);
    if (parsed.type() == typeid(Object::Ptr)) body = parsed.extract<Object::Ptr>();
  } catch (const Poco::Exception& error) {
    return ErrorReply(400, "invalid_request", "the body is not JSON: " + error.displayText());
  }
  if (!body) return ErrorReply(400, "invalid_request", "the body must be a JSON object");
  AgentRecord agent;
  agent.agent_id = agent_id;
  for (auto [field, target] :
       {std::pair{"store_id", &agent.store_id}, std::pair{"terminal_id", &agent.terminal_id},
        std::pair{"agent_version", &agent.agent_version}, std::pair{"platform", &agent.platform}}) {
    if (body->has(field) && body->get(field).isString())
      *target = body->getValue<std::string>(field);
  }
  if (agent.store_id.empty()) return ErrorReply(422, "invalid_field", "store_id is required");
  if (agent.terminal_id.empty()) return ErrorReply(422, "invalid_field", "terminal_id is required");
  auto stored = context.db.RegisterAgent(agent);
  if (!stored.ok()) return ErrorReply(500, "internal", stored.status().message());
  context.log("agent " + agent_id + " registered: store " + agent.store_id + ", terminal " +
              agent.terminal_id + ", version " + agent.agent_version);
  Object::Ptr reply = NewObject();
  reply->set("agent_id", stored->agent_id);
  reply->set("store_id", stored->store_id);
  reply->set("registered_at", FormatRfc3339(stored->registered_at));
  reply->set("server_time", FormatRfc3339(context.clock.NowMillis()));
  Object::Ptr limits = NewObject();
  limits->set("max_batch_events", static_cast<std::int64_t>(context.options.max_batch_events));
  limits->set("max_batch_bytes", static_cast<std::int64_t>(context.options.max_batch_bytes));
  limits->set("max_wait_seconds", context.options.max_wait_seconds);
  reply->set("limits", limits);
  return JsonReply(200, reply);
}

std::string Describe(const ValidEvent& event) {
  std::string text = event.type;
  if (!event.pos_id.empty()) text += " " + event.pos_id;
  if (!event.phone.empty()) text += " " + MaskPhone(event.phone);
  if (!event.currency.empty()) {
    char amount[96];
    std::snprintf(amount, sizeof(amount), " %s%lld.%02lld %s", event.total_minor < 0 ? "-" : "",
                  static_cast<long long>(std::llabs(event.total_minor) / 100),
                  static_cast<long long>(std::llabs(event.total_minor) % 100),
                  event.currency.substr(0, 3).c_str());
    text += amount;
  }
  if (!event.consent_state.empty()) text += " " + event.consent_purpose + "=" + event.consent_state;
  if (!event.coupon_code.empty()) text += " " + event.coupon_code;
  return text;
}

Reply Push(RouteContext& context, const AgentRecord& agent, const Request& request) {
  if (request.body.size() > context.options.max_batch_bytes) {
    return ErrorReply(413, "payload_too_large",
                      "the batch is " + std::to_string(request.body.size()) +
                          " bytes; the limit is " +
                          std::to_string(context.options.max_batch_bytes));
  }
  auto items = ParseEventBatch(request.body, agent.store_id);
  if (!items.ok()) return ErrorReply(400, "invalid_request", items.status().message());
  if (items->size() > context.options.max_batch_events) {
    return ErrorReply(413, "too_many_events",
                      std::to_string(items->size()) + " events; the limit is " +
                          std::to_string(context.options.max_batch_events));
  }
  std::vector<CloudDb::IncomingEvent> incoming;
  std::vector<const ValidEvent*> valid;
  for (const BatchItem& item : *items) {
    if (!item.event) continue;
    const ValidEvent& event = *item.event;
    incoming.push_back({event.id, event.type, event.store_id, event.phone, event.pos_id,
                        event.occurred_at, event.document});
    valid.push_back(&event);
  }
  std::vector<std::string> log;
  auto fresh = context.db.RecordEvents(
      agent.agent_id, incoming, [&](CloudTxn& txn, const CloudDb::IncomingEvent& event) -> Status {
        // `event` is an element of `incoming`, which parallels `valid`.
        const auto index = static_cast<size_t>(&event - incoming.data());
        return context.rules.OnEvent(txn, *valid.at(index), agent.agent_id, &log);
      });
  if (!fresh.ok()) return ErrorReply(500, "internal", fresh.status().message());

  Array::Ptr results = new Array();
  std::int64_t accepted = 0, duplicates = 0, rejected = 0;
  size_t k = 0;
  for (const BatchItem& item : *items) {
    Object::Ptr result = NewObject();
    result->set("id", item.id);
    if (!item.event) {
      ++rejected;
      result->set("status", "rejected");
      Object::Ptr reason = NewObject();
      reason->set("code", item.rejection.code);
      if (!item.rejection.field.empty()) reason->set("field", item.rejection.field);
      reason->set("message", item.rejection.message);
      result->set("reason", reason);
    } else if ((*fresh)[k++]) {
      ++accepted;
      result->set("status", "accepted");
    } else {
      ++duplicates;
      result->set("status", "duplicate");
    }
    results->add(result);
  }
  if (!context.options.quiet) {
    context.log("push  " + agent.agent_id + " " + std::to_string(items->size()) + " events: " +
                std::to_string(accepted) + " accepted, " + std::to_string(duplicates) +
                " duplicate, " + std::to_string(rejected) + " rejected");
    if (items->size() <= 5) {
      size_t index = 0;
      for (const BatchItem& item : *items) {
        if (item.event) {
          context.log("      " + Describe(*item.event) + ((*fresh)[index++] ? "" : " (duplicate)"));
        } else {
          context.log(
              MaskPhonesInText("      rejected " + item.id + ": " + item.rejection.message));
        }
      }
    }
  }
  for (const auto& line : log) context.log(line);
  Object::Ptr reply = NewObject();
  reply->set("results", results);
  reply->set("accepted", accepted);
  reply->set("duplicates", duplicates);
  reply->set("rejected", rejected);
  reply->set("server_time", FormatRfc3339(context.clock.NowMillis()));
  return JsonReply(200, reply);
}

Reply Changes(RouteContext& context, const AgentRecord& agent, const Request& request) {
  std::int64_t after = 0;
  auto cursor_it = request.query.find("cursor");
  if (cursor_it != request.query.end() && !cursor_it->second.empty()) {
    auto parsed = ParseCursor(context.db, cursor_it->second);
    if (!parsed || *parsed > context.db.LastChangeSeq()) {
      return ErrorReply(400, "invalid_cursor",
                        "this cursor did not come from this cloud; start again without one");
    }
    after = *parsed;
  }
  const std::int64_t limit = std::clamp<std::int64_t>(QueryInt(request, "limit", 500), 1, 1000);
  const std::int64_t wait_seconds =
      std::clamp<std::int64_t>(QueryInt(request, "wait", 0), 0, context.options.max_wait_seconds);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_seconds);
  std::vector<ChangeRecord> changes;
  std::int64_t scanned = after;
  bool more = false;
  for (;;) {
    auto page =
        context.db.ChangesFor(agent.agent_id, after, static_cast<size_t>(limit), &scanned, &more);
    if (!page.ok()) return ErrorReply(500, "internal", page.status().message());
    changes = std::move(page).value();
    // Answer as soon as there is something to apply or the cursor moved
    // past the agent's own changes (so its cursor stays current).
    if (!changes.empty() || scanned > after || std::chrono::steady_clock::now() >= deadline) break;
    if (!context.db.WaitForChanges(scanned, deadline)) {
      // Woken by the deadline or shutdown; one last look below.
      auto last =
          context.db.ChangesFor(agent.agent_id, after, static_cast<size_t>(limit), &scanned, &more);
      if (last.ok()) changes = std::move(last).value();
      break;
    }
  }
  Array::Ptr list = new Array();
  for (const ChangeRecord& change : changes) {
    Object::Ptr entry = NewObject();
    entry->set("id", "chg_" + std::to_string(change.seq));
    entry->set("type", change.type);
    entry->set("occurred_at", FormatRfc3339(change.occurred_at));
    if (change.phone.empty()) {
      entry->set("phone", Poco::Dynamic::Var());
    } else {
      entry->set("phone", change.phone);
    }
    Poco::JSON::Parser parser;
    entry->set("data", parser.parse(change.data_json));
    list->add(entry);
  }
  if (!changes.empty() && !context.options.quiet) {
    context.log("pull  " + agent.agent_id + " " + std::to_string(changes.size()) +
                " changes up to " + Cursor(context.db, scanned));
  }
  Object::Ptr reply = NewObject();
  reply->set("changes", list);
  reply->set("next_cursor", Cursor(context.db, scanned));
  reply->set("has_more", more);
  reply->set("server_time", FormatRfc3339(context.clock.NowMillis()));
  return JsonReply(200, reply);
}

}  // namespace

Reply ErrorReply(int status, const std::string& code, const std::string& message) {
  Object::Ptr error = NewObject();
  error->set("code", code);
  error->set("message", message);
  Object::Ptr body = NewObject();
  body->set("error", error);
  return JsonReply(status, body);
}

bool BearerMatches(const std::string& authorization, const std::string& token) {
  const std::string prefix = "Bearer ";
  if (authorization.size() != prefix.size() + token.size() ||
      authorization.compare(0, prefix.size(), prefix) != 0) {
    return false;
  }
  unsigned char diff = 0;
  for (size_t i = 0; i < token.size(); ++i) {
    diff |= static_cast<unsigned char>(authorization[prefix.size() + i] ^ token[i]);
  }
  return diff == 0;
}

Reply HandleApi(RouteContext& context, const Request& request) {
  if (!BearerMatches(request.Header("authorization"), context.options.token)) {
    return ErrorReply(401, "unauthorized", "missing or wrong bearer token");
  }
  const std::string version = request.Header("tillbridge-api-version");
  if (!version.empty() && version.substr(0, version.find('.')) != "1") {
    return ErrorReply(400, "unsupported_version",
                      "this cloud speaks Sync API 1.x; the request asked for " + version);
  }
  Reply reply;
  const std::string sent_at = request.Header("tillbridge-sent-at");
  if (!sent_at.empty()) {
    auto client_time = ParseRfc3339(sent_at);
    if (client_time.ok()) {
      const std::int64_t skew = context.clock.NowMillis() - *client_time;
      if (std::llabs(skew) > kSkewReportMs) {
        reply.headers.emplace_back("Tillbridge-Clock-Skew-Ms", std::to_string(skew));
      }
    }
  }
  if (request.path == "/v1/health" && request.method == "GET") {
    Reply health = Health(context);
    health.headers = reply.headers;
    return health;
  }
  std::string agent_id, rest;
  if (!SplitAgentPath(request.path, &agent_id, &rest)) {
    return ErrorReply(404, "not_found", "no such endpoint: " + request.method + " " + request.path);
  }
  const std::string header_agent = request.Header("tillbridge-agent-id");
  if (!header_agent.empty() && header_agent != agent_id) {
    return ErrorReply(400, "agent_mismatch", "Tillbridge-Agent-Id does not match the path");
  }
  Reply answer;
  if (rest.empty() && request.method == "PUT") {
    answer = Register(context, agent_id, request);
  } else if ((rest == "events" && request.method == "POST") ||
             (rest == "changes" && request.method == "GET")) {
    auto agent = context.db.FindAgent(agent_id);
    if (!agent.ok()) return ErrorReply(500, "internal", agent.status().message());
    if (!*agent) {
      return ErrorReply(409, "agent_not_registered",
                        "register with PUT /v1/agents/" + agent_id + " first");
    }
    answer =
        rest == "events" ? Push(context, **agent, request) : Changes(context, **agent, request);
  } else {
    return ErrorReply(404, "not_found", "no such endpoint: " + request.method + " " + request.path);
  }
  answer.headers.insert(answer.headers.end(), reply.headers.begin(), reply.headers.end());
  return answer;
}

Reply HandleHook(RouteContext& context, const Request& request) {
  const std::string hook = request.path.substr(std::string("/hooks/").size());
  if (context.options.webhook_secret.empty() || hook.empty()) {
    return ErrorReply(404, "not_found", "no catch hook here (start with --webhook-secret)");
  }
  if (request.method != "POST") return ErrorReply(405, "method_not_allowed", "POST only");
  const std::string timestamp = request.Header("tillbridge-timestamp");
  const std::string signature = request.Header("tillbridge-signature");
  std::int64_t seconds = 0;
  auto [ptr, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), seconds);
  if (timestamp.empty() || ec != std::errc() || ptr != timestamp.data() + timestamp.size()) {
    return ErrorReply(401, "bad_signature", "Tillbridge-Timestamp is missing or not a number");
  }
  if (std::llabs(context.clock.NowMillis() / 1000 - seconds) > 300) {
    return ErrorReply(401, "bad_signature", "Tillbridge-Timestamp is more than 5 minutes off");
  }
  const std::string expected =
      "v1=" + HmacSha256Hex(context.options.webhook_secret, timestamp + "." + request.body);
  if (!BearerMatches("Bearer " + signature, expected)) {
    return ErrorReply(401, "bad_signature", "Tillbridge-Signature does not match the body");
  }
  BatchItem item = ParseSingleEvent(request.body);
  if (!item.event) {
    return ErrorReply(
        422, item.rejection.code,
        item.rejection.message +
            (item.rejection.field.empty() ? "" : " (field " + item.rejection.field + ")"));
  }
  const ValidEvent& event = *item.event;
  auto fresh =
      context.db.RecordHookDelivery(hook, {event.id, event.type, event.store_id, event.phone,
                                           event.pos_id, event.occurred_at, event.document});
  if (!fresh.ok()) return ErrorReply(500, "internal", fresh.status().message());
  if (!context.options.quiet) {
    context.log("hook  " + hook + " " + Describe(event) + (*fresh ? "" : " (duplicate)"));
  }
  Object::Ptr reply = NewObject();
  reply->set("status", *fresh ? "accepted" : "duplicate");
  return JsonReply(200, reply);
}

}  // namespace tillbridge::refcloud
