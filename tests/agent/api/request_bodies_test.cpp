#include "agent/api/request_bodies.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

namespace tillbridge::agent {
namespace {

const char* kGoodConsent =
    R"({"phone":"(415) 555-0134","purpose":"marketing","granted":true,"method":"keypad",)"
    R"("disclosure_version":"1","cashier_id":"c-17","occurred_at":"2026-11-29T12:00:00.000Z"})";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  return text.replace(at, from.size(), to);
}

void ExpectConsentError(const std::string& body, int status, const std::string& field,
                        const std::string& reason_part) {
  ConsentRequest request;
  auto error = ParseConsentRequest(body, &request);
  REQUIRE_MESSAGE(error.has_value(), "accepted: ", body);
  CHECK_MESSAGE(error->status == status, body, " -> ", error->reason);
  CHECK_MESSAGE(error->field.value_or("null") == field, body, " -> ",
                error->field.value_or("null"));
  CHECK_MESSAGE(error->reason.find(reason_part) != std::string::npos, body, " -> ", error->reason);
}

}  // namespace

TEST_CASE("a complete consent request parses") {
  ConsentRequest request;
  REQUIRE_FALSE(ParseConsentRequest(kGoodConsent, &request).has_value());
  CHECK(request.phone == "(415) 555-0134");
  CHECK(request.purpose == store::ConsentPurpose::kMarketing);
  CHECK(request.granted);
  CHECK(request.method == "keypad");
  CHECK(request.disclosure_version == "1");
  CHECK(request.cashier_id == "c-17");
  REQUIRE(request.occurred_at.has_value());
  CHECK(*request.occurred_at == 1'795'953'600'000);
}

TEST_CASE("consent request errors name the field and say why") {
  ExpectConsentError("", 400, "null", "empty");
  ExpectConsentError("[1]", 400, "null", "must be a JSON object");
  ExpectConsentError("{\"phone\":", 400, "null", "malformed JSON at line 1");
  ExpectConsentError(Replace(kGoodConsent, "\"granted\":true", "\"granted\":\"yes\""), 400,
                     "granted", "true or false");
  ExpectConsentError(Replace(kGoodConsent, "\"phone\":\"(415) 555-0134\"", "\"phone\":4155550134"),
                     400, "phone", "must be a string");
  ExpectConsentError(Replace(kGoodConsent, "\"purpose\":\"marketing\"", "\"purpose\":\"spam\""),
                     400, "purpose", "transactional");
  ExpectConsentError(Replace(kGoodConsent, "\"method\":\"keypad\"", "\"method\":\"cloud\""), 400,
                     "method", "must be one of");
  ExpectConsentError(Replace(kGoodConsent, ",\"cashier_id\":\"c-17\"", ""), 400, "cashier_id",
                     "required");
  ExpectConsentError(Replace(kGoodConsent, "\"cashier_id\":\"c-17\"", "\"cashier_id\":\"  \""), 400,
                     "cashier_id", "empty");
  ExpectConsentError(Replace(kGoodConsent, "\"cashier_id\":\"c-17\"",
                             "\"cashier_id\":\"c-17\",\"colour\":\"red\""),
                     400, "colour", "unknown field");
  ExpectConsentError(Replace(kGoodConsent, ",\"disclosure_version\":\"1\"", ""), 400,
                     "disclosure_version", "required when granted");
  ExpectConsentError(Replace(kGoodConsent, "2026-11-29T12:00:00.000Z", "yesterday"), 400,
                     "occurred_at", "RFC 3339");
  ExpectConsentError(
      Replace(kGoodConsent, "\"cashier_id\":\"c-17\"", "\"cashier_id\":\"c\\u0001\""), 400,
      "cashier_id", "control characters");
  ExpectConsentError(Replace(kGoodConsent, "\"cashier_id\":\"c-17\"",
                             "\"cashier_id\":\"c-17\",\"detail\":\"card 4111 1111 1111 1111\""),
                     422, "detail", "card number");
}

TEST_CASE("an opt-out needs no disclosure version") {
  ConsentRequest request;
  const std::string body =
      R"({"phone":"4155550134","purpose":"transactional","granted":false,"method":"cashier_entry","cashier_id":"c-1"})";
  REQUIRE_FALSE(ParseConsentRequest(body, &request).has_value());
  CHECK_FALSE(request.granted);
  CHECK_FALSE(request.disclosure_version.has_value());
  CHECK_FALSE(request.occurred_at.has_value());
}

