// A small, strict JSON reader and writer for the local API. Strict means
// RFC 8259 only (no comments, no trailing commas), UTF-8 validated, no
// duplicate keys and a nesting limit, with errors that say where and why.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace tillbridge::agent {

// One JSON value. Objects keep their members in document order.
class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  using Member = std::pair<std::string, JsonValue>;

  JsonValue() = default;
  static JsonValue Null() { return JsonValue(); }
  static JsonValue Bool(bool value);
  // `literal` is the number exactly as written in the document.
  static JsonValue Number(std::string literal);
  static JsonValue String(std::string value);
  static JsonValue Array(std::vector<JsonValue> items);
  static JsonValue Object(std::vector<Member> members);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool bool_value() const { return bool_; }
  // The string's value, or a number's literal text.
  const std::string& text() const { return text_; }
  // The number as a 64-bit integer when it is written without fraction or
  // exponent and fits; nullopt otherwise (and for non-numbers).
  std::optional<std::int64_t> AsInt64() const;
  const std::vector<JsonValue>& items() const { return items_; }
  const std::vector<Member>& members() const { return members_; }
  // The member named `key` of an object, or nullptr.
  const JsonValue* Find(std::string_view key) const;

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string text_;
  std::vector<JsonValue> items_;
  std::vector<Member> members_;
};

// "null", "boolean", "number", "string", "array", "object".
std::string_view JsonTypeName(JsonValue::Type type);

struct JsonLimits {
  std::size_t max_depth = 32;      // nesting of arrays and objects
  std::size_t max_members = 1000;  // per object or array
};

// Parses one JSON document. InvalidArgument says where ("line 1, column 9")
// and why ("expected ':' after an object key").
Result<JsonValue> ParseJson(std::string_view text, const JsonLimits& limits = {});

// Builds compact JSON text. Strings are escaped and invalid UTF-8 is
// replaced with U+FFFD, so the output is always valid JSON.
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // The next member's name, inside an object.
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(std::int64_t value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // A string, or null when `value` is nullopt.
  JsonWriter& OptionalString(const std::optional<std::string>& value);
  JsonWriter& OptionalInt(const std::optional<std::int64_t>& value);
  // Inserts already-serialized JSON as the next value.
  JsonWriter& Raw(std::string_view json);

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: no value written yet
  bool after_key_ = false;
};

// Appends `value` as a quoted JSON string to `out`.
void AppendJsonString(std::string& out, std::string_view value);

// True when `text` is valid UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view text);

}  // namespace tillbridge::agent
