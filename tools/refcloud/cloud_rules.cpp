#include "tools/refcloud/cloud_rules.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>

#include "common/coupon_scan.h"
#include "common/digest.h"
#include "common/phone.h"
#include "common/text.h"

namespace tillbridge::refcloud {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr std::int64_t kVipLifetimeMinor = 50'000;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kDayMs = 24 * kHourMs;

std::string Json(const Object::Ptr& object) {
  std::ostringstream out;
  object->stringify(out);
  return out.str();
}

Object::Ptr NewObject() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }

std::string Money(std::int64_t minor, const std::string& currency) {
  char text[96];
  const std::int64_t whole = std::llabs(minor) / 100;
  std::snprintf(text, sizeof(text), "%s%lld.%02lld %s", minor < 0 ? "-" : "",
                static_cast<long long>(whole), static_cast<long long>(std::llabs(minor) % 100),
                currency.c_str());
  return text;
}

std::string Tier(std::int64_t points) {
  if (points >= 500) return "gold";
  if (points >= 100) return "silver";
  return "bronze";
}

// Sends the customer's points and tier down to the agents, as an effect of
// event `event_id`.
Status FeedLoyalty(CloudTxn& txn, const std::string& phone, const Contact& contact,
                   const std::string& event_id) {
  Object::Ptr loyalty = NewObject();
  loyalty->set("points", contact.points);
  loyalty->set("tier", contact.tier);
  auto change = txn.AddChange("loyalty.updated", phone, txn.now(), Json(loyalty), "");
  if (!change.ok()) return change.status();
  return txn.AddEffect(event_id, "loyalty");
}

int TierRank(const std::string& tier) {
  if (tier == "gold") return 2;
  if (tier == "silver") return 1;
  return 0;
}

std::string& StateOf(Contact& contact, const std::string& purpose) {
  return purpose == "marketing" ? contact.marketing : contact.transactional;
}
UnixMillis& StateTimeOf(Contact& contact, const std::string& purpose) {
  return purpose == "marketing" ? contact.marketing_at : contact.transactional_at;
}

// The same opt-out-wins rule the agent's ledger applies: an opt-in lifts an
// opt-out only when explicit and newer; an opt-out applies unless it is older
// than the opt-in in force (every opt-in the cloud holds is explicit), so the
// outcome does not depend on which of the two arrived first.
bool ApplyConsent(Contact& contact, const std::string& purpose, const std::string& state,
                  UnixMillis at, bool is_explicit) {
  std::string& current = StateOf(contact, purpose);
  UnixMillis& since = StateTimeOf(contact, purpose);
  if (state != "opted_out" && current == "opted_out" && (!is_explicit || at <= since)) return false;
  if (state == "opted_out" && (current == "opted_in" || current == "pending") && at < since) {
    return false;
  }
  if (state == "pending" && current == "opted_in") return false;
  if (state == current) return false;
  current = state;
  since = at;
  return true;
}

Result<std::int64_t> AddEngagement(CloudTxn& txn, const std::string& phone, const std::string& kind,
                                   const std::string& campaign, const Object::Ptr& extra) {
  Object::Ptr data = extra ? extra : NewObject();
  data->set("kind", kind);
  data->set("campaign", campaign);
  return txn.AddChange("engagement.recorded", phone, txn.now(), Json(data), "");
}

Result<std::int64_t> AddConsentChange(CloudTxn& txn, const std::string& phone,
                                      const std::vector<std::string>& purposes,
                                      const std::string& state, const std::string& method,
                                      const std::string& keyword, UnixMillis at,
                                      const std::string& origin_agent) {
  Object::Ptr data = NewObject();
  Array::Ptr list = new Array();
  for (const auto& purpose : purposes) list->add(purpose);
  data->set("purposes", list);
  data->set("state", state);
  data->set("method", method);
  data->set("actor", origin_agent.empty() ? std::string("cloud") : "agent:" + origin_agent);
  if (!keyword.empty()) data->set("keyword", keyword);
  data->set("explicit", true);
  return txn.AddChange("consent.changed", phone, at, Json(data), origin_agent);
}

