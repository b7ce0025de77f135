// The manager page: its own sign-in (a password set with `tillbridge
// manager-password`, a session cookie of role "manager" that the cashier
// routes do not accept), and the ROI report it shows.
#include "agent/api/json.h"
#include "agent/api/login_throttle.h"
#include "agent/api/manager_password.h"
#include "agent/api/request_bodies.h"
#include "agent/api/route_context.h"
#include "agent/report/report_format.h"
#include "agent/report/report_settings.h"
#include "common/log.h"
#include "store/roi_report.h"
#include "store/web_sessions.h"

namespace tillbridge::agent {
namespace {

constexpr const char* kManagerCookieName = "tb_manager";

HttpResponse NoStore(HttpResponse response) {
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

std::string ManagerCookie(const ApiContext& context, const Session& session) {
  return std::string(kManagerCookieName) + "=" + session.id +
         "; Path=/manager; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(context.options.session_ttl.count() / 1000);
}

// Whether a manager password is set; nullopt when the store cannot say.
std::optional<bool> PasswordIsSet(ApiContext& context, std::optional<std::string>* hash) {
  auto stored = context.store.web_sessions().ManagerPasswordHash();
  if (!stored.ok()) {
    LogError("api", "cannot read the manager password: " + stored.status().message());
    return std::nullopt;
  }
  if (hash) *hash = *stored;
  return stored->has_value();
}

std::string SessionJson(ApiContext& context, const std::optional<Session>& session,
                        bool password_set) {
  const report::ReportSettings& settings = context.options.report;
  const std::int64_t today = report::Today(settings, context.clock.NowMillis());
  JsonWriter json;
  json.BeginObject();
  json.Key("authenticated").Bool(session.has_value());
  json.Key("password_set").Bool(password_set);
  json.Key("store_id").String(context.store.store_id());
  if (session) json.Key("expires_at").String(FormatRfc3339(session->expires_at));
  // The page's default range: the last 30 local days, today included.
  json.Key("default_from").String(report::FormatDate(today - (report::kDefaultReportDays - 1)));
  json.Key("default_to").String(report::FormatDate(today));
  json.Key("set_password_command").String("sudo tillbridge manager-password");
  json.EndObject();
  return json.Take();
}

}  // namespace

std::string_view ManagerCookieName() { return kManagerCookieName; }

HttpResponse GetManagerPage(ApiContext&, const RouteCall&) {
  return PageAsset("manager.html", "no-store");
}

HttpResponse GetManagerReportCss(ApiContext&, const RouteCall&) {
  HttpResponse response;
  response.content_type = "text/css; charset=utf-8";
  response.body = report::ReportCss();
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

HttpResponse GetManagerSession(ApiContext& context, const RouteCall& call) {
  const std::optional<bool> set = PasswordIsSet(context, nullptr);
  if (!set) return ErrorResponse(503, std::nullopt, "the store cannot be read; see the agent log");
  const int status = call.session ? 200 : 401;
  return NoStore(JsonResponse(status, SessionJson(context, call.session, *set)));
}

HttpResponse PostManagerLogin(ApiContext& context, const RouteCall& call) {
  const HttpRequest& request = call.request;
  const std::string origin = request.Header("origin");
  if (!origin.empty() && origin != "http://" + request.Header("host")) {
    return ErrorResponse(403, "Origin", "cross-origin requests are not accepted");
  }
  const UnixMillis now = context.clock.NowMillis();
  if (const std::int64_t wait = context.manager_logins.RetryAfter(request.client, now); wait > 0) {
    HttpResponse response =
        ErrorResponse(429, "password", "too many wrong passwords; try again in a minute");
    response.headers.emplace_back("Retry-After", std::to_string((wait + 999) / 1000));
    return response;
  }
  ManagerLoginRequest login;
  if (auto error = ParseManagerLoginRequest(request.body, &login)) return ErrorResponse(*error);
  std::optional<std::string> hash;
  const std::optional<bool> set = PasswordIsSet(context, &hash);
  if (!set) return ErrorResponse(503, std::nullopt, "the store cannot be read; see the agent log");
  if (!*set) {
    return ErrorResponse(409, "password",
                         "no manager password is set; on this computer run: sudo tillbridge "
                         "manager-password");
  }
  if (!VerifyManagerPassword(login.password, *hash)) {
    context.manager_logins.RecordFailure(request.client, now);
    LogWarning("api",
               "manager page sign-in with a wrong password from " +
                   (request.client.empty() ? std::string("an unknown client") : request.client));
    return ErrorResponse(401, "password", "wrong password");
  }
  context.manager_logins.Clear(request.client);
  const Result<Session> session = context.sessions.Create(kManagerRole);
  if (!session.ok()) return ErrorResponse(503, std::nullopt, session.status().message());
  LogInfo("api", "manager page signed in");
  HttpResponse response = JsonResponse(200, SessionJson(context, *session, true));
  response.headers.emplace_back("Set-Cookie", ManagerCookie(context, *session));
  return NoStore(std::move(response));
}

HttpResponse PostManagerLogout(ApiContext& context, const RouteCall& call) {
  if (call.session) context.sessions.Revoke(call.session->id);
  HttpResponse response = JsonResponse(200, R"({"authenticated":false})");
  response.headers.emplace_back(
      "Set-Cookie",
      std::string(kManagerCookieName) + "=; Path=/manager; HttpOnly; SameSite=Strict; Max-Age=0");
  return NoStore(std::move(response));
}

HttpResponse GetManagerReport(ApiContext& context, const RouteCall& call) {
  const std::string& query = call.request.query;
  const std::string format = QueryParameter(query, "format").value_or("json");
  if (format != "json" && format != "csv" && format != "html" && format != "fragment") {
    return ErrorResponse(400, "format", "must be json, csv, html or fragment");
  }
  const report::ReportSettings& settings = context.options.report;
  std::string field;
  auto range = report::ResolveRange(QueryParameter(query, "from").value_or(""),
                                    QueryParameter(query, "to").value_or(""),
                                    report::Today(settings, context.clock.NowMillis()), &field);
  if (!range.ok()) return ErrorResponse(400, field, range.status().message());
  auto computed = context.store.roi_reports().Compute(report::QueryFor(*range, settings));
  if (!computed.ok()) {
    if (computed.status().code() == StatusCode::kInvalidArgument) {
      return ErrorResponse(400, std::nullopt, computed.status().message());
    }
    return StoreFailure(computed.status(), "computing the ROI report");
  }
  HttpResponse response;
  const std::string name = "tillbridge-roi-" + report::FormatDate(range->first_day) + "-to-" +
                           report::FormatDate(range->last_day);
  if (format == "json") {
    response.content_type = "application/json";
    response.body = report::RenderJson(*computed);
  } else if (format == "csv") {
    response.content_type = "text/csv; charset=utf-8; header=present";
    response.body = report::RenderCsv(*computed);
    response.headers.emplace_back("Content-Disposition",
                                  "attachment; filename=\"" + name + ".csv\"");
  } else if (format == "html") {
    response.content_type = "text/html; charset=utf-8";
    response.body = report::RenderHtml(*computed);
    // The saved page styles itself inline and runs nothing.
    response.headers.emplace_back(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'");
  } else {
    response.content_type = "text/html; charset=utf-8";
    response.body = report::RenderHtmlFragment(*computed);
  }
  if (format == "json" && QueryParameter(query, "download").value_or("") == "1") {
    response.headers.emplace_back("Content-Disposition",
                                  "attachment; filename=\"" + name + ".json\"");
  }
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return NoStore(std::move(response));
}

}  // namespace tillbridge::agent
