// The manager page's password: rules, and the salted PBKDF2-HMAC-SHA256
// hash kept in the store ("pbkdf2-sha256$ITERATIONS$SALT_HEX$KEY_HEX").
// Set with `tillbridge manager-password`, checked by POST /manager/login.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tillbridge::agent {

inline constexpr std::size_t kMinManagerPasswordLength = 10;
inline constexpr int kManagerPasswordIterations = 210'000;

// InvalidArgument (saying why) when `password` is too short or too long
// (over 1024 bytes) or holds a control character.
Status CheckManagerPassword(std::string_view password);

// The stored form of `password` with a fresh random 16-byte salt.
Result<std::string> HashManagerPassword(std::string_view password,
                                        int iterations = kManagerPasswordIterations);

// Whether `password` matches `encoded` (from HashManagerPassword). False
// for a malformed `encoded`. Compares in constant time.
bool VerifyManagerPassword(std::string_view password, std::string_view encoded);

// PBKDF2-HMAC-SHA256 of `password` and `salt` (raw bytes) as lower-case
// hex of `length` bytes; exposed for known-answer tests.
std::string Pbkdf2Sha256Hex(std::string_view password, std::string_view salt, int iterations,
                            std::size_t length);

}  // namespace tillbridge::agent