// "transactional-only", "marketing-only" or "transactional+marketing".
std::string RegistrationOf(const SendingNumber& number) {
  const bool transactional = number.RegisteredFor(kTransactional);
  const bool marketing = number.RegisteredFor(kMarketing);
  if (transactional && marketing) return "transactional+marketing";
  return transactional ? "transactional-only" : "marketing-only";
}

bool QualifiesAsHighTicket(const SaleLine& line, const RuleParams& params) {
  const auto listed = [](const std::vector<std::string>& list, const std::string& value) {
    return !value.empty() && std::find(list.begin(), list.end(), value) != list.end();
  };
  return (params.min_unit_price_minor > 0 &&
          line.unit_price_minor >= params.min_unit_price_minor) ||
         listed(params.skus, line.sku) || listed(params.categories, line.category);
}

}  // namespace

std::string CouponUpc(char prefix, const std::string& code) {
  std::uint64_t serial = 0;
  const bool hex_serial = code.size() == 10 && code.compare(0, 2, "TB") == 0 &&
                          std::all_of(code.begin() + 2, code.end(),
                                      [](unsigned char c) { return std::isxdigit(c) != 0; });
  if (hex_serial) {
    // Eight hex digits are at most 4294967295: ten decimal digits exactly.
    serial = std::stoull(code.substr(2), nullptr, 16);
  } else {
    serial = 14695981039346656037ull;  // FNV-1a
    for (unsigned char c : code) serial = (serial ^ c) * 1099511628211ull;
    serial %= 10'000'000'000ull;
  }
  char body[16];
  std::snprintf(body, sizeof(body), "%c%010llu", prefix, static_cast<unsigned long long>(serial));
  return std::string(body) + static_cast<char>('0' + Gs1CheckDigit(body).value_or(0));
}

std::string KeywordOf(const std::string& text) {
  std::string word;
  bool gap = false;
  for (unsigned char c : text) {
    if (std::isspace(c)) {
      gap = !word.empty();
      continue;
    }
    if (gap) word.push_back(' ');
    gap = false;
    word.push_back(static_cast<char>(std::toupper(c)));
  }
  for (const char* stop : {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}) {
    if (word == stop) return "STOP";
  }
  if (word == "START" || word == "UNSTOP") return "START";
  if (word == "YES") return "YES";
  if (word == "HELP") return "HELP";
  return "";
}

bool MayText(const Contact& contact, const std::string& purpose,
             const std::string& state_at_event) {
  const std::string& held = purpose == kMarketing ? contact.marketing : contact.transactional;
  if (held == "opted_out") return false;
  return held == "opted_in" || state_at_event == "opted_in";
}

std::shared_ptr<const RuleSet> CloudRules::rule_set() const {
  std::lock_guard lock(rules_mutex_);
  return rules_;
}

void CloudRules::SetRuleSet(RuleSet rules) {
  auto fresh = std::make_shared<const RuleSet>(std::move(rules));
  std::lock_guard lock(rules_mutex_);
  rules_ = std::move(fresh);
}

