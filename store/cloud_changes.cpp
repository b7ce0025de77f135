#include "store/cloud_changes.h"

#include <Poco/JSON/Parser.h>

#include <functional>
#include <memory>

#include "common/card_numbers.h"
#include "common/coupon_scan.h"
#include "store/attribution.h"
#include "store/card_guard.h"
#include "store/consent_ledger.h"
#include "store/event_json.h"
#include "store/store_core.h"

namespace tillbridge::store {
namespace {

bool IsE164(const std::string& phone) {
  if (phone.size() < 8 || phone.size() > 16 || phone[0] != '+' || phone[1] == '0') return false;
  for (size_t i = 1; i < phone.size(); ++i) {
    if (phone[i] < '0' || phone[i] > '9') return false;
  }
  return true;
}

bool IsJsonObject(const std::string& text) {
  try {
    Poco::JSON::Parser parser;
    return parser.parse(text).type() == typeid(Poco::JSON::Object::Ptr);
  } catch (const Poco::Exception&) {
    return false;
  }
}

Result<std::optional<std::string>> LoadCursor(Database& db) {
  auto select = db.Prepare("SELECT value FROM sync_state WHERE key = ?1");
  if (!select.ok()) return select.status();
  select->Bind(1, kPullCursorKey);
  auto row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(select->Text(0));
}

// Contacts rows exist for every phone the store knows; the cloud may know a
// phone first (a customer who texted the store's number), so create one.
Status EnsureContact(Database& db, const CloudChange& change) {
  auto insert = db.Prepare(
      "INSERT INTO contacts (phone, first_seen_at) VALUES (?1, ?2) ON CONFLICT (phone) DO NOTHING");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, change.phone).Bind(2, change.occurred_at);
  return insert->Run();
}

// Applies one change; returns true when local state changed. A returned
// InvalidArgument means "skip this entry", anything else aborts the page.
class ChangeApplier {
 public:
  // `record` is ConsentLedger::RecordLocked, reachable only from CloudChanges.
  // `window_days` and `now` are for attributing sales to messages sent.
  ChangeApplier(Database& db, ApplyReport& report,
                std::function<Result<ConsentOutcome>(const ConsentChange&)> record,
                std::int64_t window_days, UnixMillis now)
      : db_(db),
        report_(report),
        record_(std::move(record)),
        window_days_(window_days),
        now_(now) {}

  Result<bool> Apply(const CloudChange& change) {
    return std::visit([&](const auto& data) { return ApplyData(change, data); }, change.data);
  }

 private:
  Result<bool> ApplyData(const CloudChange& change, const CloudConsentChange& data) {
    if (data.purposes.empty()) return Status::InvalidArgument("consent change names no purpose");
    if (data.state == ConsentState::kNone) {
      return Status::InvalidArgument("consent change to state 'none' is not allowed");
    }
    if (data.method.empty()) return Status::InvalidArgument("consent change has no method");
    bool changed = false;
    for (ConsentPurpose purpose : data.purposes) {
      ConsentChange request;
      request.phone = change.phone;
      request.purpose = purpose;
      request.granted = data.state != ConsentState::kOptedOut;
      request.requires_confirmation = data.state == ConsentState::kPending;
      request.method = data.method;
      request.actor = data.actor.empty() ? "cloud" : data.actor;
      request.occurred_at = change.occurred_at;
      request.detail = data.keyword.empty() ? "cloud change " + change.change_id
                                            : "SMS " + data.keyword + " (" + change.change_id + ")";
      request.is_explicit = data.is_explicit;
      // The cloud already knows: echoing the change back would loop.
      request.queue_event = false;
      auto outcome = record_(request);
      if (!outcome.ok()) return outcome.status();
      changed = changed || outcome->changed;
    }
    if (changed) report_.consent_changed.push_back(change.phone);
    return changed;
  }

