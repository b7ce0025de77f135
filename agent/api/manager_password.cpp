#include "agent/api/manager_password.h"

#include <openssl/evp.h>

#include <charconv>
#include <vector>

#include "agent/api/api_token.h"
#include "common/digest.h"
#include "common/text.h"

namespace tillbridge::agent {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr std::size_t kKeyBytes = 32;
// A stored hash with fewer rounds than this is refused, so a tampered
// store cannot make guessing cheap.
constexpr int kMinIterations = 100'000;

std::string ToHex(const unsigned char* data, std::size_t length) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (std::size_t i = 0; i < length; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xf];
  }
  return out;
}

bool FromHex(std::string_view hex, std::string* bytes) {
  if (hex.empty() || hex.size() % 2 != 0) return false;
  bytes->clear();
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = HexDigitValue(hex[i]), low = HexDigitValue(hex[i + 1]);
    if (high < 0 || low < 0) return false;
    bytes->push_back(static_cast<char>(high * 16 + low));
  }
  return true;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    const auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

}  // namespace

Status CheckManagerPassword(std::string_view password) {
  if (password.size() < kMinManagerPasswordLength) {
    return Status::InvalidArgument("the manager password must be at least " +
                                   std::to_string(kMinManagerPasswordLength) + " characters");
  }
  if (password.size() > 1024) {
    return Status::InvalidArgument("the manager password must be at most 1024 bytes");
  }
  for (const char c : password) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("the manager password must not hold control characters");
    }
  }
  return Status::Ok();
}

std::string Pbkdf2Sha256Hex(std::string_view password, std::string_view salt, int iterations,
                            std::size_t length) {
  std::vector<unsigned char> key(length);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(length), key.data()) != 1) {
    return "";
  }
  return ToHex(key.data(), key.size());
}

Result<std::string> HashManagerPassword(std::string_view password, int iterations) {
  TB_RETURN_IF_ERROR(CheckManagerPassword(password));
  const std::string salt_hex = RandomHex(16);
  std::string salt;
  FromHex(salt_hex, &salt);
  const std::string key = Pbkdf2Sha256Hex(password, salt, iterations, kKeyBytes);
  if (key.empty()) return Status::Internal("PBKDF2 failed");
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + salt_hex + "$" + key;
}

bool VerifyManagerPassword(std::string_view password, std::string_view encoded) {
  const auto parts = Split(encoded, '$');
  if (parts.size() != 4 || parts[0] != kScheme) return false;
  int iterations = 0;
  const auto parsed =
      std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), iterations);
  if (parsed.ec != std::errc() || parsed.ptr != parts[1].data() + parts[1].size() ||
      iterations < kMinIterations || iterations > 10'000'000) {
    return false;
  }
  std::string salt, expected;
  if (!FromHex(parts[2], &salt) || !FromHex(parts[3], &expected)) return false;
  const std::string key = Pbkdf2Sha256Hex(password, salt, iterations, expected.size());
  return !key.empty() && ConstantTimeEquals(key, parts[3]);
}

}  // namespace tillbridge::agent
