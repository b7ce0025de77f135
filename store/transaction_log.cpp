#include "store/transaction_log.h"

#include <algorithm>
#include <memory>

#include "common/card_numbers.h"
#include "common/coupon_scan.h"
#include "common/text.h"
#include "store/attribution.h"
#include "store/card_guard.h"
#include "store/event_json.h"
#include "store/store_core.h"

namespace tillbridge::store {
namespace {

constexpr const char* kSelectConsent = "SELECT purpose, state FROM consent_state WHERE phone = ?1";

// `select` is kSelectConsent, prepared once per ingest.
Result<ConsentSnapshot> SnapshotFor(Statement& select, const std::string& phone) {
  ConsentSnapshot snapshot;
  if (phone.empty()) return snapshot;
  select.Reset();
  select.Bind(1, phone);
  for (;;) {
    auto row = select.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    (select.Text(0) == "marketing" ? snapshot.marketing : snapshot.transactional) = select.Text(1);
  }
  return snapshot;
}

constexpr const char* kUpsertContact =
    "INSERT INTO contacts (phone, first_seen_at, purchase_count, lifetime_value_minor, "
    "currency, last_purchase_at, last_store_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
    "ON CONFLICT (phone) DO UPDATE SET "
    "purchase_count = purchase_count + excluded.purchase_count, "
    "lifetime_value_minor = lifetime_value_minor + excluded.lifetime_value_minor, "
    "currency = excluded.currency, "
    "last_purchase_at = CASE WHEN excluded.purchase_count > 0 THEN "
    "  max(coalesce(last_purchase_at, 0), excluded.last_purchase_at) ELSE last_purchase_at END, "
    "last_store_id = excluded.last_store_id";

// `upsert` is kUpsertContact, prepared once per ingest.
Status UpdateContact(Statement& upsert, const Transaction& txn, const std::string& store_id) {
  if (txn.customer_phone.empty()) return Status::Ok();
  std::int64_t count_delta = 0;
  std::int64_t value_delta = 0;
  if (txn.kind == TransactionKind::kSale) {
    count_delta = 1;
    value_delta = txn.total_minor;
  } else if (txn.kind == TransactionKind::kRefund) {
    // Refund totals may be recorded as negative or positive by the POS.
    value_delta = -std::llabs(txn.total_minor);
  }
  upsert.Reset();
  upsert.Bind(1, txn.customer_phone)
      .Bind(2, txn.occurred_at)
      .Bind(3, count_delta)
      .Bind(4, value_delta)
      .Bind(5, txn.currency)
      .Bind(6, txn.occurred_at)
      .Bind(7, store_id);
  return upsert.Run();
}

// The coupon codes of a sale, trimmed, each once whatever its letter case.
std::vector<std::string> DistinctCodes(const std::vector<std::string>& codes) {
  std::vector<std::string> distinct;
  std::vector<std::string> seen_upper;
  for (const std::string& code : codes) {
    const auto first = code.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    const auto last = code.find_last_not_of(" \t");
    std::string trimmed = code.substr(first, last - first + 1);
    std::string upper = AsciiUpper(trimmed);
    if (std::find(seen_upper.begin(), seen_upper.end(), upper) != seen_upper.end()) continue;
    seen_upper.push_back(std::move(upper));
    distinct.push_back(std::move(trimmed));
  }
  return distinct;
}

// Redeems the coupon codes of sales inside one ingest transaction. Made on
// the first sale that carries a code, so ingests without coupons prepare
// nothing extra.
class CouponRedeemer {
 public:
  static Result<std::unique_ptr<CouponRedeemer>> Prepare(Database& db) {
    // A code that is a coupon's barcode number (?2, EAN-13 form) finds the
    // coupon too; a match on the code itself wins.
    auto find = db.Prepare(
        "SELECT code FROM coupons WHERE code = ?1 COLLATE NOCASE OR upc = ?2 "
        "ORDER BY code = ?1 COLLATE NOCASE DESC, updated_at DESC LIMIT 1");
    auto insert = db.Prepare(
        "INSERT INTO coupon_redemptions (event_id, code, source, pos_id, phone, issued_by_cloud, "
        "redeemed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (event_id) DO NOTHING");
    auto count =
        db.Prepare("UPDATE coupons SET redeemed_count = redeemed_count + 1 WHERE code = ?1");
    for (auto* stmt : {&find, &insert, &count}) {
      if (!stmt->ok()) return stmt->status();
    }
    return std::unique_ptr<CouponRedeemer>(new CouponRedeemer(
        db, std::move(find).value(), std::move(insert).value(), std::move(count).value()));
  }

