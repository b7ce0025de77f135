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

// Stateless apart from the brand name; every call runs inside the caller's
// CloudDb transaction. Readable lines about what happened go to `log`.
class CloudRules {
 public:
  explicit CloudRules(std::string brand) : brand_(std::move(brand)) {}

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
  Status OnConsentEvent(CloudTxn& txn, const ValidEvent& event, const std::string& agent_id,
                        std::vector<std::string>* log) const;

  std::string brand_;
};

// The keyword an inbound text is, by the carriers' rules: STOP, STOPALL,
// UNSUBSCRIBE, CANCEL, END, QUIT -> "STOP"; START, UNSTOP -> "START";
// YES -> "YES"; HELP -> "HELP"; anything else "". Case and surrounding
// spaces are ignored; the keyword must be the whole message.
std::string KeywordOf(const std::string& text);

}  // namespace tillbridge::refcloud
