#include "store/migrations.h"

#include <string>
#include <vector>

namespace tillbridge::store {
namespace {

// Each entry moves the schema from version i to i+1. Never edit a shipped
// entry: add a new one.
const std::vector<const char*>& Steps() {
  static const std::vector<const char*> steps = {
      // 0 -> 1: identity, transactions, outbox, consent ledger, cursors.
      R"sql(
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE contacts (
  phone TEXT PRIMARY KEY,
  first_seen_at INTEGER NOT NULL,
  purchase_count INTEGER NOT NULL DEFAULT 0,
  lifetime_value_minor INTEGER NOT NULL DEFAULT 0,
  currency TEXT,
  last_purchase_at INTEGER,
  last_store_id TEXT
);
CREATE TABLE disclosures (
  hash TEXT PRIMARY KEY,
  version TEXT NOT NULL,
  purpose TEXT NOT NULL CHECK (purpose IN ('transactional', 'marketing')),
  text TEXT NOT NULL,
  frequency TEXT NOT NULL,
  installed_at INTEGER NOT NULL,
  UNIQUE (purpose, version)
);
CREATE TABLE consent_ledger (
  seq INTEGER PRIMARY KEY,
  phone TEXT NOT NULL,
  purpose TEXT NOT NULL,
  state TEXT NOT NULL,
  previous_state TEXT NOT NULL,
  method TEXT NOT NULL,
  actor TEXT NOT NULL,
  store_id TEXT NOT NULL,
  terminal_id TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  disclosure_hash TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  row_hash TEXT NOT NULL
);
CREATE INDEX consent_ledger_phone ON consent_ledger (phone, seq);
CREATE TABLE consent_state (
  phone TEXT NOT NULL,
  purpose TEXT NOT NULL,
  state TEXT NOT NULL,
  method TEXT NOT NULL,
  actor TEXT NOT NULL,
  changed_at INTEGER NOT NULL,
  ledger_seq INTEGER NOT NULL REFERENCES consent_ledger (seq),
  PRIMARY KEY (phone, purpose)
) WITHOUT ROWID;
CREATE TABLE transactions (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  pos_id TEXT NOT NULL,
  revision INTEGER NOT NULL,
  kind TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  currency TEXT NOT NULL,
  subtotal_minor INTEGER NOT NULL,
  tax_minor INTEGER NOT NULL,
  total_minor INTEGER NOT NULL,
  cashier TEXT NOT NULL,
  customer_phone TEXT NOT NULL,
  coupon_codes TEXT NOT NULL,
  payments TEXT NOT NULL,
  receipt_text TEXT NOT NULL,
  event_id TEXT NOT NULL,
  stored_at INTEGER NOT NULL,
  UNIQUE (source, pos_id, revision)
);
CREATE INDEX transactions_phone ON transactions (customer_phone);
CREATE TABLE transaction_lines (
  transaction_id INTEGER NOT NULL REFERENCES transactions (id) ON DELETE CASCADE,
  line_no INTEGER NOT NULL,
  sku TEXT NOT NULL,
  description TEXT NOT NULL,
  quantity_milli INTEGER NOT NULL,
  unit_price_minor INTEGER NOT NULL,
  total_minor INTEGER NOT NULL,
  PRIMARY KEY (transaction_id, line_no)
);
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  customer_key TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);
CREATE INDEX outbox_customer ON outbox (customer_key, seq);
CREATE TABLE dead_letters (
  event_id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  reason TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  failed_at INTEGER NOT NULL
);
CREATE TABLE source_cursors (
  source TEXT PRIMARY KEY,
  cursor TEXT NOT NULL,
  records INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
)sql",
      // 1 -> 2: what the cloud sends back (coupons, engagement, loyalty,
      // customer fields), the pull cursor, and API idempotency keys.
      R"sql(
CREATE TABLE sync_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE coupons (
  code TEXT PRIMARY KEY,
  phone TEXT,
  description TEXT NOT NULL DEFAULT '',
  discount_minor INTEGER,
  discount_percent INTEGER,
  currency TEXT,
  valid_from INTEGER,
  valid_until INTEGER,
  max_redemptions INTEGER NOT NULL DEFAULT 1,
  redeemed_count INTEGER NOT NULL DEFAULT 0,
  issued_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE engagement (
  id INTEGER PRIMARY KEY,
  change_id TEXT NOT NULL UNIQUE,
  phone TEXT NOT NULL,
  kind TEXT NOT NULL,
  campaign TEXT NOT NULL DEFAULT '',
  occurred_at INTEGER NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX engagement_phone ON engagement (phone, occurred_at);
ALTER TABLE contacts ADD COLUMN loyalty_points INTEGER;
ALTER TABLE contacts ADD COLUMN loyalty_tier TEXT;
ALTER TABLE contacts ADD COLUMN segments TEXT NOT NULL DEFAULT '[]';
ALTER TABLE contacts ADD COLUMN cloud_fields TEXT NOT NULL DEFAULT '{}';
CREATE TABLE idempotency_keys (
  key TEXT PRIMARY KEY,
  request_hash TEXT NOT NULL,
  response TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
)sql",
      // 2 -> 3: whether the current state came from the customer's own
      // explicit act, so an older opt-out arriving late cannot undo it.
      // States recorded before this version count as explicit.
      R"sql(
ALTER TABLE consent_state ADD COLUMN is_explicit INTEGER NOT NULL DEFAULT 1;
)sql",
      // 3 -> 4: coupons taken at this register, one row per sale and code,
      // so a corrected revision of a sale never redeems a coupon twice.
      R"sql(
CREATE TABLE coupon_redemptions (
  event_id TEXT PRIMARY KEY,
  code TEXT NOT NULL,
  source TEXT NOT NULL,
  pos_id TEXT NOT NULL,
  phone TEXT,
  issued_by_cloud INTEGER NOT NULL,
  redeemed_at INTEGER NOT NULL
);
CREATE INDEX coupon_redemptions_code ON coupon_redemptions (code);
)sql",
      // 4 -> 5: tips and the sale a refund returns, as POS databases report
      // them.
      R"sql(
ALTER TABLE transactions ADD COLUMN tip_minor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE transactions ADD COLUMN refund_of TEXT;
)sql",
      // 5 -> 6: cashier page sign-ins and used launch links survive a
      // restart.
      R"sql(
CREATE TABLE web_sessions (
  id_hash TEXT PRIMARY KEY,
  csrf TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE TABLE used_launch_links (
  nonce TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
)sql",
      // 6 -> 7: the loyalty number a receipt or POS gave with the sale.
      R"sql(
ALTER TABLE transactions ADD COLUMN loyalty_number TEXT;
)sql",
      // 7 -> 8: the UPC/EAN-13 number the cloud prints on a coupon,
      // so a scanned barcode finds the coupon like its code does.
      R"sql(
ALTER TABLE coupons ADD COLUMN upc TEXT;
CREATE INDEX coupons_by_upc ON coupons (upc) WHERE upc IS NOT NULL;
)sql",
      // 8 -> 9: loyalty points a sale earned and the balance after
      // it, as the POS or receipt reported them.
      R"sql(
ALTER TABLE transactions ADD COLUMN loyalty_points_earned INTEGER;
ALTER TABLE transactions ADD COLUMN loyalty_balance INTEGER;
)sql",
      // 9 -> 10: closed-loop attribution. Every message the cloud reports
      // sent (engagement kind message_sent), with what attribution needs
      // lifted out of its detail; the message credited with each sale; the
      // indexes the ROI report reads through; and the role of a web
      // sign-in. The backfill repeats the rule of store/attribution.cpp on
      // purpose: a shipped migration must not change when that code does.
      R"sql(