  // Queues coupon.redeemed (through `insert_outbox`) for each distinct code
  // of `sale` that this sale has not redeemed before, under any revision,
  // and counts the use on coupons the cloud issued. Returns events queued.
  Result<int> Redeem(const Transaction& sale, std::string_view source,
                     const std::string& sale_event_id, const StoreOptions& options,
                     Statement& insert_outbox, UnixMillis now) {
    int queued = 0;
    for (const std::string& typed : DistinctCodes(sale.coupon_codes)) {
      find_.Reset();
      find_.Bind(1, typed);
      if (const auto upc = NormalizeCouponUpc(typed))
        find_.Bind(2, *upc);
      else
        find_.BindNull(2);
      auto known = find_.Step();
      if (!known.ok()) return known.status();
      const bool issued_by_cloud = *known;
      const std::string code = issued_by_cloud ? find_.Text(0) : typed;
      // The revision is left out of the id: a corrected later revision of
      // the same sale redeems nothing again.
      const std::string event_id = MakeEventId(
          options.store_id, source, sale.pos_id + "/" + AsciiUpper(code), "coupon.redeemed", 1);
      insert_.Reset();
      insert_.Bind(1, event_id).Bind(2, code).Bind(3, source).Bind(4, sale.pos_id);
      if (sale.customer_phone.empty())
        insert_.BindNull(5);
      else
        insert_.Bind(5, sale.customer_phone);
      insert_.Bind(6, std::int64_t{issued_by_cloud ? 1 : 0}).Bind(7, sale.occurred_at);
      TB_RETURN_IF_ERROR(insert_.Run());
      if (db_.Changes() == 0) continue;
      if (issued_by_cloud) {
        count_.Reset();
        count_.Bind(1, code);
        TB_RETURN_IF_ERROR(count_.Run());
      }
      const EventEnvelope envelope{event_id,         "coupon.redeemed",   sale.occurred_at,
                                   options.store_id, options.terminal_id, std::string(source)};
      insert_outbox.Reset();
      insert_outbox.Bind(1, event_id)
          .Bind(2, "coupon.redeemed")
          .Bind(3, sale.occurred_at)
          .Bind(4, sale.customer_phone)
          .Bind(5, CouponRedeemedEventJson(envelope, sale, code, sale_event_id, issued_by_cloud))
          .Bind(6, now);
      TB_RETURN_IF_ERROR(insert_outbox.Run());
      queued += db_.Changes();
    }
    return queued;
  }

 private:
  CouponRedeemer(Database& db, Statement find, Statement insert, Statement count)
      : db_(db), find_(std::move(find)), insert_(std::move(insert)), count_(std::move(count)) {}