Result<MessageRecord> CloudRules::Send(CloudTxn& txn, const RuleSet& rules, const Outgoing& message,
                                       std::vector<std::string>* log) const {
  MessageRecord record;
  record.phone = message.phone;
  record.kind = message.kind;
  record.body = message.body;
  record.cause = message.cause;
  record.campaign = message.campaign;
  record.rule = message.rule;
  record.purpose = message.purpose;
  record.store_id = message.store_id;
  record.coupon_code = message.coupon_code;
  record.attributable = message.attributable;
  // Carriers register each number for what it may carry; a message on a
  // number not registered for its purpose gets filtered or the number
  // suspended, so the cloud refuses it instead.
  const SendingNumber* number = nullptr;
  if (!message.number.empty()) {
    number = rules.FindNumber(message.number);
    if (number == nullptr) {
      record.reason = "rule number " + message.number + " is not listed under numbers";
    } else if (!number->RegisteredFor(message.purpose)) {
      record.reason = std::string(message.purpose == kMarketing ? "promotional" : "transactional") +
                      " message on " + RegistrationOf(*number) + " number " + number->number;
    }
  } else {
    number = rules.FirstNumberFor(message.purpose);
    if (number == nullptr)
      record.reason = "no number registered for " + message.purpose + " messages";
  }
  if (number != nullptr) {
    record.number = number->number;
    record.number_type = number->type;
  }
  record.status = record.reason.empty() ? "sent" : "refused";
  auto seq = txn.AddMessage(record);
  if (!seq.ok()) return seq.status();
  record.seq = *seq;
  record.created_at = txn.now();
  if (record.status == "refused") {
    log->push_back("refused: " + record.reason + " (" + message.kind + " to " +
                   MaskPhone(message.phone) + ")");
    return record;
  }
  log->push_back("sms-> " + MaskPhone(message.phone) + " [" + message.kind + "] " + message.body);
  Object::Ptr data = NewObject();
  data->set("kind", "message_sent");
  data->set("campaign", record.campaign);
  data->set("message_id", "msg_" + std::to_string(record.seq));
  data->set("rule", record.rule);
  data->set("purpose", record.purpose);
  data->set("attributable", record.attributable);
  if (!record.coupon_code.empty()) data->set("coupon_code", record.coupon_code);
  data->set("number", record.number);
  data->set("number_type", record.number_type);
  if (!record.store_id.empty()) data->set("store_id", record.store_id);
  auto change = txn.AddChange("engagement.recorded", message.phone, txn.now(), Json(data), "");
  if (!change.ok()) return change.status();
  return record;
}

Result<MessageRecord> CloudRules::SendRule(CloudTxn& txn, const RuleSet& rules, const Rule& rule,
                                           const std::string& phone, const std::string& cause,
                                           const std::string& store_id, const std::string& currency,
                                           std::vector<std::pair<std::string, std::string>> values,
                                           std::vector<std::string>* log,
                                           const std::string& coupon_code) const {
  Outgoing message;
  message.phone = phone;
  message.kind = rule.id;
  message.rule = rule.id;
  message.campaign = rule.campaign;
  message.purpose = rule.purpose;
  message.number = rule.number;
  message.cause = cause;
  message.store_id = store_id;
  // A receipt answers the sale itself; it cannot have brought the sale on.
  message.attributable = !(rule.trigger == "sale" && rule.purpose == kTransactional);
  values.emplace_back("brand", brand_);
  Object::Ptr coupon;
  if (rule.coupon) {
    // One code per rule and cause, so a repeated cause can never mint a
    // second coupon, and two rules on one sale never share a code.
    const std::string code = !coupon_code.empty()
                                 ? coupon_code
                                 : "TB" + AsciiUpper(Sha256Hex(cause + "/" + rule.id).substr(0, 8));
    const std::string upc = CouponUpc(coupon_upc_prefix_, code);
    const std::string money_currency = currency.empty() ? "USD" : currency;
    const std::string offer = rule.coupon->percent > 0
                                  ? std::to_string(rule.coupon->percent) + "%"
                                  : Money(rule.coupon->amount_minor, money_currency);
    values.insert(values.end(), {{"code", code},
                                 {"upc", upc},
                                 {"offer", offer},
                                 {"valid_days", std::to_string(rule.coupon->validity_days)}});
    message.coupon_code = code;
    coupon = NewObject();
    coupon->set("code", code);
    coupon->set("upc", upc);
    coupon->set("description", offer + " off your next purchase");
    if (rule.coupon->percent > 0) {
      coupon->set("discount_percent", rule.coupon->percent);
    } else {
      coupon->set("discount_minor", rule.coupon->amount_minor);
      coupon->set("currency", money_currency);
    }
    coupon->set("valid_from", FormatRfc3339(txn.now()));
    coupon->set("valid_until", FormatRfc3339(txn.now() + rule.coupon->validity_days * kDayMs));
    coupon->set("max_redemptions", 1);
    coupon->set("campaign", rule.campaign);
  }
  message.body = FillTemplate(rule.message, values);
  auto sent = Send(txn, rules, message, log);
  if (!sent.ok() || sent->status != "sent" || !coupon) return sent;
  auto issued = txn.AddChange("coupon.issued", phone, txn.now(), Json(coupon), "");
  if (!issued.ok()) return issued.status();
  return sent;
}

