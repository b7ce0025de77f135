// Internal to agent/api: what every route handler gets, and the helpers
// they share. Routes are plain functions from a request to a response.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/api/api_metrics.h"
#include "agent/api/api_options.h"
#include "agent/api/http_types.h"
#include "agent/api/login_throttle.h"
#include "agent/api/sessions.h"
#include "common/clock.h"
#include "common/phone.h"
#include "common/status.h"
#include "store/store.h"

namespace tillbridge::agent {

struct ApiContext {
  const ApiOptions& options;
  const std::string& token;
  store::Store& store;
  const PhoneNormalizer& phones;
  const Clock& clock;
  SessionRegistry& sessions;
  ApiMetrics& metrics;
  LoginThrottle& manager_logins;  // wrong manager passwords per client
};

struct RouteCall {
  const HttpRequest& request;
  std::vector<std::string> params;  // decoded {placeholders}, in order
  // Set when signed in by cookie: on /manager routes a manager session
  // (cookie tb_manager), elsewhere a cashier session (tb_session).
  std::optional<Session> session;
};

using RouteHandler = HttpResponse (*)(ApiContext&, const RouteCall&);

// Normalizes a phone from a path or body; on failure returns the 400 error
// {"field": `field`, "reason": ...}.
std::optional<ApiError> NormalizePhone(const ApiContext& context, const std::string& input,
                                       const std::string& field, std::string* e164);

// A store failure as a response: 503 with Retry-After when the store is
// busy, 500 otherwise (the message is logged, not sent).
HttpResponse StoreFailure(const Status& status, std::string_view what);

// The name of the cashier page's session cookie.
std::string_view SessionCookieName();
// The name of the manager page's session cookie.
std::string_view ManagerCookieName();
// A compiled-in page file with the pages' security headers (CSP and
// friends), or 404.
HttpResponse PageAsset(const std::string& name, const char* cache_control);

// consent_routes.cpp
HttpResponse PostConsent(ApiContext& context, const RouteCall& call);
HttpResponse GetConsent(ApiContext& context, const RouteCall& call);
HttpResponse GetConsentHistory(ApiContext& context, const RouteCall& call);
// disclosure_routes.cpp
HttpResponse GetCurrentDisclosures(ApiContext& context, const RouteCall& call);
HttpResponse GetDisclosures(ApiContext& context, const RouteCall& call);
HttpResponse PostDisclosure(ApiContext& context, const RouteCall& call);
// customer_routes.cpp
HttpResponse GetCustomer(ApiContext& context, const RouteCall& call);
// coupon_routes.cpp
HttpResponse GetCoupon(ApiContext& context, const RouteCall& call);
// transaction_routes.cpp
HttpResponse PostTransaction(ApiContext& context, const RouteCall& call);
// page_routes.cpp: the cashier page, its sign-in, health and metrics.
HttpResponse GetPage(ApiContext& context, const RouteCall& call);
HttpResponse GetAsset(ApiContext& context, const RouteCall& call);
HttpResponse GetLaunch(ApiContext& context, const RouteCall& call);
HttpResponse GetSession(ApiContext& context, const RouteCall& call);
HttpResponse PostSession(ApiContext& context, const RouteCall& call);
HttpResponse DeleteSession(ApiContext& context, const RouteCall& call);
HttpResponse GetHealth(ApiContext& context, const RouteCall& call);
HttpResponse GetMetrics(ApiContext& context, const RouteCall& call);
// manager_routes.cpp: the manager page, its sign-in and the ROI report.
HttpResponse GetManagerPage(ApiContext& context, const RouteCall& call);
HttpResponse GetManagerSession(ApiContext& context, const RouteCall& call);
HttpResponse PostManagerLogin(ApiContext& context, const RouteCall& call);
HttpResponse PostManagerLogout(ApiContext& context, const RouteCall& call);
HttpResponse GetManagerReport(ApiContext& context, const RouteCall& call);
HttpResponse GetManagerReportCss(ApiContext& context, const RouteCall& call);

}  // namespace tillbridge::agent
