// The API's bearer token and the one-time launch links signed with it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace tillbridge::agent {

// Reads the token from `path`, or creates the file with a new random token
// (32 bytes as 64 hex characters) and mode 0600 when it does not exist.
// FailedPrecondition when the file exists but holds no usable token.
Result<std::string> LoadOrCreateApiToken(const std::string& path);

// Compares two secrets in time that does not depend on where they differ
// (nor on their lengths: both are hashed first).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// A path and query ("/launch?expires=...&nonce=...&sig=...") that signs the
// cashier page in once, until `expires_at`. Anyone who can read the token
// file can make one; the token itself is not in the link.
std::string MakeLaunchPath(const std::string& token, UnixMillis expires_at);

// The full launch URL for a server at `base_url` ("http://127.0.0.1:8787"),
// valid for `ttl` from `now`.
std::string MakeLaunchUrl(const std::string& base_url, const std::string& token, UnixMillis now,
                          std::chrono::milliseconds ttl);

// Checks a launch link's parameters: signature, expiry (not passed, and not
// further than `max_ttl` ahead). Ok or PermissionDenied with the reason.
// One-time use is enforced by the caller (it remembers used nonces).
Status VerifyLaunchLink(const std::string& token, std::string_view expires, std::string_view nonce,
                        std::string_view signature, UnixMillis now,
                        std::chrono::milliseconds max_ttl);

}  // namespace tillbridge::agent
