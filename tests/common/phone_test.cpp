#include "common/phone.h"

#include <doctest/doctest.h>

namespace tillbridge {

TEST_CASE("US numbers normalize to E.164 with the default region") {
  PhoneNormalizer us("US");
  for (const char* input :
       {"(415) 555-0134", "415-555-0134", "4155550134", "+1 415 555 0134", "1 (415) 555.0134"}) {
    auto e164 = us.Normalize(input);
    REQUIRE_MESSAGE(e164.ok(), input, " ", e164.status().ToString());
    CHECK(*e164 == "+14155550134");
  }
}

TEST_CASE("numbers with a country code ignore the default region") {
  PhoneNormalizer us("US");
  auto uk = us.Normalize("+44 20 7946 0958");
  REQUIRE(uk.ok());
  CHECK(*uk == "+442079460958");
  PhoneNormalizer gb("GB");
  auto local = gb.Normalize("020 7946 0958");
  REQUIRE(local.ok());
  CHECK(*local == "+442079460958");
}

TEST_CASE("invalid numbers are rejected with a specific reason") {
  PhoneNormalizer us("US");
  struct Case {
    const char* input;
    const char* reason_part;
  };
  for (const Case& c : {Case{"", "empty"}, Case{"555", "short"}, Case{"call me", "letters"},
                        Case{"415555013412345678", "long"}, Case{"415#555#0134", "character"},
                        Case{"---", "no digits"}}) {
    auto result = us.Normalize(c.input);
    CHECK_FALSE(result.ok());
    CHECK(result.status().code() == StatusCode::kInvalidArgument);
    CHECK_MESSAGE(result.status().message().find(c.reason_part) != std::string::npos, c.input,
                  " -> ", result.status().message());
  }
}

TEST_CASE("masking keeps only the first and last four digits") {
  CHECK(MaskPhone("+14155550134") == "+1******0134");
  CHECK(MaskPhone("12") == "**");
  CHECK(MaskPhonesInText("customer +14155550134 opted in") == "customer +1******0134 opted in");
  CHECK(MaskPhonesInText("call (415) 555-0134 now") == "call (+4*****0134 now");
  CHECK(MaskPhonesInText("order 12345 total 9.99") == "order 12345 total 9.99");
  // Ids that hold digits are not phone numbers.
  CHECK(MaskPhonesInText("agent agt_08046a39a77d25335bb1f09c started") ==
        "agent agt_08046a39a77d25335bb1f09c started");
  CHECK(MaskPhonesInText("event 3f1b2c4d5e6f708192a3b4c5d6e7f809 sent") ==
        "event 3f1b2c4d5e6f708192a3b4c5d6e7f809 sent");
  CHECK(MaskPhonesInText("agt_x for +14155550134") == "agt_x for +1******0134");
}

TEST_CASE("known regions") {
  CHECK(PhoneNormalizer::IsKnownRegion("US"));
  CHECK(PhoneNormalizer::IsKnownRegion("DE"));
  CHECK_FALSE(PhoneNormalizer::IsKnownRegion("XX"));
}

}  // namespace tillbridge
