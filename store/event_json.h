// Internal to store/: the JSON documents queued in the outbox.
#pragma once

#include <string>
#include <vector>

#include "store/consent_ledger.h"
#include "store/model.h"

namespace tillbridge::store {

struct EventEnvelope {
  std::string event_id;
  std::string type;
  UnixMillis occurred_at = 0;
  std::string store_id;
  std::string terminal_id;
  std::string source;
};

// The consent states of the customer when the event was recorded.
struct ConsentSnapshot {
  std::string transactional = "none";
  std::string marketing = "none";
};

std::string TransactionEventJson(const EventEnvelope& envelope, const Transaction& txn,
                                 const ConsentSnapshot& consent);
std::string ConsentEventJson(const EventEnvelope& envelope, const LedgerRow& row);
// coupon.redeemed for `code` on sale `txn`, whose own event is
// `sale_event_id`; `issued_by_cloud` says whether this store knows the code.
std::string CouponRedeemedEventJson(const EventEnvelope& envelope, const Transaction& txn,
                                    const std::string& code, const std::string& sale_event_id,
                                    bool issued_by_cloud);
// loyalty.accrued for sale `txn` (with a phone and points earned), whose own
// event is `sale_event_id`; `consent` as for the sale.
std::string LoyaltyAccruedEventJson(const EventEnvelope& envelope, const Transaction& txn,
                                    const std::string& sale_event_id,
                                    const ConsentSnapshot& consent);
// A JSON array of strings.
std::string JsonStringArray(const std::vector<std::string>& items);
std::string PaymentsJson(const std::vector<Payment>& payments);

}  // namespace tillbridge::store