CREATE TABLE sms_messages (
  change_id TEXT PRIMARY KEY,
  phone TEXT NOT NULL,
  campaign TEXT NOT NULL,
  rule TEXT NOT NULL,
  purpose TEXT NOT NULL,
  message_id TEXT NOT NULL,
  coupon_code TEXT NOT NULL,
  attributable INTEGER NOT NULL,
  sent_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sms_messages_phone ON sms_messages (phone, sent_at);
-- Covering: the ROI report counts a range's messages from the index alone.
CREATE INDEX sms_messages_sent ON sms_messages (sent_at, campaign, rule, purpose, coupon_code);
CREATE INDEX sms_messages_coupon ON sms_messages (coupon_code, sent_at) WHERE coupon_code <> '';
INSERT INTO sms_messages (change_id, phone, campaign, rule, purpose, message_id, coupon_code,
                          attributable, sent_at)
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
        FROM engagement WHERE kind = 'message_sent')
);
CREATE TABLE attributions (
  source TEXT NOT NULL,
  pos_id TEXT NOT NULL,
  phone TEXT NOT NULL,
  basis TEXT NOT NULL CHECK (basis IN ('coupon', 'last_touch')),
  message_change_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  campaign TEXT NOT NULL,
  rule TEXT NOT NULL,
  message_at INTEGER NOT NULL,
  coupon_code TEXT NOT NULL,
  sale_at INTEGER NOT NULL,
  window_days INTEGER NOT NULL,
  attributed_at INTEGER NOT NULL,
  reversed_at INTEGER,
  reversed_by TEXT,
  reversal TEXT CHECK (reversal IN ('refund', 'void')),
  PRIMARY KEY (source, pos_id)
) WITHOUT ROWID;
CREATE INDEX attributions_sale_at ON attributions (sale_at);
-- The ROI report reads a range's sales, and each customer's sales, from
-- these two indexes alone (covering), never from the table's rows; the
-- second replaces transactions_phone, which it extends.
CREATE INDEX transactions_occurred ON transactions (occurred_at, kind, currency, cashier,
                                                    total_minor, customer_phone, source,
                                                    pos_id, revision);