Result<MessageRecord> CloudRules::SendService(CloudTxn& txn, const std::string& phone,
                                              const std::string& kind, const std::string& body,
                                              const std::string& cause,
                                              std::vector<std::string>* log) const {
  Outgoing message;
  message.phone = phone;
  message.kind = kind;
  message.rule = kind;
  message.campaign = "cmp_service_" + kind;
  message.purpose = kTransactional;
  message.body = body;
  message.cause = cause;
  return Send(txn, *rule_set(), message, log);
}

Status CloudRules::OnEvent(CloudTxn& txn, const ValidEvent& event, const std::string& agent_id,
                           std::vector<std::string>* log) const {
  const std::shared_ptr<const RuleSet> rules = rule_set();
  if (event.type == "transaction.completed") return OnSale(txn, *rules, event, log);
  if (event.type == "consent.changed") return OnConsentEvent(txn, event, agent_id, log);
  if (event.type == "loyalty.accrued") return OnLoyaltyAccrued(txn, *rules, event, log);
  if (event.type == "basket.abandoned" && !event.phone.empty()) {
    auto contact = txn.GetContact(event.phone);
    if (!contact.ok()) return contact.status();
    for (const Rule* rule : rules->ForTrigger("basket_abandoned")) {
      const std::string& state =
          rule->purpose == kMarketing ? event.consent_marketing : event.consent_transactional;
      const std::string& held =
          rule->purpose == kMarketing ? contact->marketing : contact->transactional;
      if (state != "opted_in" || held == "opted_out") continue;
      auto sent = SendRule(txn, *rules, *rule, event.phone, event.id, event.store_id,
                           event.currency, {{"pos_id", event.pos_id}}, log);
      if (!sent.ok()) return sent.status();
      if (sent->status == "sent") TB_RETURN_IF_ERROR(txn.AddEffect(event.id, rule->id + "_sms"));
    }
    return Status::Ok();
  }
  if (event.type == "coupon.redeemed" && !event.phone.empty()) {
    Object::Ptr extra = NewObject();
    extra->set("coupon_code", event.coupon_code);
    auto change = AddEngagement(txn, event.phone, "redemption", "coupon", extra);
    if (!change.ok()) return change.status();
    log->push_back("coupon " + event.coupon_code + " redeemed by " + MaskPhone(event.phone) +
                   ", recorded for attribution");
    return txn.AddEffect(event.id, "redemption");
  }
  return Status::Ok();
}

