// Fuzzes the local API's request-body parser: the strict JSON reader and the
// typed readers of each POST body. The first byte picks the body kind.
// Besides "no crash", checks that whatever parses serializes back to JSON
// that parses to the same text again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/api/json.h"
#include "agent/api/request_bodies.h"
#include "common/card_numbers.h"

namespace {

using tillbridge::agent::JsonValue;
using tillbridge::agent::JsonWriter;

void Write(JsonWriter& out, const JsonValue& value) {
  switch (value.type()) {
    case JsonValue::Type::kNull:
      out.Null();
      break;
    case JsonValue::Type::kBool:
      out.Bool(value.bool_value());
      break;
    case JsonValue::Type::kNumber:
      out.Raw(value.text());
      break;
    case JsonValue::Type::kString:
      out.String(value.text());
      break;
    case JsonValue::Type::kArray:
      out.BeginArray();
      for (const auto& item : value.items()) Write(out, item);
      out.EndArray();
      break;
    case JsonValue::Type::kObject:
      out.BeginObject();
      for (const auto& [key, member] : value.members()) {
        out.Key(key);
        Write(out, member);
      }
      out.EndObject();
      break;
  }
}

void CheckRoundTrip(std::string_view text) {
  auto parsed = tillbridge::agent::ParseJson(text);
  if (!parsed.ok()) return;
  JsonWriter first;
  Write(first, *parsed);
  auto again = tillbridge::agent::ParseJson(first.str());
  if (!again.ok()) std::abort();
  JsonWriter second;
  Write(second, *again);
  if (second.str() != first.str()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0: {
      tillbridge::agent::ConsentRequest request;
      (void)tillbridge::agent::ParseConsentRequest(body, &request);
      break;
    }
    case 1: {
      tillbridge::agent::TransactionRequest request;
      (void)tillbridge::agent::ParseTransactionRequest(body, &request);
      break;
    }
    case 2: {
      tillbridge::agent::DisclosureRequest request;
      (void)tillbridge::agent::ParseDisclosureRequest(body, &request);
      break;
    }
    case 3: {
      tillbridge::agent::LoginRequest request;
      (void)tillbridge::agent::ParseLoginRequest(body, &request);
      (void)tillbridge::ContainsCardNumber(body);
      break;
    }
    default:
      CheckRoundTrip(body);
      break;
  }
  return 0;
}
