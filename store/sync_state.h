// Small key/value state owned by sync: the pull cursor, last push and pull
// times, online state.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tillbridge::store {

struct StoreCore;

// Thread-safe (serialized through the store).
class SyncState {
 public:
  explicit SyncState(StoreCore& core) : core_(core) {}

  Result<std::optional<std::string>> Get(std::string_view key);
  // Stores `value` with card numbers masked (common/card_numbers.h).
  Status Set(std::string_view key, std::string_view value);

 private:
  StoreCore& core_;
};

}  // namespace tillbridge::store
