// What the reference cloud does with what it receives: the simple SMS
// rules (receipts, coupons, abandoned-basket nudges, double opt-in
// confirmations), keyword replies, and the change feed entries that tell
// the agents about them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "tools/refcloud/cloud_db.h"
#include "tools/refcloud/event_parser.h"

namespace tillbridge::refcloud {

// Stateless apart from the brand name and the coupon UPC number system;
// every call runs inside the caller's CloudDb transaction. Readable lines
// about what happened go to `log`.
class CloudRules {
 public:
  // `coupon_upc_prefix` is the GS1 number-system digit ('0'-'9') that starts
  // the UPC-A printed on every coupon (5 is the one GS1 keeps for coupons).
  explicit CloudRules(std::string brand, char coupon_upc_prefix = '5')
      : brand_(std::move(brand)), coupon_upc_prefix_(coupon_upc_prefix) {}

  // Effects of an event received for the first time from `agent_id`.
  Status OnEvent(CloudTxn& txn, const ValidEvent& event, const std::string& agent_id,
                 std::vector<std::string>* log) const;

  struct InboundResult {
    std::string keyword;                // STOP, START, YES, HELP, or "" for other text
    std::vector<std::int64_t> changes;  // change feed entries added
    std::string reply;                  // the SMS sent back, or ""
  };
  // An SMS from `phone` (E.164) to the store's number.
  Result<InboundResult> OnInboundSms(CloudTxn& txn, const std::string& phone,
                                     const std::string& text, std::vector<std::string>* log) const;

  // A tracked link in a message was clicked; returns the change's number.
  Result<std::int64_t> OnClick(CloudTxn& txn, const std::string& phone, const std::string& url,
                               const std::string& campaign, std::vector<std::string>* log) const;

 private:
  Result<std::int64_t> Send(CloudTxn& txn, const std::string& phone, const std::string& kind,
                            const std::string& body, const std::string& cause,
                            std::vector<std::string>* log) const;
  Status OnSale(CloudTxn& txn, const ValidEvent& event, std::vector<std::string>* log) const;
  // loyalty.accrued: sets the customer's balance (the POS's, when given),
  // feeds it back as loyalty.updated, and texts a tier upgrade or the new
  // balance to marketing opt-ins only.
  Status OnLoyaltyAccrued(CloudTxn& txn, const ValidEvent& event,
                          std::vector<std::string>* log) const;
  Status OnConsentEvent(CloudTxn& txn, const ValidEvent& event, const std::string& agent_id,
                        std::vector<std::string>* log) const;

  std::string brand_;
  char coupon_upc_prefix_;
};

// The 12-digit UPC-A of the coupon `code`: `prefix` (a digit), ten digits
// derived from the code and the GS1 check digit. Codes of the form
// "TB" + 8 hex digits (the ones OnSale issues) map one to one onto the ten
// digits, so distinct codes get distinct numbers; other codes are hashed.
std::string CouponUpc(char prefix, const std::string& code);

// The keyword an inbound text is, by the carriers' rules: STOP, STOPALL,
// UNSUBSCRIBE, CANCEL, END, QUIT -> "STOP"; START, UNSTOP -> "START";
// YES -> "YES"; HELP -> "HELP"; anything else "". Case and surrounding
// spaces are ignored; the keyword must be the whole message.
std::string KeywordOf(const std::string& text);

}  // namespace tillbridge::refcloud
