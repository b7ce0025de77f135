#include "agent/api/api_service.h"

#include <algorithm>
#include <exception>
#include <functional>
#include <vector>

#include "agent/api/api_token.h"
#include "agent/api/route_context.h"
#include "common/digest.h"
#include "common/log.h"
#include "store/disclosures.h"
#include "store/idempotency.h"

namespace tillbridge::agent {
namespace {

// Who may call a route.
enum class Access {
  kPublic,   // anyone (page, health, sign-in)
  kApi,      // bearer token, or session cookie (+ CSRF token for writes)
  kMetrics,  // public unless api.metrics_require_token
  kManager,  // manager page session only (no bearer token, no cashier session)
};

struct Route {
  const char* method;
  const char* pattern;  // "{name}" matches one path segment
  RouteHandler handler;
  Access access;
  bool accepts_idempotency_key;
};

const std::vector<Route>& Routes() {
  static const std::vector<Route> routes = {
      {"GET", "/", GetPage, Access::kPublic, false},
      {"GET", "/assets/{file}", GetAsset, Access::kPublic, false},
      {"GET", "/launch", GetLaunch, Access::kPublic, false},
      {"GET", "/session", GetSession, Access::kPublic, false},
      {"POST", "/session", PostSession, Access::kPublic, false},
      {"DELETE", "/session", DeleteSession, Access::kPublic, false},
      {"GET", "/healthz", GetHealth, Access::kPublic, false},
      {"GET", "/metrics", GetMetrics, Access::kMetrics, false},
      {"GET", "/manager", GetManagerPage, Access::kPublic, false},
      {"GET", "/manager/session", GetManagerSession, Access::kPublic, false},
      {"POST", "/manager/login", PostManagerLogin, Access::kPublic, false},
      {"POST", "/manager/logout", PostManagerLogout, Access::kPublic, false},
      {"GET", "/manager/report", GetManagerReport, Access::kManager, false},
      {"GET", "/manager/report.css", GetManagerReportCss, Access::kPublic, false},
      {"POST", "/v1/consents", PostConsent, Access::kApi, true},
      {"GET", "/v1/consents/{phone}", GetConsent, Access::kApi, false},
      {"GET", "/v1/consents/{phone}/history", GetConsentHistory, Access::kApi, false},
      {"GET", "/v1/disclosures", GetDisclosures, Access::kApi, false},
      {"POST", "/v1/disclosures", PostDisclosure, Access::kApi, true},
      {"GET", "/v1/disclosures/current", GetCurrentDisclosures, Access::kApi, false},
      {"GET", "/v1/customers/{phone}", GetCustomer, Access::kApi, false},
      {"GET", "/v1/coupons/{code}", GetCoupon, Access::kApi, false},
      {"POST", "/v1/transactions", PostTransaction, Access::kApi, true},
  };
  return routes;
}

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path == "/") return out;
  path.remove_prefix(1);
  for (;;) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// True when `path` fits `pattern`; fills `params` with decoded placeholders.
// A placeholder that does not decode fails the match.
bool Matches(const std::vector<std::string_view>& path, std::string_view pattern,
             std::vector<std::string>* params) {
  const auto parts = Segments(pattern);
  if (parts.size() != path.size()) return false;
  std::vector<std::string> found;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].size() > 2 && parts[i].front() == '{' && parts[i].back() == '}') {
      if (path[i].empty()) return false;
      auto decoded = PercentDecode(path[i]);
      if (!decoded) return false;
      found.push_back(std::move(*decoded));
    } else if (parts[i] != path[i]) {
      return false;
    }
  }
  *params = std::move(found);
  return true;
}

bool IsUnsafe(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool IsJsonContentType(const std::string& value) {
  const std::string type = Lower(value.substr(0, value.find(';')));
  const auto end = type.find_last_not_of(" \t");
  return type.substr(0, end == std::string::npos ? 0 : end + 1) == "application/json";
}

HttpResponse Unauthorized(std::string reason) {
  HttpResponse response = ErrorResponse(401, "Authorization", std::move(reason));
  response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tillbridge\"");
  return response;
}