Status CloudRules::OnSale(CloudTxn& txn, const RuleSet& rules, const ValidEvent& event,
                          std::vector<std::string>* log) const {
  if (event.phone.empty()) return Status::Ok();
  auto loaded = txn.GetContact(event.phone);
  if (!loaded.ok()) return loaded.status();
  Contact contact = *loaded;
  contact.orders += 1;
  contact.lifetime_value_minor += event.total_minor;
  contact.last_store = event.store_id;
  // A sale pushed late must not move the lapse clock back.
  if (event.occurred_at >= contact.last_purchase_at) {
    contact.last_purchase_at = event.occurred_at;
    contact.sale_transactional = event.consent_transactional;
    contact.sale_marketing = event.consent_marketing;
  }
  // What the customer allowed at the time of the sale, unless the cloud has
  // since heard a STOP.
  const bool transactional =
      event.consent_transactional == "opted_in" && contact.transactional != "opted_out";
  const bool marketing = event.consent_marketing == "opted_in" && contact.marketing != "opted_out";
  const std::string total = Money(event.total_minor, event.currency);
  // The sale's first coupon keeps the code earlier versions of the cloud
  // gave it ("TB" + the event id's first 8 characters, hex for agents'
  // ids), which agents' tests and the demo rely on.
  bool first_coupon = true;
  for (const Rule* rule : rules.ForTrigger("sale")) {
    if (!(rule->purpose == kMarketing ? marketing : transactional)) continue;
    std::string code;
    if (rule->coupon && first_coupon) {
      code = "TB" + AsciiUpper(event.id.substr(0, 8));
      first_coupon = false;
    }
    auto sent = SendRule(txn, rules, *rule, event.phone, event.id, event.store_id, event.currency,
                         {{"total", total}, {"pos_id", event.pos_id}}, log, code);
    if (!sent.ok()) return sent.status();
    if (sent->status == "sent") TB_RETURN_IF_ERROR(txn.AddEffect(event.id, rule->id + "_sms"));
  }
  TB_RETURN_IF_ERROR(ScheduleFollowUps(txn, rules, event, contact, log));
  if (marketing) {
    // Loyalty belongs to members, i.e. marketing opt-ins. A POS that runs
    // its own scheme reports the balance itself (loyalty.accrued): the
    // cloud's rule would count the same sale twice.
    if (!event.pos_keeps_loyalty) {
      if (event.total_minor > 0) contact.points += event.total_minor / 100;
      contact.tier = Tier(contact.points);
      TB_RETURN_IF_ERROR(FeedLoyalty(txn, event.phone, contact, event.id));
    }

    Object::Ptr fields = NewObject();
    Object::Ptr values = NewObject();
    values->set("orders", contact.orders);
    values->set("lifetime_value_minor", contact.lifetime_value_minor);
    values->set("average_order_minor", contact.lifetime_value_minor / contact.orders);
    values->set("preferred_location", contact.last_store);
    fields->set("fields", values);
    auto updated = txn.AddChange("customer.updated", event.phone, txn.now(), Json(fields), "");
    if (!updated.ok()) return updated.status();
    TB_RETURN_IF_ERROR(txn.AddEffect(event.id, "customer_fields"));

    if (contact.lifetime_value_minor >= kVipLifetimeMinor &&
        contact.segments_json.find("\"vip\"") == std::string::npos) {
      contact.segments_json = "[\"vip\"]";
      Object::Ptr segments = NewObject();
      Array::Ptr list = new Array();
      list->add("vip");
      segments->set("segments", list);
      auto segment = txn.AddChange("segments.updated", event.phone, txn.now(), Json(segments), "");
      if (!segment.ok()) return segment.status();
      TB_RETURN_IF_ERROR(txn.AddEffect(event.id, "segments"));
    }
  }
  return txn.PutContact(contact);
}

Status CloudRules::ScheduleFollowUps(CloudTxn& txn, const RuleSet& rules, const ValidEvent& event,
                                     const Contact& contact, std::vector<std::string>* log) const {
  for (const Rule* rule : rules.ForTrigger("high_ticket_sale")) {
    const SaleLine* qualifying = nullptr;
    for (const SaleLine& line : event.lines) {
      if (QualifiesAsHighTicket(line, rule->params)) {
        qualifying = &line;
        break;
      }
    }
    if (qualifying == nullptr) continue;
    const std::string& state =
        rule->purpose == kMarketing ? event.consent_marketing : event.consent_transactional;
    const std::string& held =
        rule->purpose == kMarketing ? contact.marketing : contact.transactional;
    if (state != "opted_in" || held == "opted_out") continue;
    FollowUp follow_up;
    follow_up.rule = rule->id;
    // Keyed by the sale, not the event: a revision of the sale is a new
    // event but the same purchase.
    follow_up.sale_key = event.store_id + "/" + event.pos_id;
    follow_up.cause = event.id;
    follow_up.phone = event.phone;
    follow_up.store_id = event.store_id;
    follow_up.due_at = event.occurred_at + rule->params.delay_hours * kHourMs;
    follow_up.consent_at_sale = state;
    follow_up.item = qualifying->description.empty() ? qualifying->sku : qualifying->description;
    follow_up.sku = qualifying->sku;
    follow_up.pos_id = event.pos_id;
    follow_up.total = Money(event.total_minor, event.currency);
    auto kept = txn.ScheduleFollowUp(follow_up);
    if (!kept.ok()) return kept.status();
    if (!*kept) continue;
    TB_RETURN_IF_ERROR(txn.AddEffect(event.id, rule->id + "_scheduled"));
    log->push_back("follow-up " + rule->id + " for " + MaskPhone(event.phone) + " due " +
                   FormatRfc3339(follow_up.due_at) + " (sale " + event.pos_id + ")");
  }
  return Status::Ok();
}

