#include "store/attribution.h"

#include <utility>
#include <vector>

#include "store/sqlite_db.h"
#include "store/store_core.h"

namespace tillbridge::store {
namespace {

constexpr std::int64_t kDayMillis = 86'400'000;

// A message_sent engagement row as sms_messages keeps it. The same rule is
// written out again in migration 10's backfill (see there why). Detail that
// is not JSON counts as "{}" so one bad row cannot fail a cloud page.
constexpr const char* kInsertMessage = R"sql(
INSERT OR IGNORE INTO sms_messages (change_id, phone, campaign, rule, purpose, message_id,
                                    coupon_code, attributable, sent_at)
SELECT change_id, phone, campaign, rule, purpose, message_id, coupon_code,
       CASE WHEN flag IS NOT NULL THEN flag <> 0
            ELSE NOT (purpose = 'transactional' OR
                      campaign IN ('receipt', 'keyword_reply', 'double_opt_in_request') OR
                      rule IN ('receipt', 'keyword_reply', 'double_opt_in_request'))
       END,
       occurred_at
FROM (
  SELECT change_id, phone, campaign, occurred_at,
         coalesce(CAST(json_extract(d, '$.rule') AS TEXT), '') AS rule,
         coalesce(CAST(json_extract(d, '$.purpose') AS TEXT), '') AS purpose,
         coalesce(CAST(json_extract(d, '$.message_id') AS TEXT), '') AS message_id,
         upper(trim(coalesce(CAST(json_extract(d, '$.coupon_code') AS TEXT), ''))) AS coupon_code,
         json_extract(d, '$.attributable') AS flag
  FROM (SELECT change_id, phone, campaign, occurred_at,
               CASE WHEN json_valid(detail) THEN detail ELSE '{}' END AS d
        FROM engagement WHERE change_id = ?1 AND kind = 'message_sent')
))sql";

constexpr const char* kSelectMessage =
    "SELECT phone, coupon_code, attributable, sent_at FROM sms_messages WHERE change_id = ?1";

// The latest message whose coupon the sale redeemed, sent at or before it.
// coupon_redemptions holds the codes as the coupon was issued (a scanned
// barcode already resolved), once per sale whatever its revisions.
constexpr const char* kSelectCouponMessage =
    "SELECT m.change_id, m.message_id, m.campaign, m.rule, m.sent_at, m.coupon_code "
    "FROM coupon_redemptions r JOIN sms_messages m "
    "  ON m.coupon_code = upper(r.code) AND m.coupon_code <> '' "
    "WHERE r.source = ?1 AND r.pos_id = ?2 AND m.sent_at <= ?3 "
    "ORDER BY m.sent_at DESC, m.change_id DESC LIMIT 1";

constexpr const char* kSelectLastTouch =
    "SELECT change_id, message_id, campaign, rule, sent_at, '' FROM sms_messages "
    "WHERE phone = ?1 AND attributable = 1 AND sent_at > ?2 AND sent_at <= ?3 "
    "ORDER BY sent_at DESC, change_id DESC LIMIT 1";

constexpr const char* kSelectExisting =
    "SELECT basis, message_at, reversed_at IS NOT NULL FROM attributions "
    "WHERE source = ?1 AND pos_id = ?2";

constexpr const char* kWriteAttribution =
    "INSERT OR REPLACE INTO attributions (source, pos_id, phone, basis, message_change_id, "
    "message_id, campaign, rule, message_at, coupon_code, sale_at, window_days, attributed_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

constexpr const char* kReverse =
    "UPDATE attributions SET reversed_at = ?3, reversed_by = ?4, reversal = ?5 "
    "WHERE source = ?1 AND pos_id = ?2 AND reversed_at IS NULL";

constexpr const char* kSetRefunded =
    "UPDATE attributions SET refunded_minor = ?3 "
    "WHERE source = ?1 AND pos_id = ?2 AND reversed_at IS NULL";

// A void the store already holds for a sale being attributed late: the
// attribution is born reversed.
constexpr const char* kSelectVoid =
    "SELECT pos_id, occurred_at FROM transactions "
    "WHERE source = ?1 AND pos_id = ?2 AND kind = 'void' ORDER BY occurred_at LIMIT 1";

// The money given back by the refunds that name the sale, each as its
// latest revision says (a refund may be stored as a negative or a positive
// total), and the latest of them (max() makes SQLite take pos_id from the
// row of the latest refund).
constexpr const char* kSelectRefunds =
    "SELECT count(*), coalesce(sum(abs(r.total_minor)), 0), max(r.occurred_at), r.pos_id "
    "FROM transactions r WHERE r.source = ?1 AND r.refund_of = ?2 AND r.kind = 'refund' "
    "AND NOT EXISTS (SELECT 1 FROM transactions u WHERE u.source = r.source "
    "AND u.pos_id = r.pos_id AND u.revision > r.revision)";

// A later revision keeps the sale's attribution; its time follows the
// revision, so the report can find attributed sales by time.
constexpr const char* kFollowRevision =
    "UPDATE attributions SET sale_at = ?3 WHERE source = ?1 AND pos_id = ?2 AND sale_at <> ?3";

constexpr const char* kSelectLatestSale =
    "SELECT customer_phone, occurred_at, total_minor FROM transactions "
    "WHERE source = ?1 AND pos_id = ?2 AND kind = 'sale' ORDER BY revision DESC LIMIT 1";

constexpr const char* kSelectCouponSales =
    "SELECT DISTINCT source, pos_id FROM coupon_redemptions "
    "WHERE upper(code) = ?1 AND redeemed_at >= ?2";

constexpr const char* kSelectPhoneSales =
    "SELECT DISTINCT source, pos_id FROM transactions "
    "WHERE customer_phone = ?1 AND kind = 'sale' AND occurred_at >= ?2 AND occurred_at < ?3";

}  // namespace

