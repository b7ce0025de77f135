// Closed-loop SMS attribution: which message the cloud sent is credited
// with a sale. Decided inside the write that stores the sale (or the
// message, when it arrives late), kept with the window used, and reversed
// for good when the sale is voided or refunded in full (a refund of part of
// it takes back that part only), so the ROI report
// (store/roi_report.h) reads stored facts and gives the same answer twice.
//
// The rules, for a sale:
//   coupon      the sale redeemed a coupon code that a message carried, sent
//               at or before the sale (the latest such message), whether or
//               not the sale names the customer's phone;
//   last_touch  otherwise, for a sale with the customer's phone, the latest
//               attributable message to that phone sent in
//               (sale - window, sale].
// A coupon attribution beats a last-touch one; a newer message within the
// window beats an older last touch; a reversed attribution never changes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "store/model.h"

namespace tillbridge::store {

struct StoreCore;
class Database;

// One sale's attribution as stored.
struct Attribution {
  std::string source;
  std::string pos_id;  // of the sale
  std::string phone;  // the sale's; "" for a coupon taken without one
  std::string basis;              // "coupon" or "last_touch"
  std::string message_change_id;  // the engagement row of the message
  std::string message_id;         // the cloud's message id, "" when it gave none
  std::string campaign;
  std::string rule;
  UnixMillis message_at = 0;
  std::string coupon_code;       // upper case, for basis "coupon"; "" otherwise
  UnixMillis sale_at = 0;        // of the sale's latest revision
  std::int64_t window_days = 0;  // the window in force when it was decided
  UnixMillis attributed_at = 0;  // store clock
  // Money given back so far by refunds that name the sale, when they gave
  // back less than its total: the credit stands, net of it.
  std::int64_t refunded_minor = 0;
  // Set when the sale was voided, or refunds gave back its whole total.
  std::optional<UnixMillis> reversed_at;
  std::string reversed_by;  // POS id of the refund (the latest one) or void
  std::string reversal;     // "refund" or "void"
};

// Reads attributions. Thread-safe (serialized through the store).
class Attributions {
 public:
  explicit Attributions(StoreCore& core) : core_(core) {}

  // The attribution stored for the sale (source, pos_id), or nullopt when
  // no message is credited with it.
  Result<std::optional<Attribution>> ForSale(std::string_view source, std::string_view pos_id);

 private:
  StoreCore& core_;
};

// Internal to store/: applies the rules inside a write transaction the
// caller holds open (with the store mutex), so an attribution commits or
// rolls back with the sale or message that caused it.
class Attributor {
 public:
  // Prepares its statements on `db`. `now` stamps attributed_at.
  static Result<std::unique_ptr<Attributor>> Prepare(Database& db, std::int64_t window_days,
                                                     UnixMillis now);
  ~Attributor();
  Attributor(const Attributor&) = delete;
  Attributor& operator=(const Attributor&) = delete;

  // After `record` (already stored, with its coupon redemptions) is
  // written: attributes a new sale, or reverses the sale a refund or void
  // names. A sale already attributed keeps its message; only its sale_at
  // moves to the new revision's time.
  Status OnTransaction(std::string_view source, const Transaction& record);
  // Whether OnTransaction has anything to do for `record`; the ingest
  // prepares an Attributor only for a batch with such a record.
  static bool Concerns(const Transaction& record);

  // After an engagement row is stored: when it is a message_sent, records
  // it in sms_messages and credits it with the sales it wins (ones that
  // reached the store before it did).
  Status OnEngagementStored(std::string_view change_id);

 private:
  struct Statements;
  explicit Attributor(std::unique_ptr<Statements> statements, std::int64_t window_days,
                      UnixMillis now);
  struct Sale;
  struct Choice;
  Result<std::optional<Choice>> Choose(const Sale& sale);
  Status Settle(const Sale& sale, bool keep_existing);
  Status Reverse(std::string_view source, std::string_view sale_pos_id, UnixMillis at,
                 std::string_view by, std::string_view reversal);
  // Sums the refunds that name the sale: the attribution is reversed once
  // they gave back the sale's total, else it keeps the sum in
  // refunded_minor.
  Status ApplyRefunds(std::string_view source, std::string_view sale_pos_id);

  std::unique_ptr<Statements> statements_;
  std::int64_t window_days_;
  UnixMillis now_;
};

}  // namespace tillbridge::store