Result<CloudRules::DueResult> CloudRules::RunDue(CloudTxn& txn,
                                                 std::vector<std::string>* log) const {
  const std::shared_ptr<const RuleSet> rules = rule_set();
  DueResult result;
  auto due = txn.DueFollowUps(txn.now());
  if (!due.ok()) return due.status();
  for (const FollowUp& follow_up : *due) {
    TB_RETURN_IF_ERROR(RunFollowUp(txn, *rules, follow_up, &result, log));
  }
  TB_RETURN_IF_ERROR(Reengage(txn, *rules, &result, log));
  return result;
}

Status CloudRules::RunFollowUp(CloudTxn& txn, const RuleSet& rules, const FollowUp& follow_up,
                               DueResult* result, std::vector<std::string>* log) const {
  const Rule* rule = nullptr;
  for (const Rule* candidate : rules.ForTrigger("high_ticket_sale")) {
    if (candidate->id == follow_up.rule) rule = candidate;
  }
  if (rule == nullptr) {
    log->push_back("follow-up cancelled: rule " + follow_up.rule + " is no longer enabled (" +
                   MaskPhone(follow_up.phone) + ")");
    ++result->cancelled;
    return txn.FinishFollowUp(follow_up.seq, "cancelled", "rule no longer enabled");
  }
  auto contact = txn.GetContact(follow_up.phone);
  if (!contact.ok()) return contact.status();
  // Consent is checked again when the message is due: a STOP since the
  // sale wins.
  if (!MayText(*contact, rule->purpose, follow_up.consent_at_sale)) {
    log->push_back("follow-up cancelled: opted out (" + rule->id + " to " +
                   MaskPhone(follow_up.phone) + ", sale " + follow_up.pos_id + ")");
    ++result->cancelled;
    return txn.FinishFollowUp(follow_up.seq, "cancelled", "opted out");
  }
  auto sent = SendRule(txn, rules, *rule, follow_up.phone, follow_up.cause, follow_up.store_id, "",
                       {{"item", follow_up.item},
                        {"sku", follow_up.sku},
                        {"pos_id", follow_up.pos_id},
                        {"total", follow_up.total}},
                       log);
  if (!sent.ok()) return sent.status();
  if (sent->status != "sent") {
    ++result->refused;
    return txn.FinishFollowUp(follow_up.seq, "refused", sent->reason);
  }
  ++result->sent;
  TB_RETURN_IF_ERROR(txn.AddEffect(follow_up.cause, rule->id + "_sms"));
  return txn.FinishFollowUp(follow_up.seq, "sent", "msg_" + std::to_string(sent->seq));
}

Status CloudRules::Reengage(CloudTxn& txn, const RuleSet& rules, DueResult* result,
                            std::vector<std::string>* log) const {
  for (const Rule* rule : rules.ForTrigger("lapsed_customer")) {
    auto lapsed = txn.LapsedContacts(txn.now() - rule->params.days * kDayMs);
    if (!lapsed.ok()) return lapsed.status();
    for (const Contact& contact : *lapsed) {
      // One message per lapse: the key changes with every new purchase.
      const std::string lapse =
          "lapse:" + contact.phone + ":" + std::to_string(contact.last_purchase_at);
      auto done = txn.HasEffect(lapse, rule->id);
      if (!done.ok()) return done.status();
      const std::string& state =
          rule->purpose == kMarketing ? contact.sale_marketing : contact.sale_transactional;
      if (*done || !MayText(contact, rule->purpose, state)) continue;
      auto sent = SendRule(txn, rules, *rule, contact.phone, lapse, contact.last_store, "",
                           {{"days", std::to_string(rule->params.days)}}, log);
      if (!sent.ok()) return sent.status();
      ++(sent->status == "sent" ? result->sent : result->refused);
      // A refusal is final for this lapse too: retrying on every tick
      // would only repeat it.
      TB_RETURN_IF_ERROR(txn.AddEffect(lapse, rule->id));
    }
  }
  return Status::Ok();
}

