// The store's card-number guard (ARCHITECTURE.md invariant 7): every
// repository that writes text handed in by a source, the local API or the
// cloud passes it through here first, so no table of the store (nor the
// outbox payloads built from them) ever holds a card number. The guard
// masks and never refuses: a record that could not be stored would stall
// its source, and the sale itself is real. What counts as a card number,
// and how it is masked, is common/card_numbers.h.
#pragma once

#include <string>
#include <string_view>

#include "store/model.h"

namespace tillbridge::store {

// Masks card numbers in every text field of `txn` (pos_id, cashier,
// customer_phone, coupon codes, line SKUs and descriptions, payment types,
// receipt_text, refund_of, currency); returns how many were masked. Masking is
// deterministic, so a masked pos_id still identifies its record across
// revisions and re-reads.
int MaskCardNumbersIn(Transaction& txn);

// `json` with card numbers masked in each string and each number on its
// own; a number that holds a card number becomes a string of its masked
// digits, so valid JSON stays valid JSON of the same shape. Escaped digits
// (\u0034) are seen as digits. Text that is not JSON is masked as plain
// text.
std::string MaskCardNumbersInJson(std::string_view json);

}  // namespace tillbridge::store