TEST_CASE("a transaction body parses into the store's record") {
  const std::string body = R"({
    "pos_id": "R-1001", "revision": 2, "kind": "sale",
    "occurred_at": "2026-11-29T12:00:00Z", "currency": "USD",
    "subtotal_minor": 1850, "tax_minor": 149, "total_minor": 1999,
    "cashier_id": "c-17", "phone": "(415) 555-0134", "coupon_codes": ["WELCOME10"],
    "lines": [{"sku": "SKU-1", "description": "Coffee", "category": "Hot drinks",
               "quantity_milli": 2000, "unit_price_minor": 925, "total_minor": 1850}],
    "payments": [{"type": "card", "amount_minor": 1999}]
  })";
  TransactionRequest request;
  auto error = ParseTransactionRequest(body, &request);
  REQUIRE_MESSAGE(!error.has_value(), (error ? error->reason : std::string()));
  const store::Transaction& txn = request.transaction;
  CHECK(txn.source == "api");
  CHECK(txn.pos_id == "R-1001");
  CHECK(txn.revision == 2);
  CHECK(txn.kind == store::TransactionKind::kSale);
  CHECK(txn.total_minor == 1999);
  CHECK(txn.tax_minor == 149);
  CHECK(txn.cashier == "c-17");
  CHECK(request.phone == "(415) 555-0134");
  REQUIRE(txn.lines.size() == 1);
  CHECK(txn.lines[0].quantity_milli == 2000);
  CHECK(txn.lines[0].category == "Hot drinks");
  REQUIRE(txn.payments.size() == 1);
  CHECK(txn.payments[0].amount_minor == 1999);
  CHECK(txn.coupon_codes == std::vector<std::string>{"WELCOME10"});
}

TEST_CASE("transaction errors name nested fields") {
  const std::string base =
      R"({"pos_id":"R-1","kind":"sale","occurred_at":"2026-11-29T12:00:00Z","currency":"USD","total_minor":100,)";
  struct Case {
    std::string tail;
    int status;
    const char* field;
    const char* reason_part;
  };
  for (const Case& c : {
           Case{R"("lines":[{"total_minor":1.5}]})", 400, "lines[0].total_minor", "whole number"},
           Case{R"("lines":[{"total_minor":100,"price":1}]})", 400, "lines[0].price",
                "unknown field"},
           Case{R"("lines":[{"total_minor":100,"category":7}]})", 400, "lines[0].category",
                "string"},
           Case{R"("lines":[{"total_minor":100,"category":")" + std::string(65, 'x') + R"("}]})",
                400, "lines[0].category", "64"},
           Case{R"("lines":[7]})", 400, "lines[0]", "must be an object"},
           Case{R"("payments":[{"type":"card"}]})", 400, "payments[0].amount_minor", "required"},
           Case{R"("payments":{"type":"card"}})", 400, "payments", "must be an array"},
           Case{R"("coupon_codes":[""]})", 400, "coupon_codes[0]", "non-empty"},
           Case{R"("lines":[{"description":"4111-1111-1111-1111","total_minor":1}]})", 422,
                "lines[0].description", "card number"},
           Case{R"("revision":0})", 400, "revision", "between 1"},
           Case{R"("revision":1e3})", 400, "revision", "whole number"},
       }) {
    TransactionRequest request;
    auto error = ParseTransactionRequest(base + c.tail, &request);
    REQUIRE_MESSAGE(error.has_value(), "accepted: ", c.tail);
    CHECK_MESSAGE(error->status == c.status, c.tail, " -> ", error->reason);
    CHECK_MESSAGE(error->field.value_or("null") == c.field, c.tail, " -> ",
                  error->field.value_or("null"));
    CHECK_MESSAGE(error->reason.find(c.reason_part) != std::string::npos, c.tail, " -> ",
                  error->reason);
  }
  TransactionRequest request;
  auto bad_kind = ParseTransactionRequest(
      R"({"pos_id":"R-1","kind":"gift","occurred_at":"2026-11-29T12:00:00Z","currency":"usd","total_minor":1})",
      &request);
  REQUIRE(bad_kind.has_value());
  CHECK(bad_kind->field == "kind");
}

