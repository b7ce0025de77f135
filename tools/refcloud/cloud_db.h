// The reference cloud's SQLite database: registered agents, every event
// received (with how often), the effects and SMS messages they caused, the
// change feed, and the cloud's view of each contact.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

struct sqlite3;

namespace tillbridge::refcloud {

struct AgentRecord {
  std::string agent_id;
  std::string store_id;
  std::string terminal_id;
  std::string agent_version;
  std::string platform;
  UnixMillis registered_at = 0;
  UnixMillis last_seen_at = 0;
};

// The cloud's view of one phone number.
struct Contact {
  std::string phone;
  std::string transactional = "none";  // none | pending | opted_in | opted_out
  std::string marketing = "none";
  UnixMillis transactional_at = 0;
  UnixMillis marketing_at = 0;
  std::int64_t orders = 0;
  std::int64_t lifetime_value_minor = 0;
  std::int64_t points = 0;
  std::string tier = "bronze";
  std::string segments_json = "[]";
  std::string last_store;
  UnixMillis last_purchase_at = 0;  // occurred_at of the latest sale; 0: none yet
  // The consent states the latest sale carried (the agent's view then).
  std::string sale_transactional = "none";
  std::string sale_marketing = "none";
};

// An event as received, for the admin API.
struct EventRecord {
  std::int64_t seq = 0;  // order of first receipt
  std::string id;
  std::string type;
  std::string store_id;
  std::string agent_id;
  std::string customer;
  std::string pos_id;
  UnixMillis occurred_at = 0;
  UnixMillis first_received_at = 0;
  std::int64_t seen_count = 0;
  std::string payload;  // only filled by FindEvent
};

// One message the cloud sent, or refused to send (status "refused" with
// the reason: no number registered for its purpose).
struct MessageRecord {
  std::int64_t seq = 0;
  std::string phone;
  std::string kind;  // the rule id, or a built-in kind (keyword_reply, ...)
  std::string body;
  std::string cause;  // event id, "sms:<time>", "lapse:<...>" or "follow_up:<seq>"
  UnixMillis created_at = 0;
  std::string campaign;
  std::string rule;
  std::string purpose;  // transactional | marketing
  std::string number;   // the sending number ("" when refused for want of one)
  std::string number_type;
  std::string store_id;  // of the sale that caused it, when known
  std::string coupon_code;
  bool attributable = false;    // may a later sale be credited to it
  std::string status = "sent";  // sent | refused
  std::string reason;           // why refused
};

// A message due later (a post-purchase follow-up), kept until it is sent,
// cancelled or refused.
struct FollowUp {
  std::int64_t seq = 0;
  std::string rule;
  std::string sale_key;  // "<store_id>/<pos_id>": once per rule and sale
  std::string cause;     // the sale's event id
  std::string phone;
  std::string store_id;
  UnixMillis due_at = 0;
  std::string consent_at_sale;  // the rule's purpose's state the sale carried
  std::string item;             // placeholders: the qualifying line, the sale
  std::string sku;
  std::string pos_id;
  std::string total;
  std::string status = "pending";  // pending | sent | cancelled | refused
  std::string reason;
  UnixMillis created_at = 0;
  UnixMillis done_at = 0;
};

struct ChangeRecord {
  std::int64_t seq = 0;
  std::string type;
  std::string phone;
  UnixMillis occurred_at = 0;
  std::string data_json;
  std::string origin_agent;
};

struct CloudStats {
  std::int64_t agents = 0;
  std::int64_t events_distinct = 0;
  std::int64_t events_received = 0;  // including repeats
  std::int64_t events_max_seen = 0;
  std::int64_t effects = 0;
  std::int64_t effects_repeated = 0;  // (event, kind) pairs applied more than once
  std::int64_t messages = 0;          // sent
  std::int64_t messages_refused = 0;
  std::int64_t follow_ups_pending = 0;
  std::int64_t changes = 0;
  std::int64_t hook_distinct = 0;
  std::int64_t hook_received = 0;
};

// Writes made inside one CloudDb::Write call (one SQLite transaction).
class CloudTxn {
 public:
  virtual ~CloudTxn() = default;
  virtual UnixMillis now() const = 0;
  // The stored contact, or a fresh one (state "none") when unknown.
  virtual Result<Contact> GetContact(const std::string& phone) = 0;
  virtual Status PutContact(const Contact& contact) = 0;
  // Stores `message` (its seq and created_at are set here: now); returns its
  // sequence number.
  virtual Result<std::int64_t> AddMessage(const MessageRecord& message) = 0;
  // Appends to the change feed; returns the change's sequence number.
  virtual Result<std::int64_t> AddChange(const std::string& type, const std::string& phone,
                                         UnixMillis occurred_at, const std::string& data_json,
                                         const std::string& origin_agent) = 0;
  // Records that `event_id` caused an effect of `kind` (for the at-most-once check).
  virtual Status AddEffect(const std::string& event_id, const std::string& kind) = 0;
  // Whether an effect (event_id, kind) was recorded.
  virtual Result<bool> HasEffect(const std::string& event_id, const std::string& kind) = 0;

