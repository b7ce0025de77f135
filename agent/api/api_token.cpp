#include "agent/api/api_token.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/digest.h"
#include "common/log.h"
#include "common/platform/files.h"

namespace tillbridge::agent {
namespace {

constexpr std::size_t kMinTokenLength = 16;

std::string Trimmed(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  const auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

Result<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::IoError("cannot read API token file " + path + ": " + std::strerror(errno));
  std::ostringstream content;
  content << in.rdbuf();
  const std::string token = Trimmed(content.str());
  if (token.size() < kMinTokenLength || token.find_first_of(" \t\r\n") != std::string::npos) {
    return Status::FailedPrecondition(
        "API token file " + path + " must hold one token of at least " +
        std::to_string(kMinTokenLength) + " characters; delete it to have a new one created");
  }
  return token;
}

// Creates the file with owner-only permissions from the start, so the token
// is never readable by others, even briefly. False when it already exists.
Result<bool> CreateTokenFile(const std::string& path, const std::string& token) {
  const Status created = platform::CreateOwnerOnlyFile(path, token + "\n");
  if (created.code() == StatusCode::kAlreadyExists) return false;
  if (!created.ok()) {
    return Status::IoError("cannot create API token file " + created.message());
  }
  return true;
}

std::string LaunchSignature(const std::string& token, std::string_view expires,
                            std::string_view nonce) {
  return HmacSha256Hex(
      token, "tillbridge-launch\x1f" + std::string(expires) + "\x1f" + std::string(nonce));
}

}  // namespace

Result<std::string> LoadOrCreateApiToken(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty() && !std::filesystem::is_directory(parent, error)) {
      return Status::IoError("cannot create API token file " + path + ": folder " +
                             parent.string() + " does not exist");
    }
    const std::string token = RandomHex(32);
    auto created = CreateTokenFile(path, token);
    if (!created.ok()) return created.status();
    if (*created) return token;
    // Another process created it first; use theirs.
  }
  // A token file made by hand (or copied in) may be open to every local
  // user, who could then sign the cashier page in: restrict it first.
  auto open = platform::IsReadableByOthers(path);
  if (open.ok() && *open) {
    Status restricted = platform::RestrictToOwner(path);
    if (!restricted.ok()) {
      return Status::PermissionDenied("API token file " + path +
                                      " is readable by other users and cannot be restricted (" +
                                      restricted.message() + "); chmod 600 it");
    }
    LogWarning("api", "API token file " + path +
                          " was readable by other users; restricted it to the agent's user");
  }
  return ReadToken(path);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  const std::string hash_a = Sha256Hex(a);
  const std::string hash_b = Sha256Hex(b);
  volatile unsigned char difference = 0;
  for (std::size_t i = 0; i < hash_a.size(); ++i) {
    difference = static_cast<unsigned char>(difference | (hash_a[i] ^ hash_b[i]));
  }
  return difference == 0;
}

std::string MakeLaunchPath(const std::string& token, UnixMillis expires_at) {
  const std::string expires = std::to_string(expires_at);
  const std::string nonce = RandomHex(16);
  return "/launch?expires=" + expires + "&nonce=" + nonce +
         "&sig=" + LaunchSignature(token, expires, nonce);
}

std::string MakeLaunchUrl(const std::string& base_url, const std::string& token, UnixMillis now,
                          std::chrono::milliseconds ttl) {
  return base_url + MakeLaunchPath(token, now + ttl.count());
}

Status VerifyLaunchLink(const std::string& token, std::string_view expires, std::string_view nonce,
                        std::string_view signature, UnixMillis now,
                        std::chrono::milliseconds max_ttl) {
  if (expires.empty() || nonce.empty() || signature.empty()) {
    return Status::PermissionDenied("the launch link is incomplete");
  }
  if (!ConstantTimeEquals(signature, LaunchSignature(token, expires, nonce))) {
    return Status::PermissionDenied("the launch link is not valid for this agent");
  }
  UnixMillis expires_at = 0;
  auto [end, ec] = std::from_chars(expires.data(), expires.data() + expires.size(), expires_at);
  if (ec != std::errc() || end != expires.data() + expires.size()) {
    return Status::PermissionDenied("the launch link is not valid for this agent");
  }
  if (expires_at <= now)
    return Status::PermissionDenied("the launch link has expired; print a new one");
  if (expires_at - now > max_ttl.count()) {
    return Status::PermissionDenied("the launch link is valid for longer than allowed");
  }
  return Status::Ok();
}

}  // namespace tillbridge::agent