struct Attributor::Statements {
  Statement insert_message;
  Statement select_message;
  Statement coupon_message;
  Statement last_touch;
  Statement existing;
  Statement write;
  Statement reverse;
  Statement set_refunded;
  Statement void_of;
  Statement refunds;
  Statement follow_revision;
  Statement latest_sale;
  Statement coupon_sales;
  Statement phone_sales;
};

struct Attributor::Sale {
  std::string source;
  std::string pos_id;
  std::string phone;
  UnixMillis at = 0;
};

struct Attributor::Choice {
  std::string basis;
  std::string change_id;
  std::string message_id;
  std::string campaign;
  std::string rule;
  UnixMillis message_at = 0;
  std::string coupon_code;
};

Result<std::unique_ptr<Attributor>> Attributor::Prepare(Database& db, std::int64_t window_days,
                                                        UnixMillis now) {
  std::vector<Statement> prepared;
  for (const char* sql :
       {kInsertMessage, kSelectMessage, kSelectCouponMessage, kSelectLastTouch, kSelectExisting,
        kWriteAttribution, kReverse, kSetRefunded, kSelectVoid, kSelectRefunds, kFollowRevision,
        kSelectLatestSale, kSelectCouponSales, kSelectPhoneSales}) {
    auto statement = db.Prepare(sql);
    if (!statement.ok()) return statement.status();
    prepared.push_back(std::move(statement).value());
  }
  auto statements = std::unique_ptr<Statements>(
      new Statements{std::move(prepared[0]), std::move(prepared[1]), std::move(prepared[2]),
                     std::move(prepared[3]), std::move(prepared[4]), std::move(prepared[5]),
                     std::move(prepared[6]), std::move(prepared[7]), std::move(prepared[8]),
                     std::move(prepared[9]), std::move(prepared[10]), std::move(prepared[11]),
                     std::move(prepared[12]), std::move(prepared[13])});
  return std::unique_ptr<Attributor>(
      new Attributor(std::move(statements), window_days < 0 ? 0 : window_days, now));
}

Attributor::Attributor(std::unique_ptr<Statements> statements, std::int64_t window_days,
                       UnixMillis now)
    : statements_(std::move(statements)), window_days_(window_days), now_(now) {}

Attributor::~Attributor() = default;

Result<std::optional<Attributor::Choice>> Attributor::Choose(const Sale& sale) {
  auto read = [](Statement& select, const char* basis) -> Result<std::optional<Choice>> {
    auto row = select.Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<Choice>();
    Choice choice{basis,          select.Text(0), select.Text(1), select.Text(2),
                  select.Text(3), select.Int(4),  select.Text(5)};
    select.Reset();
    return std::optional<Choice>(std::move(choice));
  };
  Statement& coupon = statements_->coupon_message;
  coupon.Reset();
  coupon.Bind(1, sale.source).Bind(2, sale.pos_id).Bind(3, sale.at);
  auto direct = read(coupon, "coupon");
  if (!direct.ok() || direct->has_value()) return direct;
  // A sale without a phone can only be credited through the coupon it took.
  if (sale.phone.empty()) return std::optional<Choice>();
  Statement& last = statements_->last_touch;
  last.Reset();
  last.Bind(1, sale.phone).Bind(2, sale.at - window_days_ * kDayMillis).Bind(3, sale.at);
  return read(last, "last_touch");
}

