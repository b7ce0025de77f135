// Customer profiles: purchase statistics kept by TransactionLog::Ingest, and
// the loyalty, segment, engagement and customer fields that sync brings back
// from the cloud. Reads for the API's customer lookup; writes for sync.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "store/cloud_changes.h"

namespace tillbridge::store {

struct StoreCore;

// One engagement fact from the cloud (a click, a redemption, a message sent).
struct EngagementEvent {
  std::string change_id;  // the cloud's id; a repeat is ignored
  std::string phone;      // E.164
  std::string kind;       // "click", "redemption", "message_sent", ...
  std::string campaign;   // may be empty
  UnixMillis occurred_at = 0;
  std::string detail_json = "{}";  // a JSON object, stored as given
};

// What the cloud knows about a customer; unset fields are left unchanged.
struct CloudProfileUpdate {
  std::string phone;  // E.164
  std::optional<std::int64_t> loyalty_points;
  std::optional<std::string> loyalty_tier;
  std::optional<std::string> segments_json;      // a JSON array of strings
  std::optional<std::string> cloud_fields_json;  // a JSON object, replaces the old one
};

// Everything the store knows about one phone number.
struct CustomerProfile {
  std::string phone;
  bool has_contact = false;  // false when only consent or engagement is known
  UnixMillis first_seen_at = 0;
  std::int64_t purchase_count = 0;
  std::int64_t lifetime_value_minor = 0;
  std::string currency;  // of the last purchase; may be empty
  // Loyalty numbers given with this customer's purchases, most recent first.
  std::vector<std::string> loyalty_numbers;
  std::optional<UnixMillis> last_purchase_at;
  std::string last_store_id;
  std::optional<std::int64_t> loyalty_points;
  std::optional<std::string> loyalty_tier;
  std::string segments_json = "[]";                       // as stored
  std::string cloud_fields_json = "{}";                   // as stored
  std::map<std::string, std::int64_t> engagement_counts;  // kind -> count
  std::optional<UnixMillis> last_engagement_at;
  std::vector<EngagementEvent> recent_engagement;  // newest first, at most 10
  bool has_consent = false;                        // a consent_state row exists for the phone
  // Coupons issued to this phone that JudgeCoupon accepts at the store's
  // clock now, soonest to expire first (no end date last).
  std::vector<CloudCoupon> valid_coupons;
  // When the cloud's change feed last answered (sync_state
  // cloud.last_pull_at); nullopt when this store has never pulled.
  std::optional<UnixMillis> cloud_last_pull_at;
};

// Thread-safe (serialized through the store).
class Customers {
 public:
  explicit Customers(StoreCore& core) : core_(core) {}

  // The profile of `phone` (E.164), or nullopt when the store has never seen
  // it in a transaction, a consent change or an engagement fact. Coupons
  // issued to the phone without one of those do not make it known.
  Result<std::optional<CustomerProfile>> Find(const std::string& phone);

  // Applies cloud-side profile fields in one transaction, creating the
  // contact when it is new. InvalidArgument for a non-E.164 phone. Card
  // numbers in the tier, segments and fields are masked (store/card_guard.h).
  Status ApplyCloudProfile(const CloudProfileUpdate& update);

  // Stores one engagement fact, card numbers in its texts masked; false when
  // its change_id was already stored.
  Result<bool> AddEngagement(const EngagementEvent& event);

 private:
  StoreCore& core_;
};

}  // namespace tillbridge::store
