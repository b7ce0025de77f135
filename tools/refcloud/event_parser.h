// Reading and checking pushed event documents (docs/sync-api.md, "Event
// document"). Each event is accepted or rejected on its own, with a reason
// that names the field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace tillbridge::refcloud {

inline constexpr std::size_t kMaxEventBytes = 256 * 1024;

// Why one event was refused.
struct Rejection {
  std::string code;   // invalid_field, unknown_type, too_large, store_mismatch
  std::string field;  // "payload.currency"; empty when not about one field
  std::string message;
};

// One line of a sale, as far as the follow-up rules need it. Read
// leniently: a field of the wrong type is left empty rather than refusing
// the sale.
struct SaleLine {
  std::string sku;
  std::string description;
  std::string category;  // only when the POS sends one
  std::int64_t unit_price_minor = 0;
};

// The parts of a valid event the cloud's rules use.
struct ValidEvent {
  std::string id;
  std::string type;
  UnixMillis occurred_at = 0;
  std::string store_id;
  std::string terminal_id;
  std::string source;
  std::string phone;  // the customer's (transactions) or the consent's phone; may be empty
  std::string pos_id;
  std::string currency;
  std::int64_t total_minor = 0;
  std::string consent_transactional = "none";  // transactions: state when it happened
  std::string consent_marketing = "none";
  std::string consent_purpose;  // consent.changed
  std::string consent_state;
  std::string consent_method;
  std::string coupon_code;                      // coupon.redeemed
  std::int64_t loyalty_points = 0;              // loyalty.accrued: points earned on the sale
  std::optional<std::int64_t> loyalty_balance;  // and the POS's balance after it, when known
  // transaction.*: the POS runs its own loyalty scheme for this sale (it
  // reported points), so the cloud's own points rule stays out of it.
  bool pos_keeps_loyalty = false;
  std::vector<SaleLine> lines;            // transaction.*
  std::vector<std::string> coupon_codes;  // transaction.*: codes redeemed on the sale
  std::string refund_of;                  // transaction.refunded: pos_id of the sale returned
  std::string transaction_pos_id;         // coupon.redeemed: the sale it was redeemed on
  std::string document;                   // the event as received (re-serialized)
};

// One entry of a pushed batch: valid, or rejected with a reason.
struct BatchItem {
  std::string id;  // as sent, or "" when missing
  std::optional<ValidEvent> event;
  Rejection rejection;
};

// Parses {"events": [...]} and checks every event against `store_id`.
// InvalidArgument when the body itself is unusable (not JSON, no events
// array); single bad events only become rejected items.
Result<std::vector<BatchItem>> ParseEventBatch(std::string_view body, const std::string& store_id);

// Parses one event document (a webhook delivery) without a store check.
BatchItem ParseSingleEvent(std::string_view body);

// True for "+" followed by 8 to 15 digits, the first not 0.
bool IsE164(std::string_view phone);

}  // namespace tillbridge::refcloud