Status Attributor::Settle(const Sale& sale, bool keep_existing) {
  Statement& existing = statements_->existing;
  existing.Reset();
  existing.Bind(1, sale.source).Bind(2, sale.pos_id);
  auto found = existing.Step();
  if (!found.ok()) return found.status();
  std::optional<std::pair<std::string, UnixMillis>> current;
  if (*found) {
    // Reversed stays reversed; a coupon attribution is the strongest there
    // is; a sale already credited keeps its credit across revisions.
    const bool settled = keep_existing || existing.Int(2) != 0 || existing.Text(0) == "coupon";
    current.emplace(existing.Text(0), existing.Int(1));
    existing.Reset();
    if (settled) return Status::Ok();
  }
  auto choice = Choose(sale);
  if (!choice.ok()) return choice.status();
  if (!choice->has_value()) return Status::Ok();
  const Choice& best = **choice;
  if (current && best.basis != "coupon" && best.message_at <= current->second) {
    return Status::Ok();
  }
  Statement& write = statements_->write;
  write.Reset();
  write.Bind(1, sale.source)
      .Bind(2, sale.pos_id)
      .Bind(3, sale.phone)
      .Bind(4, best.basis)
      .Bind(5, best.change_id)
      .Bind(6, best.message_id)
      .Bind(7, best.campaign)
      .Bind(8, best.rule)
      .Bind(9, best.message_at)
      .Bind(10, best.coupon_code)
      .Bind(11, sale.at)
      .Bind(12, window_days_)
      .Bind(13, now_);
  TB_RETURN_IF_ERROR(write.Run());

  // What the store already holds against the sale applies at once.
  Statement& void_of = statements_->void_of;
  void_of.Reset();
  void_of.Bind(1, sale.source).Bind(2, sale.pos_id);
  auto voided = void_of.Step();
  if (!voided.ok()) return voided.status();
  if (*voided) {
    const std::string by = void_of.Text(0);
    const UnixMillis at = void_of.Int(1);
    void_of.Reset();
    return Reverse(sale.source, sale.pos_id, at, by, "void");
  }
  return ApplyRefunds(sale.source, sale.pos_id);
}

Status Attributor::ApplyRefunds(std::string_view source, std::string_view sale_pos_id) {
  Statement& refunds = statements_->refunds;
  refunds.Reset();
  refunds.Bind(1, source).Bind(2, sale_pos_id);
  auto row = refunds.Step();
  if (!row.ok()) return row.status();
  const std::int64_t count = *row ? refunds.Int(0) : 0;
  const std::int64_t given_back = count > 0 ? refunds.Int(1) : 0;
  const UnixMillis latest_at = count > 0 ? refunds.Int(2) : 0;
  const std::string latest_by = count > 0 ? refunds.Text(3) : "";
  refunds.Reset();
  if (count == 0) return Status::Ok();

  Statement& sale = statements_->latest_sale;
  sale.Reset();
  sale.Bind(1, source).Bind(2, sale_pos_id);
  auto found = sale.Step();
  if (!found.ok()) return found.status();
  if (!*found) return Status::Ok();  // no such sale here: nothing is credited
  const std::int64_t total = sale.Int(2);
  sale.Reset();
  // Everything given back (or more): the text earned nothing. Part of it:
  // the credit stands, less what was given back.
  if (given_back >= total) {
    return Reverse(source, sale_pos_id, latest_at, latest_by, "refund");
  }
  Statement& set = statements_->set_refunded;
  set.Reset();
  set.Bind(1, source).Bind(2, sale_pos_id).Bind(3, given_back);
  return set.Run();
}

Status Attributor::Reverse(std::string_view source, std::string_view sale_pos_id, UnixMillis at,
                           std::string_view by, std::string_view kind) {
  Statement& reverse = statements_->reverse;
  reverse.Reset();
  reverse.Bind(1, source).Bind(2, sale_pos_id).Bind(3, at).Bind(4, by).Bind(5, kind);
  return reverse.Run();
}

Status Attributor::OnTransaction(std::string_view source, const Transaction& record) {
  switch (record.kind) {
    case TransactionKind::kSale: {
      // Only a sale stored before can already have an attribution.
      if (record.revision > 1) {
        Statement& follow = statements_->follow_revision;
        follow.Reset();
        follow.Bind(1, source).Bind(2, record.pos_id).Bind(3, record.occurred_at);
        TB_RETURN_IF_ERROR(follow.Run());
      }
      if (record.customer_phone.empty() && record.coupon_codes.empty()) return Status::Ok();
      return Settle(
          Sale{std::string(source), record.pos_id, record.customer_phone, record.occurred_at},
          /*keep_existing=*/true);
    }
    case TransactionKind::kRefund:
      if (record.refund_of.empty()) return Status::Ok();
      return ApplyRefunds(source, record.refund_of);
    case TransactionKind::kVoid:
      return Reverse(source, record.pos_id, record.occurred_at, record.pos_id, "void");
    case TransactionKind::kAbandoned:
      return Status::Ok();
  }
  return Status::Ok();
}

