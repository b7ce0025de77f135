#include "agent/api/http_types.h"

#include "agent/api/json.h"
#include "common/card_numbers.h"
#include "common/text.h"

namespace tillbridge::agent {
namespace {

std::optional<std::string> Decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = HexDigitValue(text[i + 1]);
      const int low = HexDigitValue(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      const char decoded = static_cast<char>(high * 16 + low);
      if (decoded == '\0') return std::nullopt;
      out.push_back(decoded);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string HttpRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

bool HttpRequest::HasHeader(std::string_view name) const {
  for (const auto& header : headers) {
    if (header.first == name) return true;
  }
  return false;
}

HttpResponse JsonResponse(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

std::string ErrorJson(const ApiError& error) {
  JsonWriter json;
  json.BeginObject().Key("error").BeginObject();
  // Reasons quote what the client sent ("got 4111...", unknown field
  // names); error bodies are logged and kept for Idempotency-Key replays.
  std::optional<std::string> field;
  if (error.field) field = MaskCardNumbers(*error.field);
  json.Key("field").OptionalString(field);
  json.Key("reason").String(MaskCardNumbers(error.reason));
  json.EndObject().EndObject();
  return json.Take();
}

HttpResponse ErrorResponse(const ApiError& error) {
  return JsonResponse(error.status, ErrorJson(error));
}

HttpResponse ErrorResponse(int status, std::optional<std::string> field, std::string reason) {
  return ErrorResponse(ApiError{status, std::move(field), std::move(reason)});
}

std::optional<std::string> PercentDecode(std::string_view text) { return Decode(text, false); }

std::optional<std::string> QueryParameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    if (key != name) continue;
    if (eq == std::string_view::npos) return std::string();
    return Decode(pair.substr(eq + 1), true);
  }
  return std::nullopt;
}

std::optional<std::string> CookieValue(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    const auto semi = cookie_header.find(';');
    const std::string_view pair = Trim(cookie_header.substr(0, semi));
    cookie_header =
        semi == std::string_view::npos ? std::string_view() : cookie_header.substr(semi + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (Trim(pair.substr(0, eq)) == name) return std::string(Trim(pair.substr(eq + 1)));
  }
  return std::nullopt;
}

}  // namespace tillbridge::agent
