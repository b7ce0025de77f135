#include "agent/api/object_reader.h"

namespace tillbridge::agent {

ObjectReader::ObjectReader(const JsonValue& object, std::string prefix)
    : object_(object), prefix_(std::move(prefix)) {}

std::string ObjectReader::FieldName(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

void ObjectReader::Fail(std::string_view key, std::string reason, int status) {
  if (error_) return;
  error_ = ApiError{status, FieldName(key), std::move(reason)};
}

const JsonValue* ObjectReader::Lookup(std::string_view key, Presence presence) {
  if (error_) return nullptr;
  seen_.emplace_back(key);
  const JsonValue* value = object_.Find(key);
  if (value == nullptr || value->is_null()) {
    if (presence == Presence::kRequired) Fail(key, "is required");
    return nullptr;
  }
  return value;
}

std::optional<std::string> ObjectReader::String(std::string_view key, Presence presence,
                                                std::size_t max_length, TextKind kind) {
  const JsonValue* value = Lookup(key, presence);
  if (value == nullptr) return std::nullopt;
  if (value->type() != JsonValue::Type::kString) {
    Fail(key, "must be a string, not " + std::string(JsonTypeName(value->type())));
    return std::nullopt;
  }
  const std::string& text = value->text();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    Fail(key, "must not be empty");
    return std::nullopt;
  }
  if (text.size() > max_length) {
    Fail(key, "must be at most " + std::to_string(max_length) + " bytes long");
    return std::nullopt;
  }
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool allowed_space =
        kind == TextKind::kMultiline && (c == '\n' || c == '\r' || c == '\t');
    if ((byte < 0x20 || byte == 0x7F) && !allowed_space) {
      Fail(key, "must not contain control characters");
      return std::nullopt;
    }
  }
  return text;
}

std::optional<bool> ObjectReader::Bool(std::string_view key, Presence presence) {
  const JsonValue* value = Lookup(key, presence);
  if (value == nullptr) return std::nullopt;
  if (value->type() != JsonValue::Type::kBool) {
    Fail(key, "must be true or false, not " + std::string(JsonTypeName(value->type())));
    return std::nullopt;
  }
  return value->bool_value();
}

std::optional<std::int64_t> ObjectReader::Int(std::string_view key, Presence presence,
                                              std::int64_t min, std::int64_t max) {
  const JsonValue* value = Lookup(key, presence);
  if (value == nullptr) return std::nullopt;
  if (value->type() != JsonValue::Type::kNumber) {
    Fail(key, "must be a whole number, not " + std::string(JsonTypeName(value->type())));
    return std::nullopt;
  }
  const auto number = value->AsInt64();
  if (!number) {
    Fail(key,
         "must be a whole number without fraction or exponent (money is in minor units, "
         "e.g. 1999 for 19.99), got " +
             value->text());
    return std::nullopt;
  }
  if (*number < min || *number > max) {
    Fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                  value->text());
    return std::nullopt;
  }
  return number;
}

const JsonValue* ObjectReader::Array(std::string_view key, Presence presence,
                                     std::size_t max_items) {
  const JsonValue* value = Lookup(key, presence);
  if (value == nullptr) return nullptr;
  if (value->type() != JsonValue::Type::kArray) {
    Fail(key, "must be an array, not " + std::string(JsonTypeName(value->type())));
    return nullptr;
  }
  if (value->items().size() > max_items) {
    Fail(key, "must have at most " + std::to_string(max_items) + " items");
    return nullptr;
  }
  return value;
}

std::optional<ApiError> ObjectReader::Finish() {
  if (error_) return error_;
  for (const auto& [name, value] : object_.members()) {
    bool known = false;
    for (const auto& seen : seen_) known = known || seen == name;
    if (!known) return ApiError{400, FieldName(name), "unknown field"};
  }
  return std::nullopt;
}

std::optional<ApiError> ParseObjectBody(std::string_view body, JsonValue* out) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return ApiError{400, std::nullopt, "request body is empty; expected a JSON object"};
  }
  auto parsed = ParseJson(body);
  if (!parsed.ok()) return ApiError{400, std::nullopt, parsed.status().message()};
  if (parsed->type() != JsonValue::Type::kObject) {
    return ApiError{
        400, std::nullopt,
        "request body must be a JSON object, not " + std::string(JsonTypeName(parsed->type()))};
  }
  *out = std::move(parsed).value();
  return std::nullopt;
}

}  // namespace tillbridge::agent