TEST_CASE("card numbers in any written form are refused in every field a person types") {
  // JSON strings: full-width digits written as \uFF14 etc.
  const std::vector<std::string> forms = {
      "4111.1111.1111.1111",
      "4111/1111/1111/1111",
      "4111_1111_1111_1111",
      "4111  1111  1111  1111",
      "Paid with 4111 1111 1111 1111",
      R"(\uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11)",
      "5555555555554444",
      "378282246310005",
      "6011111111111117",
      "3530111333300000"};
  const std::string base =
      R"({"pos_id":"R-1","kind":"sale","occurred_at":"2026-11-29T12:00:00Z","currency":"USD","total_minor":100,)";
  for (const std::string& card : forms) {
    CAPTURE(card);
    for (const auto& [tail, field] : std::vector<std::pair<std::string, std::string>>{
             {R"("lines":[{"description":")" + card + R"(","total_minor":1}]})",
              "lines[0].description"},
             {R"("lines":[{"sku":")" + card + R"(","total_minor":1}]})", "lines[0].sku"},
             {R"("lines":[{"category":")" + card + R"(","total_minor":1}]})",
              "lines[0].category"},
             {R"("cashier_id":")" + card + R"("})", "cashier_id"},
             {R"("coupon_codes":[")" + card + R"("]})", "coupon_codes[0]"},
             {R"("payments":[{"type":")" + card + R"(","amount_minor":1}]})", "payments[0].type"},
         }) {
      TransactionRequest request;
      auto error = ParseTransactionRequest(base + tail, &request);
      REQUIRE_MESSAGE(error.has_value(), "accepted: ", tail);
      CHECK(error->field.value_or("null") == field);
      // A payment type is at most 32 bytes: 16 full-width digits are too
      // long before they are a card number.
      const bool too_long = error->reason.find("bytes long") != std::string::npos;
      CHECK(error->status == (too_long ? 400 : 422));
      CHECK((too_long || error->reason.find("card number") != std::string::npos));
    }
    ExpectConsentError(
        Replace(kGoodConsent, "\"cashier_id\":\"c-17\"", "\"cashier_id\":\"" + card + "\""), 422,
        "cashier_id", "card number");
    DisclosureRequest disclosure;
    auto error = ParseDisclosureRequest(R"({"purpose":"marketing","version":"2","text":"Offers. )" +
                                            card + R"(","frequency":"Up to 4 msgs/month"})",
                                        &disclosure);
    REQUIRE(error.has_value());
    CHECK(error->status == 422);
    CHECK(error->field.value_or("null") == "text");
  }
  // The POS's own id is not refused (random ids look like card numbers
  // now and then); the store masks it.
  TransactionRequest request;
  CHECK_FALSE(
      ParseTransactionRequest(
          R"({"pos_id":"4111111111111111","kind":"sale","occurred_at":"2026-11-29T12:00:00Z","currency":"USD","total_minor":100})",
          &request)
          .has_value());
  // Amounts, dates and phone numbers in a description are no card numbers.
  CHECK_FALSE(
      ParseTransactionRequest(
          base +
              R"("lines":[{"description":"Gift 2026-11-29 14:32, call +49 151 23456789, EAN 4006381333931","total_minor":1}]})",
          &request)
          .has_value());
}


TEST_CASE("impossible and out-of-range times and negative sales are refused naming the field") {
  const std::string sale = R"({"pos_id":"R-1","kind":"sale","occurred_at":"2026-11-29T12:00:00Z",)"
                           R"("currency":"USD","total_minor":500})";
  struct Case {
    std::string body;
    std::string field;
    std::string reason_part;
  } cases[] = {
      {Replace(sale, "2026-11-29T12", "2026-02-30T12"), "occurred_at", "there is no day 30"},
      {Replace(sale, "2026-11-29T12", "0001-01-01T12"), "occurred_at", "between 2000-01-01"},
      {Replace(sale, "2026-11-29T12", "2150-01-01T12"), "occurred_at", "between 2000-01-01"},
      {Replace(sale, "\"total_minor\":500", "\"total_minor\":-500"), "total_minor",
       "kind \"refund\""},
  };
  for (const auto& c : cases) {
    TransactionRequest request;
    auto error = ParseTransactionRequest(c.body, &request);
    REQUIRE_MESSAGE(error.has_value(), "accepted: ", c.body);
    CHECK(error->status == 400);
    CHECK_MESSAGE(error->field.value_or("null") == c.field, c.body);
    CHECK_MESSAGE(error->reason.find(c.reason_part) != std::string::npos, error->reason);
  }
  // A refund may be negative; a sale of zero (a free sample) is fine.
  TransactionRequest refund;
  CHECK(!ParseTransactionRequest(
             Replace(Replace(sale, "\"total_minor\":500", "\"total_minor\":-500"), "\"sale\"",
                     "\"refund\""),
             &refund)
             .has_value());
  TransactionRequest free_sample;
  CHECK(!ParseTransactionRequest(Replace(sale, "\"total_minor\":500", "\"total_minor\":0"),
                                 &free_sample)
             .has_value());
  // A consent time of year 1 is refused as well.
  ExpectConsentError(Replace(kGoodConsent, "2026-11-29T12", "0001-01-01T00"), 400, "occurred_at",
                     "between 2000-01-01");
}

}  // namespace tillbridge::agent
