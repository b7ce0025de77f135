// Typed, strict reading of one JSON object from a request body: each field
// is asked for by name and type; anything wrong (missing, wrong type, out of
// range, unknown member) becomes one ApiError that names the field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/http_types.h"
#include "agent/api/json.h"

namespace tillbridge::agent {

enum class Presence { kOptional, kRequired };
// kLine rejects control characters; kMultiline allows newlines and tabs.
enum class TextKind { kLine, kMultiline };

// Reads fields of `object` (which must outlive the reader). The first error
// wins; later calls after an error return nullopt without changing it.
class ObjectReader {
 public:
  // `prefix` names the object in errors, e.g. "lines[2]" gives "lines[2].sku".
  explicit ObjectReader(const JsonValue& object, std::string prefix = "");

  // A non-empty string of at most `max_length` bytes (null counts as absent).
  std::optional<std::string> String(std::string_view key, Presence presence,
                                    std::size_t max_length = 200, TextKind kind = TextKind::kLine);
  std::optional<bool> Bool(std::string_view key, Presence presence);
  // A whole number (no fraction or exponent) in [min, max].
  std::optional<std::int64_t> Int(std::string_view key, Presence presence, std::int64_t min,
                                  std::int64_t max);
  // An array with at most `max_items` items; nullptr when absent or wrong.
  const JsonValue* Array(std::string_view key, Presence presence, std::size_t max_items);

  // Records an error about `key` found by the caller (e.g. an unknown enum).
  void Fail(std::string_view key, std::string reason, int status = 400);
  bool ok() const { return !error_.has_value(); }
  // The full field name for errors: prefix + "." + key.
  std::string FieldName(std::string_view key) const;

  // The first error, or an error for the first member nobody asked for.
  std::optional<ApiError> Finish();

 private:
  const JsonValue* Lookup(std::string_view key, Presence presence);

  const JsonValue& object_;
  std::string prefix_;
  std::vector<std::string> seen_;
  std::optional<ApiError> error_;
};

// Parses `body` as JSON that must be one object. On failure returns the
// error (field null, reason with line and column) and leaves `out` alone.
std::optional<ApiError> ParseObjectBody(std::string_view body, JsonValue* out);

}  // namespace tillbridge::agent
