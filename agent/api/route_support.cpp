#include "agent/api/route_context.h"
#include "common/log.h"

namespace tillbridge::agent {

std::optional<ApiError> NormalizePhone(const ApiContext& context, const std::string& input,
                                       const std::string& field, std::string* e164) {
  auto normalized = context.phones.Normalize(input);
  if (!normalized.ok()) return ApiError{400, field, normalized.status().message()};
  *e164 = *normalized;
  return std::nullopt;
}

HttpResponse StoreFailure(const Status& status, std::string_view what) {
  LogError("api", std::string(what) + ": " + status.ToString());
  if (status.code() == StatusCode::kUnavailable) {
    HttpResponse response =
        ErrorResponse(503, std::nullopt, "the local store is busy; retry in a moment");
    response.headers.emplace_back("Retry-After", "1");
    return response;
  }
  return ErrorResponse(500, std::nullopt,
                       std::string(what) + " failed in the local store (" +
                           std::string(StatusCodeName(status.code())) + "); see the agent log");
}

}  // namespace tillbridge::agent
