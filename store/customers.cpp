#include "store/customers.h"

#include "common/card_numbers.h"
#include "store/attribution.h"
#include "store/card_guard.h"
#include "store/store_core.h"

namespace tillbridge::store {
namespace {

constexpr int kRecentEngagement = 10;

Status RequireE164(const std::string& phone) {
  if (phone.size() < 2 || phone[0] != '+') return Status::InvalidArgument("phone must be E.164");
  return Status::Ok();
}

Status LoadContact(Database& db, CustomerProfile& profile) {
  auto select = db.Prepare(
      "SELECT first_seen_at, purchase_count, lifetime_value_minor, currency, last_purchase_at, "
      "last_store_id, loyalty_points, loyalty_tier, segments, cloud_fields "
      "FROM contacts WHERE phone = ?1");
  if (!select.ok()) return select.status();
  select->Bind(1, profile.phone);
  auto row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Ok();
  profile.has_contact = true;
  profile.first_seen_at = select->Int(0);
  profile.purchase_count = select->Int(1);
  profile.lifetime_value_minor = select->Int(2);
  profile.currency = select->OptionalText(3).value_or("");
  profile.last_purchase_at = select->OptionalInt(4);
  profile.last_store_id = select->OptionalText(5).value_or("");
  profile.loyalty_points = select->OptionalInt(6);
  profile.loyalty_tier = select->OptionalText(7);
  profile.segments_json = select->Text(8);
  profile.cloud_fields_json = select->Text(9);
  return Status::Ok();
}

Status LoadLoyaltyNumbers(Database& db, CustomerProfile& profile) {
  auto select = db.Prepare(
      "SELECT loyalty_number, max(occurred_at) AS last_used FROM transactions "
      "WHERE customer_phone = ?1 AND loyalty_number IS NOT NULL AND loyalty_number <> '' "
      "GROUP BY loyalty_number ORDER BY last_used DESC LIMIT 5");
  if (!select.ok()) return select.status();
  select->Bind(1, profile.phone);
  for (;;) {
    auto row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    profile.loyalty_numbers.push_back(select->Text(0));
  }
  return Status::Ok();
}

Status LoadEngagement(Database& db, CustomerProfile& profile) {
  auto counts = db.Prepare(
      "SELECT kind, count(*), max(occurred_at) FROM engagement WHERE phone = ?1 GROUP BY kind");
  if (!counts.ok()) return counts.status();
  counts->Bind(1, profile.phone);
  for (;;) {
    auto row = counts->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    profile.engagement_counts[counts->Text(0)] = counts->Int(1);
    const UnixMillis last = counts->Int(2);
    if (!profile.last_engagement_at || last > *profile.last_engagement_at) {
      profile.last_engagement_at = last;
    }
  }
  auto recent = db.Prepare(
      "SELECT change_id, kind, campaign, occurred_at, detail FROM engagement WHERE phone = ?1 "
      "ORDER BY occurred_at DESC, id DESC LIMIT ?2");
  if (!recent.ok()) return recent.status();
  recent->Bind(1, profile.phone).Bind(2, std::int64_t{kRecentEngagement});
  for (;;) {
    auto row = recent->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    EngagementEvent event;
    event.phone = profile.phone;
    event.change_id = recent->Text(0);
    event.kind = recent->Text(1);
    event.campaign = recent->Text(2);
    event.occurred_at = recent->Int(3);
    event.detail_json = recent->Text(4);
    profile.recent_engagement.push_back(std::move(event));
  }
  return Status::Ok();
}

Status LoadValidCoupons(Database& db, UnixMillis now, CustomerProfile& profile) {
  auto select = db.Prepare(
      "SELECT code, description, discount_minor, discount_percent, currency, valid_from, "
      "valid_until, max_redemptions, redeemed_count FROM coupons WHERE phone = ?1 "
      "ORDER BY valid_until IS NULL, valid_until, code");
  if (!select.ok()) return select.status();
  select->Bind(1, profile.phone);
  for (;;) {
    auto row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    CloudCoupon coupon;
    coupon.code = select->Text(0);
    coupon.description = select->Text(1);
    coupon.discount_minor = select->OptionalInt(2);
    coupon.discount_percent = select->OptionalInt(3);
    coupon.currency = select->OptionalText(4).value_or("");
    coupon.valid_from = select->OptionalInt(5);
    coupon.valid_until = select->OptionalInt(6);
    coupon.max_redemptions = select->Int(7);
    coupon.redeemed_count = select->Int(8);
    // The counter takes only what JudgeCoupon accepts, so the profile offers
    // nothing else.
    if (JudgeCoupon(coupon, now) == CouponVerdict::kValid) {
      profile.valid_coupons.push_back(std::move(coupon));
    }
  }
  return Status::Ok();
}

Status LoadLastPull(Database& db, CustomerProfile& profile) {
  auto select = db.Prepare("SELECT value FROM sync_state WHERE key = 'cloud.last_pull_at'");
  if (!select.ok()) return select.status();
  auto row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Ok();
  // A value that does not parse reads as "never pulled": the page then says
  // the cloud data may be old, which is the safe claim.
  auto parsed = ParseRfc3339(select->Text(0));
  if (parsed.ok()) profile.cloud_last_pull_at = *parsed;
  return Status::Ok();
}

}  // namespace

Result<std::optional<CustomerProfile>> Customers::Find(const std::string& phone) {
  std::lock_guard lock(core_.mutex);
  Database& db = *core_.db;
  CustomerProfile profile;
  profile.phone = phone;
  TB_RETURN_IF_ERROR(LoadContact(db, profile));
  TB_RETURN_IF_ERROR(LoadEngagement(db, profile));
  TB_RETURN_IF_ERROR(LoadLoyaltyNumbers(db, profile));
  auto consent = db.Prepare("SELECT count(*) FROM consent_state WHERE phone = ?1");
  if (!consent.ok()) return consent.status();
  consent->Bind(1, phone);
  auto row = consent->Step();
  if (!row.ok()) return row.status();
  profile.has_consent = *row && consent->Int(0) > 0;
  if (!profile.has_contact && !profile.has_consent && profile.engagement_counts.empty()) {
    return std::optional<CustomerProfile>();
  }
  TB_RETURN_IF_ERROR(LoadValidCoupons(db, core_.Now(), profile));
  TB_RETURN_IF_ERROR(LoadLastPull(db, profile));
  return std::optional<CustomerProfile>(std::move(profile));
}

Status Customers::ApplyCloudProfile(const CloudProfileUpdate& update) {
  TB_RETURN_IF_ERROR(RequireE164(update.phone));
  std::lock_guard lock(core_.mutex);
  Database& db = *core_.db;
  TransactionGuard txn(db);
  TB_RETURN_IF_ERROR(txn.begin_status());
  auto create = db.Prepare(
      "INSERT INTO contacts (phone, first_seen_at) VALUES (?1, ?2) ON CONFLICT (phone) DO NOTHING");
  if (!create.ok()) return create.status();
  create->Bind(1, update.phone).Bind(2, core_.Now());
  TB_RETURN_IF_ERROR(create->Run());
  // One statement per field keeps "not sent" distinct from "cleared".
  auto set = [&](const char* sql, auto bind) -> Status {
    auto stmt = db.Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, update.phone);
    bind(*stmt);
    return stmt->Run();
  };
  if (update.loyalty_points) {
    TB_RETURN_IF_ERROR(set("UPDATE contacts SET loyalty_points = ?2 WHERE phone = ?1",
                           [&](Statement& s) { s.Bind(2, *update.loyalty_points); }));
  }
  if (update.loyalty_tier) {
    TB_RETURN_IF_ERROR(
        set("UPDATE contacts SET loyalty_tier = ?2 WHERE phone = ?1",
            [&](Statement& s) { s.Bind(2, MaskCardNumbers(*update.loyalty_tier)); }));
  }
  if (update.segments_json) {
    TB_RETURN_IF_ERROR(set("UPDATE contacts SET segments = ?2 WHERE phone = ?1", [&](Statement& s) {
      s.Bind(2, MaskCardNumbersInJson(*update.segments_json));
    }));
  }
  if (update.cloud_fields_json) {
    TB_RETURN_IF_ERROR(
        set("UPDATE contacts SET cloud_fields = ?2 WHERE phone = ?1",
            [&](Statement& s) { s.Bind(2, MaskCardNumbersInJson(*update.cloud_fields_json)); }));
  }
  return txn.Commit();
}

