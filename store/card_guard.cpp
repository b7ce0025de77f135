#include "store/card_guard.h"

#include <optional>
#include <utility>

#include "common/card_numbers.h"
#include "common/text.h"

namespace tillbridge::store {
namespace {

// Masks `text` in place; returns how many card numbers it held.
int MaskField(std::string& text) {
  int count = 0;
  std::string masked = MaskCardNumbers(text, &count);
  if (count > 0) text = std::move(masked);
  return count;
}

// Reads the four hex digits at json[pos]; -1 when they are not there.
long ReadHex4(std::string_view json, std::size_t pos) {
  if (pos + 4 > json.size()) return -1;
  long value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const int digit = HexDigitValue(json[pos + i]);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

// The text of the JSON string literal whose opening quote is at json[pos],
// with escapes decoded; `end` receives the offset after its closing quote.
// nullopt when the literal is malformed.
std::optional<std::string> DecodeString(std::string_view json, std::size_t pos, std::size_t* end) {
  std::string out;
  for (++pos; pos < json.size();) {
    const char c = json[pos];
    if (c == '"') {
      *end = pos + 1;
      return out;
    }
    if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
    if (c != '\\') {
      out.push_back(c);
      ++pos;
      continue;
    }
    if (pos + 1 >= json.size()) return std::nullopt;
    const char escape = json[pos + 1];
    pos += 2;
    switch (escape) {
      case '"':
      case '\\':
      case '/':
        out.push_back(escape);
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        long unit = ReadHex4(json, pos);
        if (unit < 0) return std::nullopt;
        pos += 4;
        char32_t code_point = static_cast<char32_t>(unit);
        if (unit >= 0xD800 && unit <= 0xDBFF && pos + 1 < json.size() && json[pos] == '\\' &&
            json[pos + 1] == 'u') {
          const long low = ReadHex4(json, pos + 2);
          if (low >= 0xDC00 && low <= 0xDFFF) {
            code_point = 0x10000 + ((static_cast<char32_t>(unit) - 0xD800) << 10) +
                         (static_cast<char32_t>(low) - 0xDC00);
            pos += 6;
          }
        }
        AppendUtf8(code_point, out);
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

void AppendJsonString(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20) {
      out += "\\u00";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0F]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

bool IsNumberChar(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

// What may stand between JSON values: structure, white space and the
// letters of true, false and null.
bool IsStructureChar(char c) {
  switch (c) {
    case '{':
    case '}':
    case '[':
    case ']':
    case ':':
    case ',':
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case 't':
    case 'r':
    case 'u':
    case 'e':
    case 'f':
    case 'a':
    case 'l':
    case 's':
    case 'n':
      return true;
    default:
      return false;
  }
}

// JSON masked value by value; nullopt when `json` is not JSON enough to be
// read that way.
std::optional<std::string> MaskJsonValues(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  std::size_t pos = 0;
  while (pos < json.size()) {
    const char c = json[pos];
    if (c == '"') {
      std::size_t end = 0;
      auto text = DecodeString(json, pos, &end);
      if (!text) return std::nullopt;
      int count = 0;
      const std::string masked = MaskCardNumbers(*text, &count);
      if (count == 0) {
        out.append(json.substr(pos, end - pos));
      } else {
        AppendJsonString(masked, out);
      }
      pos = end;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      std::size_t end = pos;
      while (end < json.size() && IsNumberChar(json[end])) ++end;
      const std::string_view number = json.substr(pos, end - pos);
      int count = 0;
      const std::string masked = MaskCardNumbers(number, &count);
      if (count == 0) {
        out.append(number);
      } else {
        AppendJsonString(masked, out);
      }
      pos = end;
    } else if (IsStructureChar(c)) {
      out.push_back(c);
      ++pos;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace

int MaskCardNumbersIn(Transaction& txn) {
  int count = MaskField(txn.pos_id) + MaskField(txn.cashier) + MaskField(txn.customer_phone) +
              MaskField(txn.receipt_text) + MaskField(txn.refund_of) + MaskField(txn.loyalty_number) +
              MaskField(txn.currency);
  for (std::string& code : txn.coupon_codes) count += MaskField(code);
  for (TransactionLine& line : txn.lines)
    count += MaskField(line.sku) + MaskField(line.description) + MaskField(line.category);
  for (Payment& payment : txn.payments) count += MaskField(payment.type);
  return count;
}

std::string MaskCardNumbersInJson(std::string_view json) {
  if (auto masked = MaskJsonValues(json)) return *std::move(masked);
  return MaskCardNumbers(json);
}

}  // namespace tillbridge::store
