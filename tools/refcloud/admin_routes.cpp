#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <sstream>

#include "common/phone.h"
#include "tools/refcloud/chain_report.h"
#include "tools/refcloud/routes.h"

namespace tillbridge::refcloud {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr NewObject() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }

Reply JsonReply(int status, const Object::Ptr& object) {
  std::ostringstream out;
  object->stringify(out);
  return {status, out.str(), {}};
}

std::int64_t QueryInt(const Request& request, const std::string& name, std::int64_t fallback) {
  auto it = request.query.find(name);
  if (it == request.query.end()) return fallback;
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
  return ec == std::errc() && ptr == it->second.data() + it->second.size() ? value : fallback;
}

std::string QueryText(const Request& request, const std::string& name) {
  auto it = request.query.find(name);
  return it == request.query.end() ? std::string() : it->second;
}

Result<Object::Ptr> Body(const Request& request) {
  try {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var parsed = parser.parse(request.body);
    if (parsed.type() == typeid(Object::Ptr)) return parsed.extract<Object::Ptr>();
  } catch (const Poco::Exception& error) {
    return Status::InvalidArgument("the body is not JSON: " + error.displayText());
  }
  return Status::InvalidArgument("the body must be a JSON object");
}

std::string Text(const Object::Ptr& body, const std::string& name) {
  if (!body->has(name) || !body->get(name).isString()) return "";
  return body->getValue<std::string>(name);
}

Object::Ptr EventJson(const EventRecord& event) {
  Object::Ptr out = NewObject();
  out->set("seq", event.seq);
  out->set("id", event.id);
  out->set("type", event.type);
  out->set("agent_id", event.agent_id);
  out->set("customer", event.customer);
  out->set("pos_id", event.pos_id);
  out->set("occurred_at", FormatRfc3339(event.occurred_at));
  out->set("first_received_at", FormatRfc3339(event.first_received_at));
  out->set("seen_count", event.seen_count);
  return out;
}

Object::Ptr FaultsJson(const FaultInjector& faults) {
  const FaultSettings settings = faults.settings();
  Object::Ptr out = NewObject();
  out->set("error_rate", settings.error_rate);
  out->set("error_status", settings.error_status);
  out->set("throttle_rate", settings.throttle_rate);
  out->set("retry_after_seconds", settings.retry_after_seconds);
  out->set("retry_after_as_date", settings.retry_after_as_date);
  out->set("drop_rate", settings.drop_rate);
  out->set("latency_ms", settings.latency_ms);
  out->set("latency_jitter_ms", settings.latency_jitter_ms);
  out->set("outage", settings.outage);
  out->set("outage_until",
           settings.outage_until == 0 ? std::string() : FormatRfc3339(settings.outage_until));
  out->set("in_outage", faults.InOutage());
  Object::Ptr counts = NewObject();
  for (const auto& [kind, count] : faults.Counts()) counts->set(kind, count);
  out->set("injected", counts);
  return out;
}

Reply SetFaults(RouteContext& context, const Request& request) {
  auto body = Body(request);
  if (!body.ok()) return ErrorReply(400, "invalid_request", body.status().message());
  FaultSettings settings = (*body)->has("reset") ? FaultSettings{} : context.faults.settings();
  try {
    const Object::Ptr& b = *body;
    const auto rate = [&](const char* name, double* target) -> bool {
      if (!b->has(name)) return true;
      const double value = b->getValue<double>(name);
      if (value < 0 || value > 1) return false;
      *target = value;
      return true;
    };
    if (!rate("error_rate", &settings.error_rate) ||
        !rate("throttle_rate", &settings.throttle_rate) ||
        !rate("drop_rate", &settings.drop_rate)) {
      return ErrorReply(422, "invalid_field", "rates must be between 0 and 1");
    }
    if (settings.error_rate + settings.throttle_rate + settings.drop_rate > 1) {
      return ErrorReply(422, "invalid_field", "error_rate + throttle_rate + drop_rate exceeds 1");
    }
    if (b->has("error_status")) settings.error_status = b->getValue<int>("error_status");
    if (settings.error_status < 400 || settings.error_status > 599) {
      return ErrorReply(422, "invalid_field", "error_status must be a 4xx or 5xx code");
    }
    if (b->has("retry_after_seconds"))
      settings.retry_after_seconds = b->getValue<int>("retry_after_seconds");
    if (b->has("retry_after_as_date"))
      settings.retry_after_as_date = b->getValue<bool>("retry_after_as_date");
    if (b->has("latency_ms")) settings.latency_ms = b->getValue<int>("latency_ms");
    if (b->has("latency_jitter_ms"))
      settings.latency_jitter_ms = b->getValue<int>("latency_jitter_ms");
    if (b->has("outage")) settings.outage = b->getValue<bool>("outage");
    if (b->has("outage_for_ms")) {
      settings.outage_until =
          context.clock.NowMillis() + b->getValue<std::int64_t>("outage_for_ms");
    }
  } catch (const Poco::Exception& error) {
    return ErrorReply(422, "invalid_field",
                      "a fault setting has the wrong type: " + error.displayText());
  }
  if (settings.retry_after_seconds < 0 || settings.latency_ms < 0 ||
      settings.latency_jitter_ms < 0) {
    return ErrorReply(422, "invalid_field", "times must not be negative");
  }
  context.faults.Set(settings);
  Object::Ptr current = FaultsJson(context.faults);
  std::ostringstream line;
  current->stringify(line);
  context.log("faults " + line.str());
  return JsonReply(200, current);
}

