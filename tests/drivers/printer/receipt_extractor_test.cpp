#include "drivers/printer/receipt_extractor.h"

#include <doctest/doctest.h>

namespace tillbridge::drivers {
namespace {

const char kCornerSale[] =
    "            CORNER MARKET\n"
    "       12 Main Street, Springfield\n"
    "Receipt: 100101\n"
    "Date: 2026-03-14 15:09\n"
    "Cashier: Dana\n"
    "2 x Apples 1kg @3.49                   6.98\n"
    "1 x Oat milk @2.79                     2.79\n"
    "Subtotal                               9.77\n"
    "Sales tax 8.25%                        0.81\n"
    "TOTAL                                 10.58\n"
    "VISA 4111 1111 1111 1111\n"
    "Card payment 10.58\n"
    "Customer phone: (415) 555-0134\n"
    "Coupon: SAVE10";

ReceiptExtractor ShippedExtractor(const PhoneNormalizer& phones, std::string time_zone = "UTC") {
  auto templates =
      LoadReceiptTemplates(std::string(TILLBRIDGE_SOURCE_DIR) + "/examples/receipt-templates");
  REQUIRE(templates.ok());
  ExtractorOptions options;
  options.source = "front-printer";
  options.time_zone = std::move(time_zone);
  auto extractor = ReceiptExtractor::Create(std::move(*templates), options, phones);
  REQUIRE(extractor.ok());
  return std::move(*extractor);
}

DecodedReceipt Receipt(std::string text) {
  DecodedReceipt receipt;
  receipt.text = std::move(text);
  receipt.last_byte_at = 1'700'000'000'000;
  return receipt;
}

TEST_CASE("a sale is extracted with all fields and the card number masked") {
  PhoneNormalizer phones("US");
  const auto extractor = ShippedExtractor(phones);
  const ExtractedReceipt out = extractor.Extract(Receipt(kCornerSale));
  REQUIRE(out.outcome == ExtractOutcome::kTransaction);
  CHECK(out.template_name == "corner-market");
  const store::Transaction& txn = out.transaction;
  CHECK(txn.source == "front-printer");
  CHECK(txn.pos_id == "100101");
  CHECK(txn.kind == store::TransactionKind::kSale);
  CHECK(txn.total_minor == 1058);
  CHECK(txn.subtotal_minor == 977);
  CHECK(txn.tax_minor == 81);
  CHECK(txn.currency == "USD");
  CHECK(txn.cashier == "Dana");
  CHECK(txn.customer_phone == "+14155550134");
  CHECK(txn.coupon_codes == std::vector<std::string>{"SAVE10"});
  CHECK(txn.occurred_at == *ParseRfc3339("2026-03-14T15:09:00Z"));
  REQUIRE(txn.lines.size() == 2);
  CHECK(txn.lines[0].description == "Apples 1kg");
  CHECK(txn.lines[0].quantity_milli == 2000);
  CHECK(txn.lines[0].unit_price_minor == 349);
  CHECK(txn.lines[0].total_minor == 698);
  REQUIRE(txn.payments.size() == 1);
  CHECK(txn.payments[0].type == "card payment");
  CHECK(txn.payments[0].amount_minor == 1058);
  CHECK(out.card_numbers_masked == 1);
  CHECK(txn.receipt_text.find("4111 1111 1111 1111") == std::string::npos);
  CHECK(txn.receipt_text.find("VISA 4111 11** **** 1111") != std::string::npos);
  CHECK(out.problems.empty());
}

TEST_CASE("card numbers printed with double spaces or wrapped over two lines are masked") {
  // 32-column printers wrap long lines; some POS print the groups two
  // spaces apart.
  const std::string receipt =
      "CORNER MARKET\n"
      "Receipt: 100102\n"
      "2 x Apples 1kg @3.49   6.98\n"
      "TOTAL   6.98\n"
      "VISA 4111  1111  1111  1111\n"
      "Pagado con tarjeta num. 5555 5555 5555\n"
      "4444 caduca 12/27\n"
      "Card payment 6.98";
  PhoneNormalizer phones("US");
  const auto extractor = ShippedExtractor(phones);
  const ExtractedReceipt out = extractor.Extract(Receipt(receipt));
  REQUIRE(out.outcome == ExtractOutcome::kTransaction);
  CHECK(out.card_numbers_masked == 2);
  CHECK(out.masked_text ==
        "CORNER MARKET\n"
        "Receipt: 100102\n"
        "2 x Apples 1kg @3.49   6.98\n"
        "TOTAL   6.98\n"
        "VISA 4111  11**  ****  1111\n"
        "Pagado con tarjeta num. 5555 55** ****\n"
        "4444 caduca 12/27\n"
        "Card payment 6.98");
  CHECK(out.transaction.receipt_text == out.masked_text);
  // The rest of the receipt reads as before.
  CHECK(out.transaction.pos_id == "100102");
  CHECK(out.transaction.total_minor == 698);
  REQUIRE(out.transaction.lines.size() == 1);
  CHECK(out.transaction.lines[0].total_minor == 698);
}

TEST_CASE("refunds and voids are recognized and carry positive amounts") {
  PhoneNormalizer phones("US");
  const auto extractor = ShippedExtractor(phones);
  std::string refund = kCornerSale;
  refund.replace(refund.find("TOTAL                                 10.58"), 43,
                 "TOTAL                                -10.58");
  refund.insert(refund.find("Receipt:"), "*** REFUND ***\n");
  ExtractedReceipt out = extractor.Extract(Receipt(refund));
  REQUIRE(out.outcome == ExtractOutcome::kTransaction);
  CHECK(out.transaction.kind == store::TransactionKind::kRefund);
  CHECK(out.transaction.total_minor == 1058);
  CHECK(out.transaction.pos_id == "100101/refund");

  std::string voided = kCornerSale;
  voided.insert(voided.find("Receipt:"), "*** VOID ***\n");
  out = extractor.Extract(Receipt(voided));
  CHECK(out.transaction.kind == store::TransactionKind::kVoid);
  CHECK(out.transaction.pos_id == "100101/void");
}

TEST_CASE("a European layout with decimal commas and its own currency") {
  PhoneNormalizer phones("DE");
  const auto extractor = ShippedExtractor(phones, "+01:00");
  const ExtractedReceipt out =
      extractor.Extract(Receipt("      Bistro Müller & Söhne\n"
                                "Beleg-Nr. 2077\n"
                                "14.03.2026 12:30\n"
                                "2x Café Crème                  7,60 €\n"
                                "1x Käsespätzle                14,50 €\n"
                                "SUMME EUR                      22,10\n"
                                "MwSt 19% 3,53\n"
                                "Bar 22,10"));
  REQUIRE(out.outcome == ExtractOutcome::kTransaction);
  CHECK(out.template_name == "bistro");
  CHECK(out.transaction.currency == "EUR");
  CHECK(out.transaction.total_minor == 2210);
  CHECK(out.transaction.tax_minor == 353);
  CHECK(out.transaction.occurred_at == *ParseRfc3339("2026-03-14T11:30:00Z"));
  REQUIRE(out.transaction.lines.size() == 2);
  CHECK(out.transaction.lines[0].description == "Café Crème");
  CHECK(out.transaction.lines[0].unit_price_minor == 380);
  CHECK(out.transaction.payments[0].type == "bar");
}

TEST_CASE("the generic template catches unknown layouts with a TOTAL line") {
  PhoneNormalizer phones("US");
  const auto extractor = ShippedExtractor(phones);
  const ExtractedReceipt out = extractor.Extract(
      Receipt("ACME HARDWARE\nInvoice #A-7731\n2026-01-02 09:15\nHammer  12.00\nTax 1.00\n"
              "Grand Total: $13.00\nCash 20.00\nMember phone: 415 555 0134\n"));
  REQUIRE(out.outcome == ExtractOutcome::kTransaction);
  CHECK(out.template_name == "generic");
  CHECK(out.transaction.pos_id == "A-7731");
  CHECK(out.transaction.total_minor == 1300);
  CHECK(out.transaction.tax_minor == 100);
  CHECK(out.transaction.customer_phone == "+14155550134");
}

TEST_CASE("receipts without a number get a stable hash id") {
  PhoneNormalizer phones("US");
  const auto extractor = ShippedExtractor(phones);
  const auto a = extractor.Extract(Receipt("Thanks\nTOTAL 5.00"));
  const auto b = extractor.Extract(Receipt("Thanks\nTOTAL 5.00"));
  const auto c = extractor.Extract(Receipt("Thanks!\nTOTAL 5.00"));
  REQUIRE(a.outcome == ExtractOutcome::kTransaction);
  CHECK(a.transaction.pos_id.rfind("h-", 0) == 0);
  CHECK(a.transaction.pos_id == b.transaction.pos_id);
  CHECK(a.transaction.pos_id != c.transaction.pos_id);
}

TEST_CASE("unmatched and skipped receipts") {
  PhoneNormalizer phones("US");
  const auto extractor = ShippedExtractor(phones);
  auto out = extractor.Extract(Receipt("X-REPORT SHIFT 3\nCard ref 6011 1111 1111 1117"));
  CHECK(out.outcome == ExtractOutcome::kUnmatched);
  CHECK(out.problems == std::vector<std::string>{"no template matched"});
  CHECK(out.masked_text == "X-REPORT SHIFT 3\nCard ref 6011 11** **** 1117");
  out = extractor.Extract(Receipt("Z-REPORT\nTOTAL 1,234.00"));
  CHECK(out.outcome == ExtractOutcome::kSkipped);
  // a template matches but its total is missing
  out = extractor.Extract(Receipt(" CORNER MARKET\nReceipt: 5\nNo sale"));
  CHECK(out.outcome == ExtractOutcome::kUnmatched);
  CHECK(out.template_name == "corner-market");
  CHECK(out.problems.back() == "template 'corner-market' matched but no total was found");
}

TEST_CASE("bad field values are reported, not fatal") {
  PhoneNormalizer phones("US");
  const auto extractor = ShippedExtractor(phones);
  std::string text = kCornerSale;
  text.replace(text.find("(415) 555-0134"), 14, "12");
  text.replace(text.find("2026-03-14 15:09"), 16, "2026-13-99 99:99");
  const auto out = extractor.Extract(Receipt(text));
  REQUIRE(out.outcome == ExtractOutcome::kTransaction);
  CHECK(out.transaction.customer_phone.empty());
  CHECK(out.transaction.occurred_at == 1'700'000'000'000);  // falls back to print time
  REQUIRE(out.problems.size() == 2);
  CHECK(out.problems[0].rfind("phone 12 rejected: ", 0) == 0);
  CHECK(out.problems[1] == "datetime '2026-13-99 99:99' does not fit format '%Y-%m-%d %H:%M'");
}

TEST_CASE("ParseAmount handles printed amount styles") {
  CHECK(*ParseAmount("1,234.56", '.', 2) == 123456);
  CHECK(*ParseAmount("-3.50", '.', 2) == -350);
  CHECK(*ParseAmount("3.50-", '.', 2) == -350);
  CHECK(*ParseAmount("(3.50)", '.', 2) == -350);
  CHECK(*ParseAmount("$ 12", '.', 2) == 1200);
  CHECK(*ParseAmount("12.5", '.', 2) == 1250);
  CHECK(*ParseAmount("1.234,56 €", ',', 2) == 123456);
  CHECK(*ParseAmount("1500", '.', 0) == 1500);
  CHECK(*ParseAmount("1.500", ',', 0) == 1500);
  CHECK(*ParseAmount("0.125", '.', 3) == 125);
  CHECK(ParseAmount("", '.', 2).status().message() == "amount '' has no digits");
  CHECK(ParseAmount("1.2.3", '.', 2).status().message() ==
        "amount '1.2.3' has two decimal separators");
  CHECK(ParseAmount("1.234", '.', 2).status().message() ==
        "amount '1.234' has more than 2 decimals");
  CHECK(ParseAmount("12;5", '.', 2).status().message() == "amount '12;5' contains ';'");
  CHECK(ParseAmount("9999999999999999", '.', 2).status().message().find("too large") !=
        std::string::npos);
}

TEST_CASE("currencies and time zones are validated") {
  CHECK(*CurrencyMinorDigits("USD") == 2);
  CHECK(*CurrencyMinorDigits("JPY") == 0);
  CHECK(*CurrencyMinorDigits("KWD") == 3);
  CHECK_FALSE(CurrencyMinorDigits("usd").ok());
  PhoneNormalizer phones("US");
  auto templates = ParseReceiptTemplates("[template a]\nmatch = a\ntotal = (x)", "t");
  REQUIRE(templates.ok());
  ExtractorOptions options;
  options.time_zone = "Mars/Olympus";
  auto bad_zone = ReceiptExtractor::Create(*templates, options, phones);
  REQUIRE_FALSE(bad_zone.ok());
  CHECK(bad_zone.status().message().rfind("printer.time_zone: 'Mars/Olympus': no such zone", 0) ==
        0);
  options.time_zone = "UTC";
  options.currency = "EURO";
  CHECK_FALSE(ReceiptExtractor::Create(*templates, options, phones).ok());
  CHECK_FALSE(ReceiptExtractor::Create({}, ExtractorOptions{}, phones).ok());
}

TEST_CASE("printed times are read in the printer's zone, daylight saving included") {
  PhoneNormalizer phones("US");
  const auto sale_at = [&](const std::string& time_zone, const std::string& printed) {
    const auto extractor = ShippedExtractor(phones, time_zone);
    std::string text = kCornerSale;
    const auto at = text.find("2026-03-14 15:09");
    REQUIRE(at != std::string::npos);
    text.replace(at, printed.size(), printed);
    const auto out = extractor.Extract(Receipt(text));
    REQUIRE(out.outcome == ExtractOutcome::kTransaction);
    return FormatRfc3339(out.transaction.occurred_at);
  };
  // New York: winter EST (-5), summer EDT (-4); changes on 2026-03-08 and 2026-11-01.
  CHECK(sale_at("America/New_York", "2026-01-14 15:09") == "2026-01-14T20:09:00.000Z");
  CHECK(sale_at("America/New_York", "2026-03-14 15:09") == "2026-03-14T19:09:00.000Z");
  CHECK(sale_at("America/New_York", "2026-03-08 01:59") == "2026-03-08T06:59:00.000Z");
  // 02:30 does not exist that night: read with the winter offset (03:30 EDT).
  CHECK(sale_at("America/New_York", "2026-03-08 02:30") == "2026-03-08T07:30:00.000Z");
  CHECK(sale_at("America/New_York", "2026-03-08 03:00") == "2026-03-08T07:00:00.000Z");
  // 01:30 happens twice when clocks go back: the first (EDT) is taken.
  CHECK(sale_at("America/New_York", "2026-11-01 01:30") == "2026-11-01T05:30:00.000Z");
  CHECK(sale_at("America/New_York", "2026-11-01 02:30") == "2026-11-01T07:30:00.000Z");
  // Sydney's summer is New York's winter.
  CHECK(sale_at("Australia/Sydney", "2026-01-14 15:09") == "2026-01-14T04:09:00.000Z");
  CHECK(sale_at("Australia/Sydney", "2026-07-14 15:09") == "2026-07-14T05:09:00.000Z");
  CHECK(sale_at("+05:30", "2026-07-14 15:09") == "2026-07-14T09:39:00.000Z");
  CHECK(sale_at("UTC", "2026-07-14 15:09") == "2026-07-14T15:09:00.000Z");
  // local is this computer's zone, read the same way as pos.time_zone = local.
  auto local = TimeZone::Load("local", kDefaultZoneinfoDir);
  if (local.ok()) {
    const std::int64_t wall = *ParseRfc3339("2026-07-14T15:09:00Z") / 1000;
    CHECK(sale_at("local", "2026-07-14 15:09") == FormatRfc3339(local->LocalToUtc(wall) * 1000));
  }
}

TEST_CASE("JPY totals have no minor digits") {
  PhoneNormalizer phones("JP");
  auto templates = ParseReceiptTemplates("[template a]\nmatch = ^SHOP\ntotal = ^TOTAL (\\S+)", "t");
  REQUIRE(templates.ok());
  ExtractorOptions options;
  options.currency = "JPY";
  options.time_zone = "UTC";
  auto extractor = ReceiptExtractor::Create(*templates, options, phones);
  REQUIRE(extractor.ok());
  const auto out = extractor->Extract(Receipt("SHOP\nTOTAL 1,500"));
  CHECK(out.transaction.total_minor == 1500);
}

}  // namespace
}  // namespace tillbridge::drivers
