#include "drivers/printer/card_masking.h"

#include <doctest/doctest.h>

namespace tillbridge::drivers {
namespace {

TEST_CASE("Luhn check") {
  CHECK(PassesLuhn("4111111111111111"));
  CHECK(PassesLuhn("378282246310005"));
  CHECK(PassesLuhn("6011111111111117"));
  CHECK_FALSE(PassesLuhn("4111111111111112"));
  CHECK_FALSE(PassesLuhn(""));
  CHECK_FALSE(PassesLuhn("41111x1111111111"));
}

TEST_CASE("card numbers are masked except the last four digits") {
  int count = 0;
  CHECK(MaskCardNumbers("VISA 4111111111111111 ok", &count) == "VISA ************1111 ok");
  CHECK(count == 1);
  CHECK(MaskCardNumbers("VISA 4111 1111 1111 1111") == "VISA **** **** **** 1111");
  CHECK(MaskCardNumbers("MC 5500-0000-0000-0004") == "MC ****-****-****-0004");
  CHECK(MaskCardNumbers("AMEX 378282246310005") == "AMEX ***********0005");
  // 13 and 19 digit numbers
  CHECK(MaskCardNumbers("4222222222222") == "*********2222");
  CHECK(MaskCardNumbers("6304000000000000018") == "***************0018");
}

TEST_CASE("a card number beside other digits is still found") {
  // quantity "2" in front of the card number makes a 17-digit run
  const std::string masked = MaskCardNumbers("2 4111 1111 1111 1111");
  CHECK(masked.find("4111 1111 1111") == std::string::npos);
  CHECK(masked.substr(masked.size() - 4) == "1111");
  const std::string after = MaskCardNumbers("4111-1111-1111-1111-78");
  CHECK(after == "****-****-****-1111-78");
  // a long reference printed in one piece is judged as a whole
  CHECK(MaskCardNumbers("99994111111111111111") == "99994111111111111111");
}

TEST_CASE("a card number glued to a masked number before it is masked too") {
  // "2 5500-0000-0000" + "4111" is one 17-digit number that passes Luhn;
  // masking it leaves "4111 1111 1111 1111" standing on its own.
  int count = 0;
  const std::string masked = MaskCardNumbers("2 5500-0000-00004111 1111 1111 1111", &count);
  CHECK(masked == "* ****-****-******** **** **** 1111");
  CHECK(count == 2);
  int again = -1;
  CHECK(MaskCardNumbers(masked, &again) == masked);
  CHECK(again == 0);
}

TEST_CASE("ordinary receipt numbers and amounts stay") {
  int count = 1;
  CHECK(MaskCardNumbers("Receipt 100101 TOTAL 16.71 Tel 555-0100", &count) ==
        "Receipt 100101 TOTAL 16.71 Tel 555-0100");
  CHECK(count == 0);
  // 16 digits failing Luhn are not a card number
  CHECK(MaskCardNumbers("4111111111111112") == "4111111111111112");
  // 12 digits are too short even if Luhn passes
  CHECK(MaskCardNumbers("000000000000") == "000000000000");
  // two separators in a row end the run
  CHECK(MaskCardNumbers("4111  1111 1111 1111") == "4111  1111 1111 1111");
}

}  // namespace
}  // namespace tillbridge::drivers
