// The normalized records that sources hand to the store and that the store
// hands to sync. Money is integer minor units plus an ISO 4217 code; times
// are UTC milliseconds (RFC 3339 on the wire).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace tillbridge::store {

// What happened to a POS transaction; each maps to one event type.
enum class TransactionKind { kSale, kRefund, kVoid, kAbandoned };

// "transaction.completed", "transaction.refunded", "transaction.voided",
// "basket.abandoned".
std::string_view EventTypeFor(TransactionKind kind);
// "sale", "refund", "void", "abandoned"; ParseTransactionKind is the inverse.
std::string_view TransactionKindName(TransactionKind kind);
std::optional<TransactionKind> ParseTransactionKind(std::string_view name);

struct TransactionLine {
  std::string sku;
  std::string description;
  std::int64_t quantity_milli = 1000;  // 1.5 kg = 1500
  std::int64_t unit_price_minor = 0;
  std::int64_t total_minor = 0;
  // The POS's department or category of the item ("Televisions"), "" when
  // it has none; the cloud's follow-up rules can select items by it.
  std::string category;
};

struct Payment {
  std::string type;  // "cash", "card", "gift_card", ... as the POS names it
  std::int64_t amount_minor = 0;
};

// One POS transaction as read by a source. (source, pos_id, revision)
// identifies it; a record that changes on the POS side is read again with a
// higher revision.
struct Transaction {
  std::string source;  // source name from config, e.g. "pos" or "printer"
  std::string pos_id;  // the POS's own id for the sale
  std::int64_t revision = 1;
  TransactionKind kind = TransactionKind::kSale;
  UnixMillis occurred_at = 0;
  std::string currency = "USD";
  std::int64_t subtotal_minor = 0;
  std::int64_t tax_minor = 0;
  std::int64_t total_minor = 0;
  std::string cashier;
  std::string customer_phone;  // E.164, or empty when unknown
  std::vector<std::string> coupon_codes;
  std::vector<TransactionLine> lines;
  std::vector<Payment> payments;
  std::string receipt_text;  // masked receipt text (printer tap), may be empty
  // Gratuity, not part of total_minor (a tip is not revenue).
  std::int64_t tip_minor = 0;
  // Refunds: the POS id of the sale refunded, when the POS links them.
  std::string refund_of;
  // The customer's loyalty (member) number as the POS printed or stored it;
  // empty when none.
  std::string loyalty_number;
  // Sales: loyalty points the POS awarded for this sale, and the customer's
  // points balance after it, when the POS or receipt reports them.
  std::optional<std::int64_t> loyalty_points_earned;
  std::optional<std::int64_t> loyalty_balance;
  // Whether lines[].unit_price_minor / total_minor include tax (European
  // POS) or not (tax added at the bottom). subtotal_minor is always before
  // tax and total_minor always after it.
  bool line_prices_include_tax = false;
};

enum class ConsentPurpose { kTransactional, kMarketing };
enum class ConsentState { kNone, kPending, kOptedIn, kOptedOut };

std::string_view ConsentPurposeName(ConsentPurpose purpose);
std::optional<ConsentPurpose> ParseConsentPurpose(std::string_view name);
std::string_view ConsentStateName(ConsentState state);
std::optional<ConsentState> ParseConsentState(std::string_view name);

// An event waiting in the outbox for the cloud to acknowledge it.
struct OutboxEvent {
  std::int64_t seq = 0;
  std::string event_id;  // deterministic; the cloud's idempotency key
  std::string type;
  UnixMillis occurred_at = 0;
  std::string customer_key;  // E.164 phone or "" (ordering key)
  std::string payload_json;  // the whole event as JSON
  std::int64_t attempts = 0;
};

// Deterministic event id from (store id, source, POS-side id, event type,
// revision): 32 lower-case hex characters of SHA-256.
std::string MakeEventId(std::string_view store_id, std::string_view source, std::string_view pos_id,
                        std::string_view event_type, std::int64_t revision);

}  // namespace tillbridge::store
