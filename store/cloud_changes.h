// What the cloud sends back (consent replies, coupons, engagement, loyalty,
// segments, customer fields), applied to the store one page at a time
// together with the pull cursor that follows the page.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"
#include "store/model.h"

namespace tillbridge::store {

struct StoreCore;
class ConsentLedger;

// The sync_state key that holds the opaque pull cursor.
inline constexpr std::string_view kPullCursorKey = "cloud.pull_cursor";

// A consent change learned by the cloud: an SMS keyword (STOP, START, YES),
// a double opt-in confirmation, or a change captured at another terminal.
struct CloudConsentChange {
  std::vector<ConsentPurpose> purposes;          // at least one
  ConsentState state = ConsentState::kOptedOut;  // pending, opted_in or opted_out
  std::string method;  // sms_keyword, double_opt_in_confirmation, cloud, ...
  std::string actor = "cloud";
  std::string keyword;      // the SMS text that caused it, when any
  bool is_explicit = true;  // false for bulk cloud data: never lifts an opt-out
};

// A coupon issued by the cloud, so the register can validate it offline.
struct CloudCoupon {
  std::string code;
  std::string description;
  std::optional<std::int64_t> discount_minor;
  std::optional<std::int64_t> discount_percent;
  std::string currency;  // with discount_minor
  std::optional<UnixMillis> valid_from;
  std::optional<UnixMillis> valid_until;
  std::int64_t max_redemptions = 1;
  std::int64_t redeemed_count = 0;
  // The barcode number printed with the coupon: a UPC-A or EAN-13, kept in
  // its 13-digit EAN-13 form (common/coupon_scan.h); empty when none. One
  // with a wrong check digit is not stored; the coupon still is.
  std::string upc;
};

// Whether a coupon can be taken at the counter now.
enum class CouponVerdict { kValid, kNotYetValid, kExpired, kUsedUp };
// "valid", "not_yet_valid", "expired", "used_up".
std::string_view CouponVerdictName(CouponVerdict verdict);
// Judges `coupon` at `now`: valid from valid_from (inclusive) until
// valid_until (exclusive), while redemptions are left.
CouponVerdict JudgeCoupon(const CloudCoupon& coupon, UnixMillis now);

// A message sent, a link clicked, a coupon redeemed, an inbound SMS.
struct CloudEngagement {
  std::string kind;  // message_sent, click, redemption, inbound_help, ...
  std::string campaign;
  std::string detail_json = "{}";  // a JSON object with the rest
};

// Absolute loyalty values (not deltas), so applying them again is harmless.
struct CloudLoyalty {
  std::optional<std::int64_t> points;
  std::optional<std::string> tier;
};

// The customer's full segment list (e.g. ["vip"]), replacing the old one.
struct CloudSegments {
  std::vector<std::string> segments;
};

// The cloud-maintained customer fields as one JSON object, replacing the old
// one: {"lifetime_value_minor": 12345, "preferred_location": "store-1"}.
struct CloudCustomerFields {
  std::string fields_json = "{}";
};

// The typed data of one change.
using CloudChangeData = std::variant<CloudConsentChange, CloudCoupon, CloudEngagement, CloudLoyalty,
                                     CloudSegments, CloudCustomerFields>;

// One entry of the change feed.
struct CloudChange {
  std::string change_id;  // unique per cloud; engagement rows keep it
  UnixMillis occurred_at = 0;
  std::string phone;  // E.164; may be empty only for coupons not tied to a customer
  CloudChangeData data;
};

// What applying a page did.
struct ApplyReport {
  std::int64_t applied = 0;    // changes that changed local state
  std::int64_t unchanged = 0;  // already known (a replay, or consent rules kept the state)
  std::int64_t skipped = 0;    // invalid entries, left out with a reason
  std::vector<std::string> skip_reasons;  // "chg_12: phone 'abc' is not E.164"
  // Phones whose consent state changed.
  std::vector<std::string> consent_changed;
};

// Thread-safe (serialized through the store).
class CloudChanges {
 public:
  CloudChanges(StoreCore& core, ConsentLedger& consents) : core_(core), consents_(consents) {}

  // In one SQLite transaction: applies every change of the page in order and
  // stores `next_cursor` under kPullCursorKey. Consent changes go through the
  // ConsentLedger rules (opt-out wins) and queue no outbox event. An invalid
  // entry is skipped and reported, never fatal, so one bad change cannot
  // stall the feed. When `expected_cursor` is given and the stored cursor
  // differs, nothing is written (FailedPrecondition): another puller moved on.
  // Text the cloud sends (coupon codes and descriptions, engagement, loyalty
  // tiers, segments, customer fields, SMS keywords) is stored with card
  // numbers masked (store/card_guard.h).
  Result<ApplyReport> ApplyPage(const std::vector<CloudChange>& changes,
                                std::string_view next_cursor,
                                const std::optional<std::string>& expected_cursor = std::nullopt);

  // The stored pull cursor, or nullopt before the first page.
  Result<std::optional<std::string>> Cursor();

  // A coupon as stored, found by its code in any letter case (the cashier
  // may type it); nullopt when unknown. `code` comes back as issued (card
  // numbers masked, like ApplyPage stores it).
  Result<std::optional<CloudCoupon>> Coupon(const std::string& code);

  // A coupon as stored, found by its barcode number: a UPC-A or EAN-13
  // (12 or 13 digits with a valid check digit; the UPC-A and the EAN-13
  // with a leading 0 find the same coupon). nullopt when unknown or when
  // `upc` is not such a number. When two coupons carry the number, the
  // one updated last.
  Result<std::optional<CloudCoupon>> CouponByUpc(const std::string& upc);

 private:
  StoreCore& core_;
  ConsentLedger& consents_;
};

}  // namespace tillbridge::store