Reply Stats(RouteContext& context) {
  auto stats = context.db.Stats();
  if (!stats.ok()) return ErrorReply(500, "internal", stats.status().message());
  Object::Ptr out = NewObject();
  out->set("agents", stats->agents);
  out->set("events_distinct", stats->events_distinct);
  out->set("events_received", stats->events_received);
  out->set("events_max_seen", stats->events_max_seen);
  out->set("effects", stats->effects);
  out->set("effects_repeated", stats->effects_repeated);
  out->set("messages", stats->messages);
  out->set("messages_refused", stats->messages_refused);
  out->set("follow_ups_pending", stats->follow_ups_pending);
  out->set("changes", stats->changes);
  out->set("hook_distinct", stats->hook_distinct);
  out->set("hook_received", stats->hook_received);
  Object::Ptr faults = NewObject();
  for (const auto& [kind, count] : context.faults.Counts()) faults->set(kind, count);
  out->set("faults", faults);
  return JsonReply(200, out);
}

Reply Inbound(RouteContext& context, const Request& request) {
  auto body = Body(request);
  if (!body.ok()) return ErrorReply(400, "invalid_request", body.status().message());
  const std::string phone = Text(*body, "phone");
  const std::string text = Text(*body, "text");
  if (!IsE164(phone))
    return ErrorReply(422, "invalid_field", "phone must be E.164, e.g. +14155550134");
  if (text.empty()) return ErrorReply(422, "invalid_field", "text is required");
  std::vector<std::string> log;
  CloudRules::InboundResult result;
  Status written = context.db.Write([&](CloudTxn& txn) -> Status {
    auto handled = context.rules.OnInboundSms(txn, phone, text, &log);
    if (!handled.ok()) return handled.status();
    result = *handled;
    return Status::Ok();
  });
  if (!written.ok()) return ErrorReply(500, "internal", written.message());
  for (const auto& line : log) context.log(line);
  Object::Ptr out = NewObject();
  out->set("keyword", result.keyword);
  Array::Ptr changes = new Array();
  for (auto seq : result.changes) changes->add("chg_" + std::to_string(seq));
  out->set("changes", changes);
  out->set("reply", result.reply);
  return JsonReply(200, out);
}

Reply Click(RouteContext& context, const Request& request) {
  auto body = Body(request);
  if (!body.ok()) return ErrorReply(400, "invalid_request", body.status().message());
  const std::string phone = Text(*body, "phone");
  const std::string url = Text(*body, "url");
  if (!IsE164(phone)) return ErrorReply(422, "invalid_field", "phone must be E.164");
  if (url.empty()) return ErrorReply(422, "invalid_field", "url is required");
  std::vector<std::string> log;
  std::int64_t change = 0;
  Status written = context.db.Write([&](CloudTxn& txn) -> Status {
    auto added = context.rules.OnClick(txn, phone, url, Text(*body, "campaign"), &log);
    if (!added.ok()) return added.status();
    change = *added;
    return Status::Ok();
  });
  if (!written.ok()) return ErrorReply(500, "internal", written.message());
  for (const auto& line : log) context.log(line);
  Object::Ptr out = NewObject();
  out->set("change", "chg_" + std::to_string(change));
  return JsonReply(200, out);
}

