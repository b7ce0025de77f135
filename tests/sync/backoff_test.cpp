#include "sync/backoff.h"

#include <doctest/doctest.h>

#include <algorithm>

using namespace std::chrono_literals;
using tillbridge::sync::Backoff;
using tillbridge::sync::kMaxRetryAfter;
using tillbridge::sync::ParseRetryAfter;

TEST_CASE("backoff ceilings double from the initial delay up to the cap") {
  Backoff backoff(100ms, 1000ms, 1);
  std::vector<std::int64_t> ceilings;
  for (int i = 0; i < 7; ++i) {
    ceilings.push_back(backoff.Ceiling().count());
    const auto delay = backoff.Next();
    CHECK(delay.count() >= 0);
    CHECK(delay.count() <= ceilings.back());
  }
  CHECK(ceilings == std::vector<std::int64_t>{100, 200, 400, 800, 1000, 1000, 1000});
  CHECK(backoff.failures() == 7);
  backoff.Reset();
  CHECK(backoff.Ceiling() == 100ms);
}

TEST_CASE("backoff jitter is full: delays spread over the whole range") {
  Backoff backoff(1000ms, 1000ms, 99);
  std::int64_t low = INT64_MAX, high = 0, sum = 0;
  for (int i = 0; i < 2000; ++i) {
    const auto delay = backoff.Next().count();
    low = std::min(low, delay);
    high = std::max(high, delay);
    sum += delay;
  }
  CHECK(low < 50);
  CHECK(high > 950);
  CHECK(sum / 2000 > 400);
  CHECK(sum / 2000 < 600);
}

TEST_CASE("backoff is repeatable per seed and differs between seeds") {
  Backoff a(10ms, 10'000ms, 5), b(10ms, 10'000ms, 5), c(10ms, 10'000ms, 6);
  std::vector<std::int64_t> va, vb, vc;
  for (int i = 0; i < 12; ++i) {
    va.push_back(a.Next().count());
    vb.push_back(b.Next().count());
    vc.push_back(c.Next().count());
  }
  CHECK(va == vb);
  CHECK(va != vc);
}

TEST_CASE("backoff never overflows after many failures") {
  Backoff backoff(1ms, std::chrono::milliseconds(86'400'000), 3);
  for (int i = 0; i < 500; ++i) {
    const auto delay = backoff.Next();
    REQUIRE(delay.count() >= 0);
    REQUIRE(delay.count() <= 86'400'000);
  }
  CHECK(backoff.Ceiling().count() == 86'400'000);
}

TEST_CASE("Retry-After in seconds") {
  const tillbridge::UnixMillis now = 1'800'000'000'000;
  CHECK(ParseRetryAfter("120", now) == std::optional(120'000ms));
  CHECK(ParseRetryAfter("  5 ", now) == std::optional(5'000ms));
  CHECK(ParseRetryAfter("0", now) == std::optional(0ms));
  CHECK(ParseRetryAfter("3601", now) == std::optional(kMaxRetryAfter));
  CHECK(ParseRetryAfter("99999999999999999999", now) == std::optional(kMaxRetryAfter));
}

TEST_CASE("Retry-After as an HTTP date") {
  auto now = tillbridge::ParseRfc3339("2015-10-21T07:27:30Z");
  REQUIRE(now.ok());
  CHECK(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", *now) == std::optional(30'000ms));
  // A date in the past means "now".
  CHECK(ParseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", *now) == std::optional(0ms));
  CHECK(ParseRetryAfter("Thu, 22 Oct 2015 07:28:00 GMT", *now) == std::optional(kMaxRetryAfter));
}

TEST_CASE("Retry-After garbage is ignored, not guessed") {
  const tillbridge::UnixMillis now = 1'800'000'000'000;
  for (const char* bad : {"", "soon", "-5", "1.5", "5s", "Wed, 21 Oct 2015 07:28:00 PST",
                          "Wednesday, 21-Oct-15 07:28:00 GMT", "Wed, 32 Oct 2015 07:28:00 GMT",
                          "Wed, 21 Foo 2015 07:28:00 GMT"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseRetryAfter(bad, now).has_value());
  }
}
