#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "sync/webhook_sink.h"
#include "tests/test_util.h"

using tillbridge::StatusCode;
using tillbridge::sync::VerifyWebhookSignature;
using tillbridge::sync::WebhookSignature;

namespace {

// HMAC computed by the openssl CLI: an implementation independent of ours.
std::string OpensslHmac(const std::string& key, const std::string& data) {
  tillbridge::testing::TempDir dir;
  const std::string input = dir.File("data");
  std::ofstream(input, std::ios::binary) << data;
  const std::string command = "openssl dgst -sha256 -hmac '" + key + "' -r " + input;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[256] = {};
  const size_t read = fread(buffer, 1, sizeof(buffer) - 1, pipe);
  pclose(pipe);
  std::string out(buffer, read);
  return out.substr(0, out.find(' '));
}

// The reference is the openssl command, which a Windows machine lacks; the
// Linux build runs this check on the same code.
#ifdef _WIN32
constexpr bool kHaveOpensslCommand = false;
#else
constexpr bool kHaveOpensslCommand = true;
#endif

}  // namespace

TEST_CASE("the webhook signature is HMAC-SHA256 over '<timestamp>.<body>'" *
          doctest::skip(!kHaveOpensslCommand)) {
  const std::string secret = "whsec-0123456789abcdef";
  const std::string body =
      R"({"id":"abc","type":"transaction.completed","payload":{"total_minor":1250}})";
  const std::string expected = "v1=" + OpensslHmac(secret, "1800000000." + body);
  REQUIRE(expected.size() == 3 + 64);
  CHECK(WebhookSignature(secret, 1'800'000'000, body) == expected);
  CHECK(WebhookSignature(secret, 1'800'000'001, body) != expected);
  CHECK(WebhookSignature(secret + "x", 1'800'000'000, body) != expected);
}

TEST_CASE("a receiver accepts a fresh, matching signature") {
  const std::string secret = "whsec-0123456789abcdef";
  const std::string body = R"({"id":"e1"})";
  const std::string signature = WebhookSignature(secret, 1'800'000'000, body);
  CHECK(VerifyWebhookSignature(secret, "1800000000", signature, body, 1'800'000'100).ok());
}

TEST_CASE("a receiver refuses tampered, replayed or malformed deliveries") {
  const std::string secret = "whsec-0123456789abcdef";
  const std::string body = R"({"id":"e1","total_minor":100})";
  const std::string signature = WebhookSignature(secret, 1'800'000'000, body);

  auto tampered = VerifyWebhookSignature(secret, "1800000000", signature,
                                         R"({"id":"e1","total_minor":900})", 1'800'000'000);
  CHECK(tampered.code() == StatusCode::kPermissionDenied);
  CHECK(tampered.message().find("does not match") != std::string::npos);

  auto replayed = VerifyWebhookSignature(secret, "1800000000", signature, body, 1'800'000'301);
  CHECK(replayed.code() == StatusCode::kPermissionDenied);
  CHECK(replayed.message().find("replayed") != std::string::npos);

  auto wrong_secret =
      VerifyWebhookSignature("another-secret-123", "1800000000", signature, body, 1'800'000'000);
  CHECK(wrong_secret.code() == StatusCode::kPermissionDenied);

  for (const char* bad : {"", "18e8", "1800000000 ", "-"}) {
    CAPTURE(bad);
    auto status = VerifyWebhookSignature(secret, bad, signature, body, 1'800'000'000);
    CHECK(status.code() == StatusCode::kPermissionDenied);
    CHECK(status.message().find("Tillbridge-Timestamp") != std::string::npos);
  }
  // A signature for another timestamp does not verify under this one.
  auto moved = VerifyWebhookSignature(secret, "1800000001", signature, body, 1'800'000'000);
  CHECK(moved.code() == StatusCode::kPermissionDenied);
}