  Result<bool> ApplyData(const CloudChange& change, const CloudCoupon& data) {
    if (data.code.empty()) return Status::InvalidArgument("coupon has no code");
    if (!data.discount_minor && !data.discount_percent) {
      return Status::InvalidArgument("coupon " + data.code +
                                     " has neither discount_minor nor discount_percent");
    }
    if (data.discount_minor && data.currency.size() != 3) {
      return Status::InvalidArgument("coupon " + data.code +
                                     " has an amount but no ISO 4217 currency");
    }
    if (data.max_redemptions < 1) {
      return Status::InvalidArgument("coupon " + data.code + " allows fewer than one redemption");
    }
    auto upsert = db_.Prepare(
        "INSERT INTO coupons (code, phone, description, discount_minor, discount_percent, "
        "currency, valid_from, valid_until, max_redemptions, redeemed_count, issued_at, "
        "updated_at, upc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12) "
        "ON CONFLICT (code) DO UPDATE SET phone = excluded.phone, "
        "description = excluded.description, discount_minor = excluded.discount_minor, "
        "discount_percent = excluded.discount_percent, currency = excluded.currency, "
        "valid_from = excluded.valid_from, valid_until = excluded.valid_until, "
        "max_redemptions = excluded.max_redemptions, "
        // Redemptions at this register may not have reached the cloud yet.
        "redeemed_count = max(redeemed_count, excluded.redeemed_count), "
        // A reissue without a number keeps the one the coupon had.
        "upc = coalesce(excluded.upc, upc), "
        "updated_at = excluded.updated_at");
    if (!upsert.ok()) return upsert.status();
    // What the cloud sends is masked like any source's text (a coupon text
    // or an SMS a customer wrote may hold a card number).
    upsert->Bind(1, MaskCardNumbers(data.code));
    if (change.phone.empty())
      upsert->BindNull(2);
    else
      upsert->Bind(2, change.phone);
    upsert->Bind(3, MaskCardNumbers(data.description))
        .BindOptional(4, data.discount_minor)
        .BindOptional(5, data.discount_percent);
    if (data.currency.empty())
      upsert->BindNull(6);
    else
      upsert->Bind(6, MaskCardNumbers(data.currency));
    upsert->BindOptional(7, data.valid_from)
        .BindOptional(8, data.valid_until)
        .Bind(9, data.max_redemptions)
        .Bind(10, data.redeemed_count)
        .Bind(11, change.occurred_at);
    // A barcode that would not scan is worth less than the coupon itself:
    // keep the coupon, leave the number out (the puller logs it).
    const std::optional<std::string> upc = NormalizeCouponUpc(data.upc);
    if (upc)
      upsert->Bind(12, *upc);
    else
      upsert->BindNull(12);
    TB_RETURN_IF_ERROR(upsert->Run());
    return true;
  }

  Result<bool> ApplyData(const CloudChange& change, const CloudEngagement& data) {
    if (data.kind.empty()) return Status::InvalidArgument("engagement has no kind");
    if (!IsJsonObject(data.detail_json)) {
      return Status::InvalidArgument("engagement detail is not a JSON object");
    }
    auto insert = db_.Prepare(
        "INSERT INTO engagement (change_id, phone, kind, campaign, occurred_at, detail) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (change_id) DO NOTHING");
    if (!insert.ok()) return insert.status();
    const std::string change_id = MaskCardNumbers(change.change_id);
    insert->Bind(1, change_id)
        .Bind(2, change.phone)
        .Bind(3, MaskCardNumbers(data.kind))
        .Bind(4, MaskCardNumbers(data.campaign))
        .Bind(5, change.occurred_at)
        .Bind(6, MaskCardNumbersInJson(data.detail_json));
    TB_RETURN_IF_ERROR(insert->Run());
    if (db_.Changes() == 0) return false;
    if (data.kind != "message_sent") return true;
    // A message can arrive after the sales it should be credited with (the
    // feed was down): attribution is decided again as it lands.
    if (!attributor_) {
      auto prepared = Attributor::Prepare(db_, window_days_, now_);
      if (!prepared.ok()) return prepared.status();
      attributor_ = std::move(prepared).value();
    }
    TB_RETURN_IF_ERROR(attributor_->OnEngagementStored(change_id));
    return true;
  }