// Appends any change as given: lets tests feed coupons, loyalty values and
// deliberately broken entries to agents.
Reply AddChange(RouteContext& context, const Request& request) {
  auto body = Body(request);
  if (!body.ok()) return ErrorReply(400, "invalid_request", body.status().message());
  const std::string type = Text(*body, "type");
  if (type.empty()) return ErrorReply(422, "invalid_field", "type is required");
  Object::Ptr data = (*body)->getObject("data");
  if (!data) return ErrorReply(422, "invalid_field", "data must be an object");
  std::ostringstream data_json;
  data->stringify(data_json);
  std::int64_t change = 0;
  Status written = context.db.Write([&](CloudTxn& txn) -> Status {
    auto added = txn.AddChange(type, Text(*body, "phone"), txn.now(), data_json.str(), "");
    if (!added.ok()) return added.status();
    change = *added;
    return Status::Ok();
  });
  if (!written.ok()) return ErrorReply(500, "internal", written.message());
  Object::Ptr out = NewObject();
  out->set("change", "chg_" + std::to_string(change));
  return JsonReply(200, out);
}

Reply ListEvents(RouteContext& context, const Request& request, bool hooks) {
  const auto after = QueryInt(request, "after", 0);
  const auto limit =
      static_cast<size_t>(std::clamp<std::int64_t>(QueryInt(request, "limit", 1000), 1, 100'000));
  auto events = hooks ? context.db.HookDeliveries(after, limit)
                      : context.db.Events(after, limit, QueryText(request, "customer"));
  if (!events.ok()) return ErrorReply(500, "internal", events.status().message());
  Array::Ptr list = new Array();
  for (const auto& event : *events) list->add(EventJson(event));
  Object::Ptr out = NewObject();
  out->set("events", list);
  out->set("next_after", events->empty() ? after : events->back().seq);
  return JsonReply(200, out);
}

Reply FindEvent(RouteContext& context, const std::string& id) {
  auto event = context.db.FindEvent(id);
  if (!event.ok()) return ErrorReply(500, "internal", event.status().message());
  if (!*event) return ErrorReply(404, "not_found", "no event " + id);
  Object::Ptr out = EventJson(**event);
  Poco::JSON::Parser parser;
  out->set("document", parser.parse((*event)->payload));
  return JsonReply(200, out);
}

Reply Messages(RouteContext& context, const Request& request) {
  const auto after = QueryInt(request, "after", 0);
  const auto limit =
      static_cast<size_t>(std::clamp<std::int64_t>(QueryInt(request, "limit", 1000), 1, 100'000));
  auto messages =
      context.db.Messages(after, limit, QueryText(request, "phone"), QueryText(request, "status"));
  if (!messages.ok()) return ErrorReply(500, "internal", messages.status().message());
  Array::Ptr list = new Array();
  for (const auto& message : *messages) {
    Object::Ptr entry = NewObject();
    entry->set("seq", message.seq);
    entry->set("message_id", "msg_" + std::to_string(message.seq));
    entry->set("phone", message.phone);
    entry->set("kind", message.kind);
    entry->set("body", message.body);
    entry->set("cause", message.cause);
    entry->set("created_at", FormatRfc3339(message.created_at));
    entry->set("status", message.status);
    if (!message.reason.empty()) entry->set("reason", message.reason);
    entry->set("campaign", message.campaign);
    entry->set("rule", message.rule);
    entry->set("purpose", message.purpose);
    entry->set("attributable", message.attributable);
    entry->set("number", message.number);
    entry->set("number_type", message.number_type);
    entry->set("store_id", message.store_id);
    entry->set("coupon_code", message.coupon_code);
    list->add(entry);
  }
  Object::Ptr out = NewObject();
  out->set("messages", list);
  return JsonReply(200, out);
}

Reply FollowUps(RouteContext& context, const Request& request) {
  auto follow_ups = context.db.FollowUps(
      QueryInt(request, "after", 0),
      static_cast<size_t>(std::clamp<std::int64_t>(QueryInt(request, "limit", 1000), 1, 100'000)));
  if (!follow_ups.ok()) return ErrorReply(500, "internal", follow_ups.status().message());
  Array::Ptr list = new Array();
  for (const FollowUp& f : *follow_ups) {
    Object::Ptr entry = NewObject();
    entry->set("seq", f.seq);
    entry->set("rule", f.rule);
    entry->set("sale", f.sale_key);
    entry->set("cause", f.cause);
    entry->set("phone", f.phone);
    entry->set("store_id", f.store_id);
    entry->set("due_at", FormatRfc3339(f.due_at));
    entry->set("status", f.status);
    entry->set("reason", f.reason);
    list->add(entry);
  }
  Object::Ptr out = NewObject();
  out->set("follow_ups", list);
  return JsonReply(200, out);
}

Reply RawJsonReply(int status, std::string body) { return {status, std::move(body), {}}; }

Reply PutRules(RouteContext& context, const Request& request) {
  auto parsed = ParseRuleSet(request.body);
  if (!parsed.ok()) return ErrorReply(400, "invalid_rules", parsed.status().message());
  const size_t rules = parsed->rules.size();
  const size_t numbers = parsed->numbers.size();
  // Kept in the database first: a restart keeps what was answered 200.
  const std::string json = RuleSetJson(*parsed);
  Status saved = context.db.SaveRules(json);
  if (!saved.ok()) return ErrorReply(500, "internal", saved.message());
  context.rules.SetRuleSet(std::move(parsed).value());
  context.log("rules replaced: " + std::to_string(rules) + " rules, " + std::to_string(numbers) +
              " numbers (kept across restarts)");
  return RawJsonReply(200, json);
}

Reply Numbers(RouteContext& context) {
  const auto rules = context.rules.rule_set();
  Array::Ptr list = new Array();
  for (const SendingNumber& number : rules->numbers) {
    Object::Ptr entry = NewObject();
    entry->set("number", number.number);
    entry->set("type", number.type);
    Array::Ptr purposes = new Array();
    for (const auto& purpose : number.registered_for) purposes->add(purpose);
    entry->set("registered_for", purposes);
    list->add(entry);
  }
  Object::Ptr out = NewObject();
  out->set("numbers", list);
  return JsonReply(200, out);
}

Reply RunDue(RouteContext& context, const Request& request) {
  UnixMillis now = context.clock.NowMillis();
  if (!request.body.empty()) {
    auto body = Body(request);
    if (!body.ok()) return ErrorReply(400, "invalid_request", body.status().message());
    const std::string text = Text(*body, "now");
    if (!text.empty()) {
      auto parsed = ParseRfc3339(text);
      if (!parsed.ok()) {
        return ErrorReply(400, "invalid_field", "now must be an RFC 3339 time, got '" + text + "'");
      }
      now = *parsed;
    }
  }
  auto result = RunDueAt(context, now);
  if (!result.ok()) return ErrorReply(500, "internal", result.status().message());
  Object::Ptr out = NewObject();
  out->set("now", FormatRfc3339(now));
  out->set("sent", result->sent);
  out->set("cancelled", result->cancelled);
  out->set("refused", result->refused);
  return JsonReply(200, out);
}

Result<UnixMillis> ParseDay(const std::string& name, const std::string& text) {
  auto parsed = text.size() == 10 ? ParseRfc3339(text + "T00:00:00.000Z")
                                  : Result<UnixMillis>(Status::InvalidArgument("bad"));
  if (!parsed.ok()) {
    return Status::InvalidArgument(name + " must be a date YYYY-MM-DD, got '" + text + "'");
  }
  return parsed;
}

Reply Report(RouteContext& context, const Request& request) {
  ChainReportQuery query;
  auto from = ParseDay("from", QueryText(request, "from"));
  if (!from.ok()) return ErrorReply(400, "invalid_field", from.status().message());
  auto to = ParseDay("to", QueryText(request, "to"));
  if (!to.ok()) return ErrorReply(400, "invalid_field", to.status().message());
  query.from = *from;
  query.to = *to + 86'400'000;  // `to` is the last day included
  if (query.to <= query.from) return ErrorReply(400, "invalid_field", "to is before from");
  const std::string cost = QueryText(request, "cost_per_message");
  if (!cost.empty()) {
    auto micros = ParseCostMicros(cost);
    if (!micros.ok()) return ErrorReply(400, "invalid_field", micros.status().message());
    query.cost_per_message_micros = *micros;
  }
  // The agents' report.attribution_window_days, when a chain uses another.
  const std::string window = QueryText(request, "window_days");
  if (!window.empty()) {
    const std::int64_t days = QueryInt(request, "window_days", -1);
    if (days < 1 || days > 90) {
      return ErrorReply(400, "invalid_field",
                        "window_days must be a whole number of days from 1 to 90, got '" +
                            window + "'");
    }
    query.attribution_window_days = days;
  }
  auto events = context.db.EventsOfTypes(
      {"transaction.completed", "transaction.refunded", "transaction.voided", "coupon.redeemed"});
  if (!events.ok()) return ErrorReply(500, "internal", events.status().message());
  auto messages = context.db.Messages(0, SIZE_MAX / 2, "");
  if (!messages.ok()) return ErrorReply(500, "internal", messages.status().message());
  return RawJsonReply(200, ChainReportJson(BuildChainReport(query, *events, *messages)));
}

Reply ListChanges(RouteContext& context, const Request& request) {
  auto changes = context.db.AllChanges(
      QueryInt(request, "after", 0),
      static_cast<size_t>(std::clamp<std::int64_t>(QueryInt(request, "limit", 1000), 1, 100'000)));
  if (!changes.ok()) return ErrorReply(500, "internal", changes.status().message());
  Array::Ptr list = new Array();
  for (const auto& change : *changes) {
    Object::Ptr entry = NewObject();
    entry->set("seq", change.seq);
    entry->set("type", change.type);
    entry->set("phone", change.phone);
    entry->set("origin_agent", change.origin_agent);
    entry->set("data", change.data_json);
    list->add(entry);
  }
  Object::Ptr out = NewObject();
  out->set("changes", list);
  return JsonReply(200, out);
}

Reply FindContact(RouteContext& context, const std::string& phone) {
  auto contact = context.db.FindContact(phone);
  if (!contact.ok()) return ErrorReply(500, "internal", contact.status().message());
  if (!*contact) return ErrorReply(404, "not_found", "no contact with that phone");
  const Contact& c = **contact;
  Object::Ptr out = NewObject();
  out->set("phone", c.phone);
  out->set("transactional", c.transactional);
  out->set("marketing", c.marketing);
  out->set("orders", c.orders);
  out->set("lifetime_value_minor", c.lifetime_value_minor);
  out->set("points", c.points);
  out->set("tier", c.tier);
  return JsonReply(200, out);
}

Reply Agents(RouteContext& context) {
  auto agents = context.db.Agents();
  if (!agents.ok()) return ErrorReply(500, "internal", agents.status().message());
  Array::Ptr list = new Array();
  for (const auto& agent : *agents) {
    Object::Ptr entry = NewObject();
    entry->set("agent_id", agent.agent_id);
    entry->set("store_id", agent.store_id);
    entry->set("terminal_id", agent.terminal_id);
    entry->set("agent_version", agent.agent_version);
    entry->set("last_seen_at", FormatRfc3339(agent.last_seen_at));
    list->add(entry);
  }
  Object::Ptr out = NewObject();
  out->set("agents", list);
  return JsonReply(200, out);
}

}  // namespace

Result<CloudRules::DueResult> RunDueAt(RouteContext& context, UnixMillis now) {
  std::vector<std::string> log;
  CloudRules::DueResult result;
  Status written = context.db.WriteAt(now, [&](CloudTxn& txn) -> Status {
    auto done = context.rules.RunDue(txn, &log);
    if (!done.ok()) return done.status();
    result = *done;
    return Status::Ok();
  });
  if (!written.ok()) {
    context.log("run-due failed: " + MaskPhonesInText(written.message()));
    return written;
  }
  for (const auto& line : log) context.log(line);
  return result;
}

Reply HandleAdmin(RouteContext& context, const Request& request) {
  if (!BearerMatches(request.Header("authorization"), context.options.admin_token)) {
    return ErrorReply(401, "unauthorized", "admin endpoints need the admin token");
  }
  const std::string& path = request.path;
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  if (get && path == "/admin/stats") return Stats(context);
  if (get && path == "/admin/events") return ListEvents(context, request, false);
  if (get && path.rfind("/admin/events/", 0) == 0) return FindEvent(context, path.substr(14));
  if (get && path == "/admin/hooks") return ListEvents(context, request, true);
  if (get && path == "/admin/messages") return Messages(context, request);
  if (get && path == "/admin/follow-ups") return FollowUps(context, request);
  if (get && path == "/admin/rules")
    return RawJsonReply(200, RuleSetJson(*context.rules.rule_set()));
  if (request.method == "PUT" && path == "/admin/rules") return PutRules(context, request);
  if (get && path == "/admin/numbers") return Numbers(context);
  if (post && path == "/admin/run-due") return RunDue(context, request);
  if (get && path == "/admin/report") return Report(context, request);
  if (get && path == "/admin/changes") return ListChanges(context, request);
  if (post && path == "/admin/changes") return AddChange(context, request);
  if (get && path.rfind("/admin/contacts/", 0) == 0) return FindContact(context, path.substr(16));
  if (get && path == "/admin/agents") return Agents(context);
  if (post && path == "/admin/inbound-sms") return Inbound(context, request);
  if (post && path == "/admin/clicks") return Click(context, request);
  if (get && path == "/admin/faults") return JsonReply(200, FaultsJson(context.faults));
  if ((request.method == "PUT" || post) && path == "/admin/faults")
    return SetFaults(context, request);
  return ErrorReply(404, "not_found", "no such admin endpoint: " + request.method + " " + path);
}

}  // namespace tillbridge::refcloud