  Database& db_;
  Statement find_;
  Statement insert_;
  Statement count_;
};

constexpr std::string_view kLoyaltyAccrued = "loyalty.accrued";

// A sale reports loyalty.accrued when it earned points and names the
// customer they belong to.
bool EarnsLoyaltyEvent(const Transaction& record) {
  return record.kind == TransactionKind::kSale && record.loyalty_points_earned.value_or(0) != 0 &&
         !record.customer_phone.empty();
}

// Whether an earlier revision of `record`'s sale already queued its
// loyalty.accrued: the outbox forgets delivered events, the transactions
// table does not. `select` is kSelectAccruedBefore.
constexpr const char* kSelectAccruedBefore =
    "SELECT 1 FROM transactions WHERE source = ?1 AND pos_id = ?2 AND revision <> ?3 "
    "AND kind = 'sale' AND coalesce(loyalty_points_earned, 0) <> 0 AND customer_phone <> '' "
    "LIMIT 1";
Result<bool> LoyaltyReportedBefore(Statement& select, std::string_view source,
                                   const Transaction& record) {
  select.Reset();
  select.Bind(1, source).Bind(2, record.pos_id).Bind(3, record.revision);
  return select.Step();
}

}  // namespace

Status TransactionLog::Ingest(std::string_view source, const std::vector<Transaction>& unmasked,
                              std::string_view new_cursor) {
  // The card-number guard: whatever a source read, the store keeps only
  // masked card numbers, in its tables and in the events it queues.
  std::vector<Transaction> records = unmasked;
  for (Transaction& record : records) MaskCardNumbersIn(record);
  std::lock_guard lock(core_.mutex);
  Database& db = *core_.db;
  TransactionGuard txn(db);
  TB_RETURN_IF_ERROR(txn.begin_status());
  const UnixMillis now = core_.Now();

  auto exists =
      db.Prepare("SELECT 1 FROM transactions WHERE source = ?1 AND pos_id = ?2 AND revision = ?3");
  auto insert_txn = db.Prepare(
      "INSERT INTO transactions (source, pos_id, revision, kind, occurred_at, currency, "
      "subtotal_minor, tax_minor, total_minor, cashier, customer_phone, coupon_codes, "
      "payments, receipt_text, event_id, stored_at, tip_minor, refund_of, loyalty_number, "
      "loyalty_points_earned, loyalty_balance) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
      "?18, ?19, ?20, ?21)");
  auto insert_line = db.Prepare(
      "INSERT INTO transaction_lines (transaction_id, line_no, sku, description, "
      "quantity_milli, unit_price_minor, total_minor, category) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  auto insert_outbox = db.Prepare(
      "INSERT INTO outbox (event_id, type, occurred_at, customer_key, payload, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (event_id) DO NOTHING");
  auto select_consent = db.Prepare(kSelectConsent);
  auto upsert_contact = db.Prepare(kUpsertContact);
  auto accrued_before = db.Prepare(kSelectAccruedBefore);
  for (auto* stmt : {&exists, &insert_txn, &insert_line, &insert_outbox, &select_consent,
                     &upsert_contact, &accrued_before}) {
    if (!stmt->ok()) return stmt->status();
  }

  int queued = 0;
  std::unique_ptr<CouponRedeemer> redeemer;
  std::unique_ptr<Attributor> attributor;  // prepared for the first record it concerns
  for (const Transaction& record : records) {
    if (record.pos_id.empty()) {
      return Status::InvalidArgument("transaction from source '" + std::string(source) +
                                     "' has an empty pos_id");
    }
    exists->Reset();
    exists->Bind(1, source).Bind(2, record.pos_id).Bind(3, record.revision);
    auto seen = exists->Step();
    if (!seen.ok()) return seen.status();
    if (*seen) continue;

    const std::string_view type = EventTypeFor(record.kind);
    const std::string event_id =
        MakeEventId(core_.options.store_id, source, record.pos_id, type, record.revision);
    insert_txn->Reset();
    insert_txn->Bind(1, source)
        .Bind(2, record.pos_id)
        .Bind(3, record.revision)
        .Bind(4, TransactionKindName(record.kind))
        .Bind(5, record.occurred_at)
        .Bind(6, record.currency)
        .Bind(7, record.subtotal_minor)
        .Bind(8, record.tax_minor)
        .Bind(9, record.total_minor)
        .Bind(10, record.cashier)
        .Bind(11, record.customer_phone)
        .Bind(12, JsonStringArray(record.coupon_codes))
        .Bind(13, PaymentsJson(record.payments))
        .Bind(14, record.receipt_text)
        .Bind(15, event_id)
        .Bind(16, now)
        .Bind(17, record.tip_minor);
    if (record.refund_of.empty()) {
      insert_txn->BindNull(18);
    } else {
      insert_txn->Bind(18, record.refund_of);
    }
    if (record.loyalty_number.empty()) {
      insert_txn->BindNull(19);
    } else {
      insert_txn->Bind(19, record.loyalty_number);
    }
    insert_txn->BindOptional(20, record.loyalty_points_earned)
        .BindOptional(21, record.loyalty_balance);
    TB_RETURN_IF_ERROR(insert_txn->Run());
    const std::int64_t row_id = db.LastInsertRowId();
    TB_RETURN_IF_ERROR(core_.Fault("ingest.after_transaction"));

    std::int64_t line_no = 0;
    for (const TransactionLine& line : record.lines) {
      insert_line->Reset();
      insert_line->Bind(1, row_id)
          .Bind(2, ++line_no)
          .Bind(3, line.sku)
          .Bind(4, line.description)
          .Bind(5, line.quantity_milli)
          .Bind(6, line.unit_price_minor)
          .Bind(7, line.total_minor)
          .Bind(8, line.category);
      TB_RETURN_IF_ERROR(insert_line->Run());
    }
    TB_RETURN_IF_ERROR(core_.Fault("ingest.after_lines"));
    TB_RETURN_IF_ERROR(UpdateContact(*upsert_contact, record, core_.options.store_id));

    auto snapshot = SnapshotFor(*select_consent, record.customer_phone);
    if (!snapshot.ok()) return snapshot.status();
    const EventEnvelope envelope{event_id,
                                 std::string(type),
                                 record.occurred_at,
                                 core_.options.store_id,
                                 core_.options.terminal_id,
                                 std::string(source)};
    insert_outbox->Reset();
    insert_outbox->Bind(1, event_id)
        .Bind(2, type)
        .Bind(3, record.occurred_at)
        .Bind(4, record.customer_phone)
        .Bind(5, TransactionEventJson(envelope, record, *snapshot))
        .Bind(6, now);
    TB_RETURN_IF_ERROR(insert_outbox->Run());
    queued += db.Changes();
    TB_RETURN_IF_ERROR(core_.Fault("ingest.after_outbox"));

    if (EarnsLoyaltyEvent(record)) {
      auto reported = LoyaltyReportedBefore(*accrued_before, source, record);
      if (!reported.ok()) return reported.status();
      if (!*reported) {
        // The revision is left out of the id: the points of a sale are
        // reported once, and a later revision (even with other points)
        // sends no correction; the POS's balance on later sales catches up.
        const std::string loyalty_id =
            MakeEventId(core_.options.store_id, source, record.pos_id, kLoyaltyAccrued, 1);
        const EventEnvelope loyalty_envelope{loyalty_id,
                                             std::string(kLoyaltyAccrued),
                                             record.occurred_at,
                                             core_.options.store_id,
                                             core_.options.terminal_id,
                                             std::string(source)};
        insert_outbox->Reset();
        insert_outbox->Bind(1, loyalty_id)
            .Bind(2, kLoyaltyAccrued)
            .Bind(3, record.occurred_at)
            .Bind(4, record.customer_phone)
            .Bind(5, LoyaltyAccruedEventJson(loyalty_envelope, record, event_id, *snapshot))
            .Bind(6, now);
        TB_RETURN_IF_ERROR(insert_outbox->Run());
        queued += db.Changes();
      }
    }

    if (record.kind == TransactionKind::kSale && !record.coupon_codes.empty()) {
      if (!redeemer) {
        auto prepared = CouponRedeemer::Prepare(db);
        if (!prepared.ok()) return prepared.status();
        redeemer = std::move(prepared).value();
      }
      auto redeemed =
          redeemer->Redeem(record, source, event_id, core_.options, *insert_outbox, now);
      if (!redeemed.ok()) return redeemed.status();
      queued += *redeemed;
    }

    // After the redemptions: a coupon the sale took is what credits it to
    // the message that carried the coupon.
    if (!Attributor::Concerns(record)) continue;
    if (!attributor) {
      auto prepared = Attributor::Prepare(db, core_.options.attribution_window_days, now);
      if (!prepared.ok()) return prepared.status();
      attributor = std::move(prepared).value();
    }
    TB_RETURN_IF_ERROR(attributor->OnTransaction(source, record));
  }

  auto cursor = db.Prepare(
      "INSERT INTO source_cursors (source, cursor, records, updated_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, "
      "records = records + excluded.records, updated_at = excluded.updated_at");
  if (!cursor.ok()) return cursor.status();
  cursor->Bind(1, source)
      .Bind(2, new_cursor)
      .Bind(3, static_cast<std::int64_t>(records.size()))
      .Bind(4, now);
  TB_RETURN_IF_ERROR(cursor->Run());
  TB_RETURN_IF_ERROR(core_.Fault("ingest.before_commit"));
  TB_RETURN_IF_ERROR(txn.Commit());
  if (queued > 0) core_.NotifyOutboxLocked();
  return Status::Ok();
}

Result<std::optional<std::string>> TransactionLog::Cursor(std::string_view source) {
  std::lock_guard lock(core_.mutex);
  auto select = core_.db->Prepare("SELECT cursor FROM source_cursors WHERE source = ?1");
  if (!select.ok()) return select.status();
  select->Bind(1, source);
  auto row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(select->Text(0));
}

Result<std::optional<std::int64_t>> TransactionLog::LatestRevision(std::string_view source,
                                                                   std::string_view pos_id) {
  std::lock_guard lock(core_.mutex);
  auto select =
      core_.db->Prepare("SELECT max(revision) FROM transactions WHERE source = ?1 AND pos_id = ?2");
  if (!select.ok()) return select.status();
  // Stored pos_ids are masked (Ingest), so the one asked for is masked too.
  select->Bind(1, source).Bind(2, MaskCardNumbers(pos_id));
  auto row = select->Step();
  if (!row.ok()) return row.status();
  return select->OptionalInt(0);
}

Result<std::int64_t> TransactionLog::Count() {
  std::lock_guard lock(core_.mutex);
  return core_.db->QueryInt("SELECT count(*) FROM transactions");
}

}  // namespace tillbridge::store