// Checks the caller of an API route. nullopt when allowed.
std::optional<HttpResponse> Authenticate(const HttpRequest& request, const std::string& token,
                                         const std::optional<Session>& session) {
  const std::string authorization = request.Header("authorization");
  if (!authorization.empty()) {
    const auto space = authorization.find(' ');
    if (space == std::string::npos || Lower(authorization.substr(0, space)) != "bearer") {
      return Unauthorized("expected 'Authorization: Bearer <token>'");
    }
    const auto start = authorization.find_first_not_of(' ', space);
    if (start == std::string::npos) return Unauthorized("the bearer token is empty");
    const std::string presented = authorization.substr(start);
    if (!ConstantTimeEquals(presented, token)) return Unauthorized("the bearer token is not valid");
    return std::nullopt;
  }
  if (!session) {
    return Unauthorized("missing 'Authorization: Bearer <token>' (or a cashier page session)");
  }
  if (!IsUnsafe(request.method)) return std::nullopt;
  // Cookies ride along on cross-site requests; a write also needs the
  // per-session token that only our own page can read, and our own origin.
  const std::string origin = request.Header("origin");
  if (!origin.empty() && origin != "http://" + request.Header("host")) {
    return ErrorResponse(403, "Origin", "cross-origin requests are not accepted");
  }
  const std::string csrf = request.Header("x-csrf-token");
  if (csrf.empty() || !ConstantTimeEquals(csrf, session->csrf)) {
    return ErrorResponse(403, "X-CSRF-Token",
                         "missing or wrong CSRF token; reload the cashier page");
  }
  return std::nullopt;
}

// The live session behind cookie `name`, when it is of `role`: a manager's
// cookie opens no cashier route and a cashier's no manager route, whatever
// name it is sent under.
std::optional<Session> SessionFromCookie(SessionRegistry& sessions, const HttpRequest& request,
                                         std::string_view name, std::string_view role) {
  auto cookie = CookieValue(request.Header("cookie"), name);
  if (!cookie) return std::nullopt;
  std::optional<Session> session = sessions.Find(*cookie);
  if (session && session->role != role) return std::nullopt;
  return session;
}

std::optional<ApiError> CheckIdempotencyKey(const std::string& key) {
  if (key.size() > 200) return ApiError{400, "Idempotency-Key", "must be at most 200 characters"};
  for (const char c : key) {
    if (c < 0x21 || c > 0x7E) {
      return ApiError{400, "Idempotency-Key", "must be printable ASCII without spaces"};
    }
  }
  return std::nullopt;
}

}  // namespace

ApiService::ApiService(ApiOptions options, std::string token, store::Store& store,
                       const PhoneNormalizer& phones)
    : options_(std::move(options)),
      token_(std::move(token)),
      store_(store),
      sessions_(store, options_.clock ? *options_.clock : store.clock(), options_.session_ttl),
      manager_logins_(kManagerLoginFailures, kManagerLoginWindow) {
  const Clock& clock = options_.clock ? *options_.clock : store.clock();
  context_ = std::make_unique<ApiContext>(
      ApiContext{options_, token_, store, phones, clock, sessions_, metrics_, manager_logins_});
}

ApiService::~ApiService() = default;

const Clock& ApiService::clock() const { return context_->clock; }

HttpResponse ApiService::Handle(const HttpRequest& request, std::string* route) {
  *route = "unmatched";
  try {
    return Dispatch(request, route);
  } catch (const std::exception& error) {
    LogError("api", std::string("request failed with an exception: ") + error.what());
  } catch (...) {
    LogError("api", "request failed with an unknown exception");
  }
  return ErrorResponse(500, std::nullopt, "internal error; see the agent log");
}

