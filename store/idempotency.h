// Idempotency keys of the local API: the first response to a request that
// carried an Idempotency-Key header, replayed when the same request comes
// again with the same key.
#pragma once

#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace tillbridge::store {

struct StoreCore;

// A response kept for replay.
struct StoredResponse {
  std::string request_hash;  // what the key was first used with
  int status = 0;            // HTTP status code
  std::string body;
  UnixMillis created_at = 0;
};

// Keys are stored with card numbers masked (common/card_numbers.h); Find
// masks the key it is given the same way. Response bodies are stored as
// given: the local API builds them from values the store accepted.
// Thread-safe (serialized through the store).
class IdempotencyKeys {
 public:
  explicit IdempotencyKeys(StoreCore& core) : core_(core) {}

  // The response stored under `key` no earlier than `not_before`, or nullopt.
  Result<std::optional<StoredResponse>> Find(const std::string& key, UnixMillis not_before);

  // Stores `response` (its created_at is set to now) under `key`. A row for
  // the key stored before `replace_before` has expired and is replaced; a
  // newer one (another request won a race) is kept and returned instead.
  Result<StoredResponse> Save(const std::string& key, const StoredResponse& response,
                              UnixMillis replace_before);

  // Deletes keys stored before `before`; returns how many were deleted.
  Result<std::int64_t> Purge(UnixMillis before);

 private:
  StoreCore& core_;
};

}  // namespace tillbridge::store