Status CloudRules::OnLoyaltyAccrued(CloudTxn& txn, const RuleSet& rules, const ValidEvent& event,
                                    std::vector<std::string>* log) const {
  auto loaded = txn.GetContact(event.phone);
  if (!loaded.ok()) return loaded.status();
  Contact contact = *loaded;
  const std::string previous_tier = contact.tier;
  // The POS keeps the loyalty account: its balance, when it reports one,
  // replaces the cloud's count. A POS may let a balance go below zero; the
  // cloud's tiers start at zero.
  const std::int64_t balance =
      event.loyalty_balance ? *event.loyalty_balance : contact.points + event.loyalty_points;
  contact.points = std::max<std::int64_t>(0, balance);
  contact.tier = Tier(contact.points);
  TB_RETURN_IF_ERROR(txn.PutContact(contact));
  TB_RETURN_IF_ERROR(FeedLoyalty(txn, event.phone, contact, event.id));

  const bool upgraded = TierRank(contact.tier) > TierRank(previous_tier);
  const std::string kind = upgraded ? "tier_upgrade" : "loyalty_balance";
  for (const Rule* rule : rules.ForTrigger(kind)) {
    // Each rule's own purpose decides the consent it needs: a balance
    // notice a store files as transactional goes to transactional opt-ins.
    const std::string& state_at_event =
        rule->purpose == kMarketing ? event.consent_marketing : event.consent_transactional;
    if (!MayText(contact, rule->purpose, state_at_event)) {
      log->push_back("loyalty " + MaskPhone(event.phone) +
                     (event.loyalty_points < 0 ? " " : " +") +
                     std::to_string(event.loyalty_points) + " points; " + kind +
                     " text refused: not opted in to " + rule->purpose);
      continue;
    }
    auto sent = SendRule(txn, rules, *rule, event.phone, event.id, event.store_id, "",
                         {{"tier", contact.tier},
                          {"points", std::to_string(contact.points)},
                          {"earned", std::to_string(event.loyalty_points)}},
                         log);
    if (!sent.ok()) return sent.status();
    if (sent->status == "sent") TB_RETURN_IF_ERROR(txn.AddEffect(event.id, rule->id + "_sms"));
  }
  return Status::Ok();
}

Status CloudRules::OnConsentEvent(CloudTxn& txn, const ValidEvent& event,
                                  const std::string& agent_id,
                                  std::vector<std::string>* log) const {
  auto loaded = txn.GetContact(event.phone);
  if (!loaded.ok()) return loaded.status();
  Contact contact = *loaded;
  if (!ApplyConsent(contact, event.consent_purpose, event.consent_state, event.occurred_at, true)) {
    return Status::Ok();
  }
  log->push_back("consent " + MaskPhone(event.phone) + " " + event.consent_purpose + " -> " +
                 event.consent_state + " (" + event.consent_method + ", from agent)");
  TB_RETURN_IF_ERROR(txn.PutContact(contact));
  // Other terminals of the store learn it through the feed; the sender
  // already knows and is skipped.
  auto relayed = AddConsentChange(txn, event.phone, {event.consent_purpose}, event.consent_state,
                                  event.consent_method, "", event.occurred_at, agent_id);
  if (!relayed.ok()) return relayed.status();
  TB_RETURN_IF_ERROR(txn.AddEffect(event.id, "consent_relay"));
  if (event.consent_state == "pending") {
    auto sent = SendService(txn, event.phone, "double_opt_in_request",
                            brand_ + ": reply YES to confirm you want " + event.consent_purpose +
                                " texts. Msg & data rates may apply. Reply STOP to cancel.",
                            event.id, log);
    if (!sent.ok()) return sent.status();
    TB_RETURN_IF_ERROR(txn.AddEffect(event.id, "confirmation_request"));
  }
  return Status::Ok();
}

