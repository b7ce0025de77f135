// The cashier page (compiled-in files), its sign-in (launch link or token
// login giving an HttpOnly session cookie), GET /healthz and GET /metrics.
#include "agent/api/api_token.h"
#include "agent/api/json.h"
#include "agent/api/request_bodies.h"
#include "agent/api/route_context.h"
#include "agent/api/web_assets.h"
#include "common/log.h"
#include "common/metrics.h"
#include "store/disclosures.h"

namespace tillbridge::agent {
namespace {

constexpr const char* kCookieName = "tb_session";
// A printed link may have been made by another process a moment before
// this one read its clock.
constexpr std::chrono::milliseconds kLaunchSlack{60'000};

void AddPageSecurityHeaders(HttpResponse& response) {
  response.headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
}

std::string SessionCookie(const ApiContext& context, const Session& session) {
  return std::string(kCookieName) + "=" + session.id +
         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(context.options.session_ttl.count() / 1000);
}

std::string SessionJson(const ApiContext& context, const Session& session) {
  JsonWriter json;
  json.BeginObject();
  json.Key("authenticated").Bool(true);
  json.Key("csrf_token").String(session.csrf);
  json.Key("expires_at").String(FormatRfc3339(session.expires_at));
  json.Key("store_id").String(context.store.store_id());
  json.Key("terminal_id").String(context.store.terminal_id());
  json.Key("default_region").String(context.phones.default_region());
  json.Key("double_opt_in").Bool(context.options.double_opt_in);
  json.EndObject();
  return json.Take();
}

HttpResponse Redirect(std::string location) {
  HttpResponse response;
  response.status = 303;
  response.content_type = "text/plain; charset=utf-8";
  response.headers.emplace_back("Location", std::move(location));
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  return response;
}

}  // namespace

std::string_view SessionCookieName() { return kCookieName; }

HttpResponse PageAsset(const std::string& name, const char* cache_control) {
  const WebAsset* asset = FindWebAsset(name);
  if (asset == nullptr) return ErrorResponse(404, std::nullopt, "no such file: " + name);
  HttpResponse response;
  response.content_type = std::string(asset->content_type);
  response.body = std::string(asset->body);
  response.headers.emplace_back("Cache-Control", cache_control);
  AddPageSecurityHeaders(response);
  return response;
}

HttpResponse GetPage(ApiContext&, const RouteCall&) { return PageAsset("index.html", "no-store"); }

HttpResponse GetAsset(ApiContext&, const RouteCall& call) {
  return PageAsset(call.params.at(0), "no-cache");
}

HttpResponse GetLaunch(ApiContext& context, const RouteCall& call) {
  const std::string& query = call.request.query;
  const std::string expires = QueryParameter(query, "expires").value_or("");
  const std::string nonce = QueryParameter(query, "nonce").value_or("");
  const std::string signature = QueryParameter(query, "sig").value_or("");
  Status valid =
      VerifyLaunchLink(context.token, expires, nonce, signature, context.clock.NowMillis(),
                       context.options.launch_link_ttl + kLaunchSlack);
  if (!valid.ok()) {
    LogWarning("api", "launch link refused: " + valid.message());
    const bool expired = valid.message().find("expired") != std::string::npos;
    return Redirect(expired ? "/?launch_error=expired" : "/?launch_error=invalid");
  }
  if (!context.sessions.UseNonce(nonce, std::stoll(expires))) {
    LogWarning("api", "launch link refused: already used");
    return Redirect("/?launch_error=used");
  }
  const Result<Session> session = context.sessions.Create();
  if (!session.ok()) return Redirect("/?launch_error=unavailable");
  HttpResponse response = Redirect("/");
  response.headers.emplace_back("Set-Cookie", SessionCookie(context, *session));
  LogInfo("api", "cashier page signed in with a launch link");
  return response;
}

HttpResponse GetSession(ApiContext& context, const RouteCall& call) {
  if (!call.session) return ErrorResponse(401, std::nullopt, "not signed in");
  HttpResponse response = JsonResponse(200, SessionJson(context, *call.session));
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

HttpResponse PostSession(ApiContext& context, const RouteCall& call) {
  LoginRequest login;
  if (auto error = ParseLoginRequest(call.request.body, &login)) return ErrorResponse(*error);
  if (!ConstantTimeEquals(login.token, context.token)) {
    LogWarning("api", "cashier page sign-in with a wrong token");
    return ErrorResponse(401, "token", "this is not the API token of this agent");
  }
  const Result<Session> session = context.sessions.Create();
  if (!session.ok()) return ErrorResponse(503, std::nullopt, session.status().message());
  HttpResponse response = JsonResponse(200, SessionJson(context, *session));
  response.headers.emplace_back("Set-Cookie", SessionCookie(context, *session));
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

HttpResponse DeleteSession(ApiContext& context, const RouteCall& call) {
  if (call.session) context.sessions.Revoke(call.session->id);
  HttpResponse response = JsonResponse(200, R"({"authenticated":false})");
  response.headers.emplace_back(
      "Set-Cookie", std::string(kCookieName) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  return response;
}

HttpResponse GetHealth(ApiContext& context, const RouteCall&) {
  // A read and a write prove the store answers and can still record an
  // opt-in, not just that the thread runs.
  auto probe = context.store.disclosures().Current(store::ConsentPurpose::kMarketing);
  const Status writable = context.store.CheckWritable();
  const bool ok = probe.ok() && writable.ok();
  JsonWriter json;
  json.BeginObject();
  json.Key("status").String(ok ? "ok" : "unavailable");
  json.Key("agent_id").String(context.store.agent_id());
  json.Key("store_id").String(context.store.store_id());
  json.Key("terminal_id").String(context.store.terminal_id());
  json.Key("time").String(FormatRfc3339(context.clock.NowMillis()));
  std::string store_state = "writable";
  if (!writable.ok()) {
    store_state = store::Store::IsDiskFull(writable) ? "disk_full"
                  : writable.code() == StatusCode::kPermissionDenied ? "read_only"
                                                                       : "write_failed";
  }
  if (!probe.ok()) store_state = "unreadable";
  json.Key("store").String(store_state);
  if (!probe.ok()) {
    json.Key("reason").String(std::string(StatusCodeName(probe.status().code())));
  } else if (!writable.ok()) {
    json.Key("reason").String(writable.message());
  }
  json.EndObject();
  HttpResponse response = JsonResponse(ok ? 200 : 503, json.Take());
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

HttpResponse GetMetrics(ApiContext& context, const RouteCall&) {
  HttpResponse response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = MetricsRegistry::Global().RenderPrometheus() + context.metrics.RenderHistogram();
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

}  // namespace tillbridge::agent
