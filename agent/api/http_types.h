// Plain HTTP request and response values that the API's routes work on, so
// that the routes know nothing of the HTTP server library.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tillbridge::agent {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-encoded, without the query
  std::string query;   // after '?', percent-encoded; may be empty
  // Header names in lower case, in arrival order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string client;  // the remote IP address ("" when not over a socket)

  // The first value of header `name` (lower case), or "" when absent.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// A client error in the API's one error shape:
// {"error":{"field":"phone","reason":"too short for region US"}}.
struct ApiError {
  int status = 400;
  std::optional<std::string> field;  // null when the error is not about one field
  std::string reason;
};

// A JSON response with `status`.
HttpResponse JsonResponse(int status, std::string body);
// The error shape above as a response.
HttpResponse ErrorResponse(const ApiError& error);
HttpResponse ErrorResponse(int status, std::optional<std::string> field, std::string reason);
// The error body alone. Card numbers in the field name and reason (which
// may quote the request) are masked.
std::string ErrorJson(const ApiError& error);

// Decodes %XX escapes; nullopt for a malformed escape or an encoded NUL.
// '+' stays '+' (paths are not form-encoded).
std::optional<std::string> PercentDecode(std::string_view text);
// The value of parameter `name` in a query string ("a=1&b=2"), decoded with
// '+' as space; nullopt when absent or malformed.
std::optional<std::string> QueryParameter(std::string_view query, std::string_view name);
// The value of cookie `name` in a Cookie header, or nullopt.
std::optional<std::string> CookieValue(std::string_view cookie_header, std::string_view name);

}  // namespace tillbridge::agent