  Result<bool> ApplyData(const CloudChange& change, const CloudLoyalty& data) {
    if (!data.points && !data.tier)
      return Status::InvalidArgument("loyalty change carries no value");
    if (data.points && *data.points < 0)
      return Status::InvalidArgument("loyalty points are negative");
    TB_RETURN_IF_ERROR(EnsureContact(db_, change));
    auto update = db_.Prepare(
        "UPDATE contacts SET loyalty_points = coalesce(?2, loyalty_points), "
        "loyalty_tier = coalesce(?3, loyalty_tier) WHERE phone = ?1 AND "
        "(loyalty_points IS NOT coalesce(?2, loyalty_points) OR "
        " loyalty_tier IS NOT coalesce(?3, loyalty_tier))");
    if (!update.ok()) return update.status();
    std::optional<std::string> tier;
    if (data.tier) tier = MaskCardNumbers(*data.tier);
    update->Bind(1, change.phone).BindOptional(2, data.points).BindOptional(3, tier);
    TB_RETURN_IF_ERROR(update->Run());
    return db_.Changes() > 0;
  }

  Result<bool> ApplyData(const CloudChange& change, const CloudSegments& data) {
    for (const auto& segment : data.segments) {
      if (segment.empty()) return Status::InvalidArgument("segment names must not be empty");
    }
    TB_RETURN_IF_ERROR(EnsureContact(db_, change));
    auto update =
        db_.Prepare("UPDATE contacts SET segments = ?2 WHERE phone = ?1 AND segments IS NOT ?2");
    if (!update.ok()) return update.status();
    std::vector<std::string> segments;
    for (const auto& segment : data.segments) segments.push_back(MaskCardNumbers(segment));
    update->Bind(1, change.phone).Bind(2, JsonStringArray(segments));
    TB_RETURN_IF_ERROR(update->Run());
    return db_.Changes() > 0;
  }

  Result<bool> ApplyData(const CloudChange& change, const CloudCustomerFields& data) {
    if (!IsJsonObject(data.fields_json)) {
      return Status::InvalidArgument("customer fields are not a JSON object");
    }
    TB_RETURN_IF_ERROR(EnsureContact(db_, change));
    auto update = db_.Prepare(
        "UPDATE contacts SET cloud_fields = ?2 WHERE phone = ?1 AND cloud_fields IS NOT ?2");
    if (!update.ok()) return update.status();
    update->Bind(1, change.phone).Bind(2, MaskCardNumbersInJson(data.fields_json));
    TB_RETURN_IF_ERROR(update->Run());
    return db_.Changes() > 0;
  }

  Database& db_;
  ApplyReport& report_;
  std::function<Result<ConsentOutcome>(const ConsentChange&)> record_;
  std::int64_t window_days_;
  UnixMillis now_;
  std::unique_ptr<Attributor> attributor_;  // prepared on the first engagement row
};

}  // namespace

