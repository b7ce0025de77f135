// The Sync API's wire format (docs/sync-api.md): request bodies the agent
// sends and the answers it reads, as project types. Pure functions, no I/O.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "store/cloud_changes.h"
#include "store/model.h"

namespace tillbridge::sync {

// The protocol version this client speaks, and the headers that carry
// version, identity and clocks (docs/sync-api.md).
inline constexpr std::string_view kApiVersion = "1.0";
inline constexpr std::string_view kApiVersionHeader = "Tillbridge-Api-Version";
inline constexpr std::string_view kAgentIdHeader = "Tillbridge-Agent-Id";
inline constexpr std::string_view kSentAtHeader = "Tillbridge-Sent-At";
inline constexpr std::string_view kServerTimeHeader = "Tillbridge-Server-Time";

// What the cloud did with one pushed event.
enum class EventStatus { kAccepted, kDuplicate, kRejected };

// The cloud's answer for one pushed event.
struct EventResult {
  std::string event_id;
  EventStatus status = EventStatus::kAccepted;
  std::string reason;  // "code: message" for rejections
};

// {"batch_id": ..., "sent_at": ..., "events": [...]} with each outbox
// payload inserted verbatim (it already is the full event document).
std::string BuildPushBody(const std::vector<store::OutboxEvent>& events, std::string_view batch_id,
                          UnixMillis sent_at);

// The per-event results of a 200 answer to a push. InvalidArgument when the
// body is not a results document.
Result<std::vector<EventResult>> ParsePushResponse(std::string_view body);

// Who is registering (PUT /v1/agents/{agent_id}).
struct AgentInfo {
  std::string agent_id;
  std::string store_id;
  std::string terminal_id;
  std::string agent_version;
  std::string platform;
  UnixMillis started_at = 0;
};

// The JSON body of the registration request.
std::string BuildRegistrationBody(const AgentInfo& agent);

// Limits the cloud announces at registration; 0 means "no limit given".
struct ServerLimits {
  std::size_t max_batch_events = 0;
  std::size_t max_batch_bytes = 0;
  std::chrono::milliseconds max_wait{0};
};

// The limits of a 200 answer to registration (absent limits read as 0).
Result<ServerLimits> ParseRegistrationResponse(std::string_view body);

// One page of the change feed. Entries that cannot be used (unknown type,
// missing field) are left out and described in `unusable`.
struct ChangesPage {
  std::vector<store::CloudChange> changes;
  std::vector<std::string> unusable;
  std::string next_cursor;
  bool has_more = false;
};

// InvalidArgument when the body is not a page (no next_cursor, not JSON).
Result<ChangesPage> ParseChangesPage(std::string_view body);

// The {"error": {"code", "message"}} document of a non-2xx answer; empty
// fields when the body is something else.
struct ApiError {
  std::string code;
  std::string message;
};
ApiError ParseApiError(std::string_view body);

}  // namespace tillbridge::sync