HttpResponse ApiService::Dispatch(const HttpRequest& request, std::string* route_label) {
  if (request.path.empty() || request.path.front() != '/') {
    return ErrorResponse(400, std::nullopt, "the request target must be a path starting with /");
  }
  const auto segments = Segments(request.path);
  const Route* found = nullptr;
  std::vector<std::string> params;
  std::vector<std::string> allowed;
  for (const Route& route : Routes()) {
    std::vector<std::string> route_params;
    if (!Matches(segments, route.pattern, &route_params)) continue;
    allowed.emplace_back(route.method);
    if (request.method == route.method && found == nullptr) {
      found = &route;
      params = std::move(route_params);
    }
  }

  const bool is_manager_path =
      request.path == "/manager" || request.path.rfind("/manager/", 0) == 0;
  std::optional<Session> session =
      is_manager_path ? SessionFromCookie(sessions_, request, ManagerCookieName(), kManagerRole)
                      : SessionFromCookie(sessions_, request, SessionCookieName(), kCashierRole);
  if (found != nullptr && found->access == Access::kManager && !session) {
    return ErrorResponse(401, std::nullopt,
                         "sign in on the manager page first (a cashier session or the API token "
                         "does not open the report)");
  }
  const bool is_api_path = request.path == "/v1" || request.path.rfind("/v1/", 0) == 0;
  const bool needs_auth =
      is_api_path || (found != nullptr && found->access == Access::kApi) ||
      (found != nullptr && found->access == Access::kMetrics && options_.metrics_require_token);
  if (needs_auth) {
    if (auto denied = Authenticate(request, token_, session)) return *denied;
  }
  if (allowed.empty()) return ErrorResponse(404, std::nullopt, "no such route");
  if (found == nullptr) {
    std::sort(allowed.begin(), allowed.end());
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    std::string allow;
    for (const auto& method : allowed) allow += (allow.empty() ? "" : ", ") + method;
    HttpResponse response = ErrorResponse(
        405, std::nullopt, "method " + request.method + " is not allowed here; use " + allow);
    response.headers.emplace_back("Allow", allow);
    return response;
  }
  *route_label = found->pattern;
  if (request.method == "POST" && !IsJsonContentType(request.Header("content-type"))) {
    return ErrorResponse(415, "Content-Type", "must be application/json");
  }

  RouteCall call{request, std::move(params), session};
  const auto run = [&] { return found->handler(*context_, call); };
  const std::string key = request.Header("idempotency-key");
  if (found->accepts_idempotency_key && request.HasHeader("idempotency-key")) {
    return WithIdempotency(request, key, run);
  }
  return run();
}

HttpResponse ApiService::WithIdempotency(const HttpRequest& request, const std::string& key,
                                         const std::function<HttpResponse()>& run) {
  if (key.empty()) return ErrorResponse(400, "Idempotency-Key", "must not be empty");
  if (auto error = CheckIdempotencyKey(key)) return ErrorResponse(*error);
  const std::string request_hash =
      Sha256Hex(request.method + " " + request.path + "\n" + request.body);
  const UnixMillis now = context_->clock.NowMillis();
  const UnixMillis not_before = now - options_.idempotency_ttl.count();
  {
    std::lock_guard lock(in_flight_mutex_);
    if (!in_flight_keys_.insert(key).second) {
      return ErrorResponse(409, "Idempotency-Key",
                           "a request with this key is still being processed; retry shortly");
    }
  }
  struct Release {
    ApiService* service;
    const std::string& key;
    ~Release() {
      std::lock_guard lock(service->in_flight_mutex_);
      service->in_flight_keys_.erase(key);
    }
  } release{this, key};

  auto stored = store_.idempotency_keys().Find(key, not_before);
  if (!stored.ok()) return StoreFailure(stored.status(), "reading idempotency keys");
  if (*stored) {
    if ((*stored)->request_hash != request_hash) {
      return ErrorResponse(422, "Idempotency-Key",
                           "this key was already used for a different request (method, path or "
                           "body differ); use a new key for a new request");
    }
    HttpResponse replay = JsonResponse((*stored)->status, (*stored)->body);
    replay.headers.emplace_back("Idempotent-Replayed", "true");
    return replay;
  }
  HttpResponse response = run();
  if (response.status < 500) {
    auto saved = store_.idempotency_keys().Save(
        key, store::StoredResponse{request_hash, response.status, response.body, now}, not_before);
    if (!saved.ok())
      LogWarning("api", "cannot keep an idempotent response: " + saved.status().ToString());
  }
  bool purge = false;
  {
    std::lock_guard lock(in_flight_mutex_);
    if (now - last_purge_ > 60'000) {
      last_purge_ = now;
      purge = true;
    }
  }
  if (purge) {
    auto purged = store_.idempotency_keys().Purge(not_before);
    if (!purged.ok())
      LogWarning("api", "cannot purge idempotency keys: " + purged.status().ToString());
  }
  return response;
}

Status InstallDefaultDisclosures(store::Store& store, const ApiOptions& options) {
  struct Default {
    store::ConsentPurpose purpose;
    const DefaultDisclosure& disclosure;
  };
  for (const Default& item :
       {Default{store::ConsentPurpose::kTransactional, options.transactional_disclosure},
        Default{store::ConsentPurpose::kMarketing, options.marketing_disclosure}}) {
    auto current = store.disclosures().Current(item.purpose);
    if (!current.ok()) return current.status();
    if (*current) continue;
    auto installed = store.disclosures().Install(item.purpose, "1", item.disclosure.text,
                                                 item.disclosure.frequency);
    if (!installed.ok()) return installed.status();
    LogInfo("api", "installed the default " + std::string(store::ConsentPurposeName(item.purpose)) +
                       " disclosure as version 1");
  }
  return Status::Ok();
}

}  // namespace tillbridge::agent
