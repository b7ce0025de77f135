// What the reference cloud does with what it receives: the message rules
// of its rules file (receipts, coupons, abandoned-basket nudges, loyalty
// texts, post-purchase follow-ups, re-engagement; rules.h), the built-in
// service messages (keyword replies, double opt-in requests), the sending
// numbers each message may use, and the change feed entries that tell the
// agents about them. docs/messages.md describes the behaviour.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "tools/refcloud/cloud_db.h"
#include "tools/refcloud/event_parser.h"
#include "tools/refcloud/rules.h"

namespace tillbridge::refcloud {

// Holds the brand name, the coupon UPC number system and the current rule
// set (replaceable at any time, from any thread); every other call runs
// inside the caller's CloudDb transaction. Readable lines about what
// happened go to `log`.
class CloudRules {
 public:
  // `coupon_upc_prefix` is the GS1 number-system digit ('0'-'9') that starts
  // the UPC-A printed on every coupon (5 is the one GS1 keeps for coupons).
  CloudRules(std::string brand, char coupon_upc_prefix, RuleSet rules)
      : brand_(std::move(brand)),
        coupon_upc_prefix_(coupon_upc_prefix),
        rules_(std::make_shared<const RuleSet>(std::move(rules))) {}

  // The rules in force; a call already running keeps the set it started with.
  std::shared_ptr<const RuleSet> rule_set() const;
  void SetRuleSet(RuleSet rules);

  // What one RunDue call did.
  struct DueResult {
    std::int64_t sent = 0;       // follow-ups and re-engagement messages sent
    std::int64_t cancelled = 0;  // follow-ups whose customer opted out or whose rule went
    std::int64_t refused = 0;    // no number registered for the purpose
  };
  // Sends the follow-ups due at txn.now() (re-checking consent first) and
  // re-engages customers lapsed by then, once per lapse.
  Result<DueResult> RunDue(CloudTxn& txn, std::vector<std::string>* log) const;

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
  // One message about to go out.
  struct Outgoing {
    std::string phone;
    std::string kind;  // rule id or built-in kind
    std::string rule;
    std::string campaign;
    std::string purpose;
    std::string number;  // the rule's number, or "" for the first one registered
    std::string body;
    std::string cause;
    std::string store_id;
    std::string coupon_code;
    bool attributable = false;
  };
  // Sends `message` on a number registered for its purpose, or records it
  // as refused. The stored message; status says which.
  Result<MessageRecord> Send(CloudTxn& txn, const RuleSet& rules, const Outgoing& message,
                             std::vector<std::string>* log) const;
  // Sends a rule's message, issuing its coupon (if any) when it went out.
  // `values` fill the template; `currency` is the coupon's for amounts off;
  // `coupon_code`, when not empty, is the code to issue.
  Result<MessageRecord> SendRule(CloudTxn& txn, const RuleSet& rules, const Rule& rule,
                                 const std::string& phone, const std::string& cause,
                                 const std::string& store_id, const std::string& currency,
                                 std::vector<std::pair<std::string, std::string>> values,
                                 std::vector<std::string>* log,
                                 const std::string& coupon_code = "") const;
  // A built-in service message (keyword reply, double opt-in request):
  // transactional, not attributable, campaign "cmp_service_<kind>".
  Result<MessageRecord> SendService(CloudTxn& txn, const std::string& phone,
                                    const std::string& kind, const std::string& body,
                                    const std::string& cause, std::vector<std::string>* log) const;
  Status OnSale(CloudTxn& txn, const RuleSet& rules, const ValidEvent& event,
                std::vector<std::string>* log) const;
  // Keeps a follow-up for each high_ticket_sale rule a line of the sale
  // qualifies for, when the sale allowed the rule's purpose.
  Status ScheduleFollowUps(CloudTxn& txn, const RuleSet& rules, const ValidEvent& event,
                           const Contact& contact, std::vector<std::string>* log) const;
  Status RunFollowUp(CloudTxn& txn, const RuleSet& rules, const FollowUp& follow_up,
                     DueResult* result, std::vector<std::string>* log) const;
  Status Reengage(CloudTxn& txn, const RuleSet& rules, DueResult* result,
                  std::vector<std::string>* log) const;
  // loyalty.accrued: sets the customer's balance (the POS's, when given),
  // feeds it back as loyalty.updated, and texts a tier upgrade or the new
  // balance to marketing opt-ins only.
  Status OnLoyaltyAccrued(CloudTxn& txn, const RuleSet& rules, const ValidEvent& event,
                          std::vector<std::string>* log) const;
  Status OnConsentEvent(CloudTxn& txn, const ValidEvent& event, const std::string& agent_id,
                        std::vector<std::string>* log) const;

  std::string brand_;
  char coupon_upc_prefix_;
  mutable std::mutex rules_mutex_;
  std::shared_ptr<const RuleSet> rules_;  // guarded by rules_mutex_
};

// Whether a message for `purpose` may go to `contact` now: never after an
// opt-out the cloud holds; otherwise when the cloud holds an opt-in or
// `state_at_event` (what the causing event said) is one.
bool MayText(const Contact& contact, const std::string& purpose, const std::string& state_at_event);

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