Result<ApplyReport> CloudChanges::ApplyPage(const std::vector<CloudChange>& changes,
                                            std::string_view next_cursor,
                                            const std::optional<std::string>& expected_cursor) {
  if (next_cursor.empty()) return Status::InvalidArgument("next cursor must not be empty");
  std::lock_guard lock(core_.mutex);
  Database& db = *core_.db;
  TransactionGuard txn(db);
  TB_RETURN_IF_ERROR(txn.begin_status());
  if (expected_cursor) {
    auto stored = LoadCursor(db);
    if (!stored.ok()) return stored.status();
    if (stored->value_or("") != *expected_cursor) {
      return Status::FailedPrecondition(
          "pull cursor moved underneath this page (another puller applied it)");
    }
  }

  ApplyReport report;
  ChangeApplier applier(
      db, report, [this](const ConsentChange& request) { return consents_.RecordLocked(request); },
      core_.options.attribution_window_days, core_.Now());
  for (const CloudChange& change : changes) {
    const bool phone_optional = std::holds_alternative<CloudCoupon>(change.data);
    Status invalid;
    if (change.change_id.empty()) {
      invalid = Status::InvalidArgument("change has no id");
    } else if (!(phone_optional && change.phone.empty()) && !IsE164(change.phone)) {
      invalid = Status::InvalidArgument("phone '" + change.phone + "' is not E.164");
    }
    if (invalid.ok()) {
      auto applied = applier.Apply(change);
      if (applied.ok()) {
        ++(*applied ? report.applied : report.unchanged);
        continue;
      }
      if (applied.status().code() != StatusCode::kInvalidArgument) return applied.status();
      invalid = applied.status();
    }
    ++report.skipped;
    report.skip_reasons.push_back((change.change_id.empty() ? "(no id)" : change.change_id) + ": " +
                                  invalid.message());
  }
  TB_RETURN_IF_ERROR(core_.Fault("cloud_changes.before_cursor"));

  auto cursor = db.Prepare(
      "INSERT INTO sync_state (key, value) VALUES (?1, ?2) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  if (!cursor.ok()) return cursor.status();
  cursor->Bind(1, kPullCursorKey).Bind(2, next_cursor);
  TB_RETURN_IF_ERROR(cursor->Run());
  TB_RETURN_IF_ERROR(txn.Commit());
  return report;
}

Result<std::optional<std::string>> CloudChanges::Cursor() {
  std::lock_guard lock(core_.mutex);
  return LoadCursor(*core_.db);
}

namespace {

constexpr std::string_view kSelectCoupon =
    "SELECT description, discount_minor, discount_percent, currency, valid_from, "
    "valid_until, max_redemptions, redeemed_count, code, upc FROM coupons ";

// The coupon of the row `select` stands on, or nullopt past the last row.
Result<std::optional<CloudCoupon>> ReadCoupon(Statement& select) {
  auto row = select.Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<CloudCoupon>();
  CloudCoupon coupon;
  coupon.description = select.Text(0);
  coupon.discount_minor = select.OptionalInt(1);
  coupon.discount_percent = select.OptionalInt(2);
  coupon.currency = select.OptionalText(3).value_or("");
  coupon.valid_from = select.OptionalInt(4);
  coupon.valid_until = select.OptionalInt(5);
  coupon.max_redemptions = select.Int(6);
  coupon.redeemed_count = select.Int(7);
  coupon.code = select.Text(8);
  coupon.upc = select.OptionalText(9).value_or("");
  return std::optional<CloudCoupon>(std::move(coupon));
}

}  // namespace

Result<std::optional<CloudCoupon>> CloudChanges::Coupon(const std::string& code) {
  std::lock_guard lock(core_.mutex);
  auto select = core_.db->Prepare(std::string(kSelectCoupon) + "WHERE code = ?1 COLLATE NOCASE");
  if (!select.ok()) return select.status();
  // Stored codes are masked (ApplyPage), so the one asked for is masked too.
  select->Bind(1, MaskCardNumbers(code));
  return ReadCoupon(*select);
}

Result<std::optional<CloudCoupon>> CloudChanges::CouponByUpc(const std::string& upc) {
  const std::optional<std::string> number = NormalizeCouponUpc(upc);
  if (!number) return std::optional<CloudCoupon>();
  std::lock_guard lock(core_.mutex);
  auto select = core_.db->Prepare(std::string(kSelectCoupon) +
                                  "WHERE upc = ?1 ORDER BY updated_at DESC LIMIT 1");
  if (!select.ok()) return select.status();
  select->Bind(1, *number);
  return ReadCoupon(*select);
}

std::string_view CouponVerdictName(CouponVerdict verdict) {
  switch (verdict) {
    case CouponVerdict::kValid:
      return "valid";
    case CouponVerdict::kNotYetValid:
      return "not_yet_valid";
    case CouponVerdict::kExpired:
      return "expired";
    case CouponVerdict::kUsedUp:
      return "used_up";
  }
  return "valid";
}

CouponVerdict JudgeCoupon(const CloudCoupon& coupon, UnixMillis now) {
  if (coupon.valid_from && now < *coupon.valid_from) return CouponVerdict::kNotYetValid;
  if (coupon.valid_until && now >= *coupon.valid_until) return CouponVerdict::kExpired;
  if (coupon.redeemed_count >= coupon.max_redemptions) return CouponVerdict::kUsedUp;
  return CouponVerdict::kValid;
}

}  // namespace tillbridge::store