bool Attributor::Concerns(const Transaction& record) {
  switch (record.kind) {
    case TransactionKind::kSale:
      return record.revision > 1 || !record.customer_phone.empty() ||
             !record.coupon_codes.empty();
    case TransactionKind::kRefund:
      return !record.refund_of.empty();
    case TransactionKind::kVoid:
      return true;
    case TransactionKind::kAbandoned:
      return false;
  }
  return false;
}

Status Attributor::OnEngagementStored(std::string_view change_id) {
  Statement& insert = statements_->insert_message;
  insert.Reset();
  insert.Bind(1, change_id);
  TB_RETURN_IF_ERROR(insert.Run());
  Statement& message = statements_->select_message;
  message.Reset();
  message.Bind(1, change_id);
  auto found = message.Step();
  if (!found.ok()) return found.status();
  if (!*found) return Status::Ok();  // not a message_sent
  const std::string phone = message.Text(0);
  const std::string coupon_code = message.Text(1);
  const bool attributable = message.Int(2) != 0;
  const UnixMillis sent_at = message.Int(3);
  message.Reset();

  // The sales this message could win, gathered first so the writes below
  // never run under an open read of the same tables.
  std::vector<std::pair<std::string, std::string>> candidates;
  auto gather = [&](Statement& select) -> Status {
    for (;;) {
      auto row = select.Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      candidates.emplace_back(select.Text(0), select.Text(1));
    }
    select.Reset();
    return Status::Ok();
  };
  if (!coupon_code.empty()) {
    Statement& coupon_sales = statements_->coupon_sales;
    coupon_sales.Reset();
    coupon_sales.Bind(1, coupon_code).Bind(2, sent_at);
    TB_RETURN_IF_ERROR(gather(coupon_sales));
  }
  if (attributable && window_days_ > 0) {
    Statement& phone_sales = statements_->phone_sales;
    phone_sales.Reset();
    phone_sales.Bind(1, phone).Bind(2, sent_at).Bind(3, sent_at + window_days_ * kDayMillis);
    TB_RETURN_IF_ERROR(gather(phone_sales));
  }

  for (const auto& [source, pos_id] : candidates) {
    Statement& latest = statements_->latest_sale;
    latest.Reset();
    latest.Bind(1, source).Bind(2, pos_id);
    auto row = latest.Step();
    if (!row.ok()) return row.status();
    if (!*row) continue;
    Sale sale{source, pos_id, latest.Text(0), latest.Int(1)};
    latest.Reset();
    TB_RETURN_IF_ERROR(Settle(sale, /*keep_existing=*/false));
  }
  return Status::Ok();
}

Result<std::optional<Attribution>> Attributions::ForSale(std::string_view source,
                                                         std::string_view pos_id) {
  std::lock_guard lock(core_.mutex);
  auto select = core_.db->Prepare(
      "SELECT source, pos_id, phone, basis, message_change_id, message_id, campaign, rule, "
      "message_at, coupon_code, sale_at, window_days, attributed_at, reversed_at, "
      "coalesce(reversed_by, ''), coalesce(reversal, ''), refunded_minor FROM attributions "
      "WHERE source = ?1 AND pos_id = ?2");
  if (!select.ok()) return select.status();
  select->Bind(1, source).Bind(2, pos_id);
  auto row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<Attribution>();
  Attribution found;
  found.source = select->Text(0);
  found.pos_id = select->Text(1);
  found.phone = select->Text(2);
  found.basis = select->Text(3);
  found.message_change_id = select->Text(4);
  found.message_id = select->Text(5);
  found.campaign = select->Text(6);
  found.rule = select->Text(7);
  found.message_at = select->Int(8);
  found.coupon_code = select->Text(9);
  found.sale_at = select->Int(10);
  found.window_days = select->Int(11);
  found.attributed_at = select->Int(12);
  found.reversed_at = select->OptionalInt(13);
  found.reversed_by = select->Text(14);
  found.reversal = select->Text(15);
  found.refunded_minor = select->Int(16);
  return std::optional<Attribution>(std::move(found));
}

}  // namespace tillbridge::store
