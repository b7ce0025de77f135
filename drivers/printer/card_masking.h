// Masking of payment card numbers in receipt text. Applied to every decoded
// receipt before its text, or anything extracted from it, is stored or sent.
#pragma once

#include <string>
#include <string_view>

namespace tillbridge::drivers {

// True when `digits` (ASCII digits only) passes the Luhn check.
bool PassesLuhn(std::string_view digits);

// Replaces with '*' every digit of each 13-19 digit sequence that passes the
// Luhn check, except its last four. Digits may be separated by single spaces
// or dashes ("4111 1111-1111 1111"). Within a longer run the number must
// start and end at a separator, so "Qty 2 4111 1111 1111 1111" is masked
// while a 20-digit reference printed in one piece is left alone.
// `masked_count`, when given, receives the number of card numbers masked.
std::string MaskCardNumbers(std::string_view text, int* masked_count = nullptr);

}  // namespace tillbridge::drivers
