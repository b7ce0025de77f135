// Cryptographic digests used for event ids, the consent hash chain and
// webhook signatures. Thin wrappers over OpenSSL, kept out of other headers.
#pragma once

#include <string>
#include <string_view>

namespace tillbridge {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Lower-case hex HMAC-SHA256 of `data` under `key`.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// `count` cryptographically random bytes as lower-case hex (2*count chars).
std::string RandomHex(size_t count);

}  // namespace tillbridge