DROP INDEX transactions_phone;
CREATE INDEX transactions_customer ON transactions (customer_phone, occurred_at, kind, currency,
                                                    source, pos_id, revision);
CREATE INDEX transactions_revised ON transactions (source, pos_id, revision) WHERE revision > 1;
CREATE INDEX transactions_refund_of ON transactions (source, refund_of) WHERE refund_of IS NOT NULL;
CREATE INDEX coupon_redemptions_sale ON coupon_redemptions (source, pos_id);
CREATE INDEX coupon_redemptions_upper ON coupon_redemptions (upper(code), redeemed_at);
CREATE INDEX consent_ledger_occurred ON consent_ledger (occurred_at);
ALTER TABLE web_sessions ADD COLUMN role TEXT NOT NULL DEFAULT 'cashier';
)sql",
      // 10 -> 11: a refund of part of a credited sale takes back only what
      // it gave back. Attributions reversed by refunds that, summed, gave
      // back less than the sale's total (and not voided) are credited
      // again, net of them.
      R"sql(
ALTER TABLE attributions ADD COLUMN refunded_minor INTEGER NOT NULL DEFAULT 0;
UPDATE attributions SET refunded_minor = coalesce((
  SELECT sum(abs(r.total_minor)) FROM transactions r
  WHERE r.source = attributions.source AND r.refund_of = attributions.pos_id
    AND r.kind = 'refund'
    AND NOT EXISTS (SELECT 1 FROM transactions u WHERE u.source = r.source
                    AND u.pos_id = r.pos_id AND u.revision > r.revision)), 0)
WHERE reversal = 'refund';
UPDATE attributions SET reversed_at = NULL, reversed_by = NULL, reversal = NULL
WHERE reversal = 'refund' AND refunded_minor < (
  SELECT s.total_minor FROM transactions s
  WHERE s.source = attributions.source AND s.pos_id = attributions.pos_id AND s.kind = 'sale'
  ORDER BY s.revision DESC LIMIT 1)
  AND NOT EXISTS (SELECT 1 FROM transactions v WHERE v.source = attributions.source
                  AND v.pos_id = attributions.pos_id AND v.kind = 'void');
)sql",
      // 11 -> 12: a line's category, as the POS names it.
      R"sql(
ALTER TABLE transaction_lines ADD COLUMN category TEXT NOT NULL DEFAULT '';
)sql",
  };
  return steps;
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(Steps().size()); }

Status Migrate(Database& db, int target) {
  if (target < 0) target = LatestSchemaVersion();
  auto current = db.QueryInt("PRAGMA user_version");
  if (!current.ok()) return current.status();
  if (*current > LatestSchemaVersion()) {
    return Status::FailedPrecondition("store schema version " + std::to_string(*current) +
                                      " is newer than this build understands (" +
                                      std::to_string(LatestSchemaVersion()) +
                                      "); install a newer tillbridge");
  }
  for (int version = static_cast<int>(*current); version < target; ++version) {
    TransactionGuard txn(db);
    TB_RETURN_IF_ERROR(txn.begin_status());
    Status step = db.Exec(Steps()[static_cast<size_t>(version)]);
    if (!step.ok()) {
      return Status(step.code(), "migration to schema " + std::to_string(version + 1) +
                                     " failed: " + step.message());
    }
    TB_RETURN_IF_ERROR(db.Exec("PRAGMA user_version = " + std::to_string(version + 1)));
    TB_RETURN_IF_ERROR(txn.Commit());
  }
  return Status::Ok();
}

}  // namespace tillbridge::store