Result<CloudRules::InboundResult> CloudRules::OnInboundSms(CloudTxn& txn, const std::string& phone,
                                                           const std::string& text,
                                                           std::vector<std::string>* log) const {
  InboundResult result;
  result.keyword = KeywordOf(text);
  log->push_back("sms<- " + MaskPhone(phone) + " \"" + MaskPhonesInText(text.substr(0, 60)) + "\"" +
                 (result.keyword.empty() ? "" : " = " + result.keyword));
  auto loaded = txn.GetContact(phone);
  if (!loaded.ok()) return loaded.status();
  Contact contact = *loaded;
  const std::string cause = "sms:" + std::to_string(txn.now());
  std::vector<std::string> purposes;
  std::string state;
  std::string method = "sms_keyword";
  if (result.keyword == "STOP") {
    purposes = {"transactional", "marketing"};
    state = "opted_out";
    result.reply = brand_ +
                   ": you are unsubscribed and will get no more texts. Reply START to "
                   "resubscribe.";
  } else if (result.keyword == "START") {
    for (const char* purpose : {"transactional", "marketing"}) {
      if (StateOf(contact, purpose) == "opted_out") purposes.push_back(purpose);
    }
    if (purposes.empty()) purposes = {"transactional"};
    state = "opted_in";
    result.reply = brand_ + ": you are resubscribed. Reply STOP to opt out, HELP for help.";
  } else if (result.keyword == "YES") {
    for (const char* purpose : {"transactional", "marketing"}) {
      if (StateOf(contact, purpose) == "pending") purposes.push_back(purpose);
    }
    state = "opted_in";
    method = "double_opt_in_confirmation";
    result.reply = purposes.empty()
                       ? brand_ + ": there is nothing to confirm. Reply HELP for help."
                       : brand_ + ": thanks, you are confirmed. Reply STOP to opt out.";
  } else if (result.keyword == "HELP") {
    result.reply = brand_ +
                   ": texts about your purchases and offers. Msg & data rates may "
                   "apply. Reply STOP to opt out.";
  }
  for (const auto& purpose : purposes) ApplyConsent(contact, purpose, state, txn.now(), true);
  TB_RETURN_IF_ERROR(txn.PutContact(contact));
  if (!purposes.empty()) {
    auto change =
        AddConsentChange(txn, phone, purposes, state, method, result.keyword, txn.now(), "");
    if (!change.ok()) return change.status();
    result.changes.push_back(*change);
    std::string list;
    for (const auto& purpose : purposes) list += (list.empty() ? "" : ", ") + purpose;
    log->push_back("consent " + MaskPhone(phone) + " " + list + " -> " + state + " (SMS " +
                   result.keyword + ")");
  } else {
    Object::Ptr extra = NewObject();
    extra->set("keyword", result.keyword);
    auto change = AddEngagement(
        txn, phone, result.keyword == "HELP" ? "inbound_help" : "inbound_message", "", extra);
    if (!change.ok()) return change.status();
    result.changes.push_back(*change);
  }
  if (!result.reply.empty()) {
    auto sent = SendService(txn, phone, "keyword_reply", result.reply, cause, log);
    if (!sent.ok()) return sent.status();
  }
  return result;
}

Result<std::int64_t> CloudRules::OnClick(CloudTxn& txn, const std::string& phone,
                                         const std::string& url, const std::string& campaign,
                                         std::vector<std::string>* log) const {
  Object::Ptr extra = NewObject();
  extra->set("url", url);
  log->push_back("click " + MaskPhone(phone) + " " + url);
  return AddEngagement(txn, phone, "click", campaign, extra);
}

}  // namespace tillbridge::refcloud
