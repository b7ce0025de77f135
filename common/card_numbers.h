// Payment card numbers (PANs) in free text: the one rule that decides what
// is a card number, used by the store before anything is written, by the
// local API to refuse requests, by the printer tap and by the logs
// (ARCHITECTURE.md invariant 7; PCI DSS 3.3/3.4). docs/card-numbers.md
// states the rule with examples. Pure functions of their input; thread-safe.
//
// The rule, in short: digits (ASCII, full-width or another script's decimal
// digits) form a chain when they follow each other directly or are joined
// by a run of separators (spaces, dots, commas, dashes, slashes,
// underscores, their full-width and Unicode forms, invisible characters)
// holding at most one line break. A card number is a part of a chain that
// starts and ends where a group of digits starts and ends, has 13-19
// digits, starts with the issuer prefix of a card brand and has a length
// that brand issues, and passes the Luhn check. Two look-alikes are not
// card numbers: a 13-digit number that is also a valid EAN-13 barcode, and
// an international phone number (a chain of at most 15 digits right after
// a '+' or after 00, or up to 15 digits at the start of a longer chain
// right after a '+').
#pragma once

#include <string>
#include <string_view>

namespace tillbridge {

// True when `digits` (ASCII digits only, any length) passes the Luhn check.
// False for an empty string or any other character.
bool PassesLuhn(std::string_view digits);

// True when `digits` (ASCII digits only) has a valid GS1 check digit as an
// EAN-13 barcode: exactly 13 digits, weights 1 and 3 from the left.
bool IsEan13(std::string_view digits);

// The brand whose issuer prefix and issued lengths fit `digits` (ASCII
// digits only), e.g. "Visa", "Mastercard", "American Express"; empty when
// none fits. Ignores the Luhn check.
std::string_view CardBrand(std::string_view digits);

// True when `digits` (ASCII digits only) standing alone is a card number:
// 13-19 digits, a brand's prefix and length, passes Luhn, and is not a
// 13-digit number that is also a valid EAN-13.
bool IsCardNumber(std::string_view digits);

// True when `text` (UTF-8; invalid bytes are treated as letters) holds a
// card number by the rule above, i.e. when MaskCardNumbers would change it.
bool ContainsCardNumber(std::string_view text);

// `text` with every card number masked: the first six digits (the BIN) and
// the last four stay, every digit between becomes '*', and separators,
// line breaks and the digits' own forms (full-width stays full-width) keep
// their places: "4111 1111 1111 1111" -> "4111 11** **** 1111". Masking
// repeats until nothing that is left visible forms a card number, so the
// result never holds one and masking it again changes nothing. Runs in time
// linear in the size of `text`. `masked_count`, when given, receives the
// number of card numbers masked.
std::string MaskCardNumbers(std::string_view text, int* masked_count = nullptr);

}  // namespace tillbridge