  // Keeps `follow_up` unless one for the same rule and sale exists; true
  // when kept.
  virtual Result<bool> ScheduleFollowUp(const FollowUp& follow_up) = 0;
  // Pending follow-ups due at or before `now`, oldest due first.
  virtual Result<std::vector<FollowUp>> DueFollowUps(UnixMillis now) = 0;
  // Marks a follow-up sent, cancelled or refused, at now().
  virtual Status FinishFollowUp(std::int64_t seq, const std::string& status,
                                const std::string& reason) = 0;
  // Contacts whose latest sale happened at or before `purchased_before`.
  virtual Result<std::vector<Contact>> LapsedContacts(UnixMillis purchased_before) = 0;
};

// Thread-safe: one connection behind a mutex.
class CloudDb {
 public:
  static Result<std::unique_ptr<CloudDb>> Open(const std::string& path, const Clock& clock);
  ~CloudDb();
  CloudDb(const CloudDb&) = delete;
  CloudDb& operator=(const CloudDb&) = delete;

  Result<AgentRecord> RegisterAgent(const AgentRecord& agent);
  Result<std::optional<AgentRecord>> FindAgent(const std::string& agent_id);

  // The rule set last put through PUT /admin/rules (its JSON), kept so a
  // restart keeps it; nullopt when none was.
  Status SaveRules(const std::string& json);
  Result<std::optional<std::string>> SavedRules();
  Result<std::vector<AgentRecord>> Agents();

  // A parsed event ready to store.
  struct IncomingEvent {
    std::string id;
    std::string type;
    std::string store_id;
    std::string customer;
    std::string pos_id;
    UnixMillis occurred_at = 0;
    std::string payload;
  };
  // In one transaction: stores each event not seen before and calls
  // `on_new` for it (its effects go in the same transaction); counts a
  // repeat for known ids. Returns, per event, true when it was new.
  Result<std::vector<bool>> RecordEvents(
      const std::string& agent_id, const std::vector<IncomingEvent>& events,
      const std::function<Status(CloudTxn&, const IncomingEvent&)>& on_new);

  // Same for webhook deliveries (kept apart from pushed events).
  Result<bool> RecordHookDelivery(const std::string& hook, const IncomingEvent& event);

  // Runs `write` in one transaction; wakes long polls when it added changes.
  Status Write(const std::function<Status(CloudTxn&)>& write);
  // Same, with the transaction's now() set to `now` (moving time on in
  // tests and the demo: POST /admin/run-due).
  Status WriteAt(UnixMillis now, const std::function<Status(CloudTxn&)>& write);

  // Changes after `after_seq` not originating from `agent_id`, at most
  // `limit`; `*scanned_to` is the cursor position after the page (past
  // skipped changes of the agent itself).
  Result<std::vector<ChangeRecord>> ChangesFor(const std::string& agent_id, std::int64_t after_seq,
                                               std::size_t limit, std::int64_t* scanned_to,
                                               bool* more);
  std::int64_t LastChangeSeq() const;
  // Random id of this database, fixed at creation; part of every cursor.
  const std::string& epoch() const { return epoch_; }
  // Blocks until a change after `after_seq` exists, `deadline` passes or
  // Shutdown; true when there may be something new.
  bool WaitForChanges(std::int64_t after_seq, std::chrono::steady_clock::time_point deadline);
  void Shutdown();

  Result<CloudStats> Stats();
  Result<std::vector<EventRecord>> Events(std::int64_t after_seq, std::size_t limit,
                                          const std::string& customer);
  Result<std::optional<EventRecord>> FindEvent(const std::string& id);
  // Messages after `after_seq`; `phone` and `status` ("" for all) filter.
  Result<std::vector<MessageRecord>> Messages(std::int64_t after_seq, std::size_t limit,
                                              const std::string& phone,
                                              const std::string& status = "");
  // Follow-ups in order of scheduling, whatever their status.
  Result<std::vector<FollowUp>> FollowUps(std::int64_t after_seq, std::size_t limit);
  // Every event of the given types, with its document, in order of receipt
  // (for the chain report).
  Result<std::vector<EventRecord>> EventsOfTypes(const std::vector<std::string>& types);
  Result<std::vector<ChangeRecord>> AllChanges(std::int64_t after_seq, std::size_t limit);
  Result<std::optional<Contact>> FindContact(const std::string& phone);
  Result<std::vector<EventRecord>> HookDeliveries(std::int64_t after_seq, std::size_t limit);

 private:
  CloudDb(sqlite3* db, const Clock& clock);
  // Call with mutex_ held after a commit that appended changes.
  void NoteNewChangesLocked();
  class Txn;

  sqlite3* db_;
  const Clock& clock_;
  std::string epoch_;
  mutable std::mutex mutex_;
  std::condition_variable changes_cv_;
  std::int64_t last_change_seq_ = 0;  // guarded by mutex_
  bool shutdown_ = false;             // guarded by mutex_
};

}  // namespace tillbridge::refcloud