Result<bool> Customers::AddEngagement(const EngagementEvent& event) {
  TB_RETURN_IF_ERROR(RequireE164(event.phone));
  if (event.change_id.empty()) return Status::InvalidArgument("engagement change_id is empty");
  if (event.kind.empty()) return Status::InvalidArgument("engagement kind is empty");
  std::lock_guard lock(core_.mutex);
  Database& db = *core_.db;
  TransactionGuard txn(db);
  TB_RETURN_IF_ERROR(txn.begin_status());
  auto insert = db.Prepare(
      "INSERT INTO engagement (change_id, phone, kind, campaign, occurred_at, detail) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (change_id) DO NOTHING");
  if (!insert.ok()) return insert.status();
  // Cloud text is masked like any source's (an SMS a customer wrote may hold
  // a card number).
  const std::string change_id = MaskCardNumbers(event.change_id);
  insert->Bind(1, change_id)
      .Bind(2, event.phone)
      .Bind(3, MaskCardNumbers(event.kind))
      .Bind(4, MaskCardNumbers(event.campaign))
      .Bind(5, event.occurred_at)
      .Bind(6, event.detail_json.empty() ? std::string("{}")
                                         : MaskCardNumbersInJson(event.detail_json));
  TB_RETURN_IF_ERROR(insert->Run());
  if (db.Changes() == 0) return false;
  if (event.kind != "message_sent") {
    TB_RETURN_IF_ERROR(txn.Commit());
    return true;
  }
  // A message sent is stored with the attributions it decides, in the same
  // transaction (store/attribution.h).
  auto attributor = Attributor::Prepare(db, core_.options.attribution_window_days, core_.Now());
  if (!attributor.ok()) return attributor.status();
  TB_RETURN_IF_ERROR((*attributor)->OnEngagementStored(change_id));
  TB_RETURN_IF_ERROR(txn.Commit());
  return true;
}

}  // namespace tillbridge::store
