// A small store with SMS campaigns, sales, refunds, voids and counter
// opt-ins in November 2026, filled through the store's public APIs, and the
// ROI report figures for it computed by hand. Shared by the store, CLI and
// browser tests (roi_fixture_tool writes it to a file for shell/JS tests).
//
// The fixture (all times UTC, source "pos", USD unless marked):
//   phones  A +15550000001  B +15550000002  C +15550000003
//           D +15550000004  E +15550000005  F +15550000006
//   consent (marketing unless marked; counter captures name their cashier)
//     A opted_in  keypad            c-ann  Nov 2 09:00   counter
//     B opted_in  keypad            c-ann  Nov 3 09:00   counter
//     C pending   customer_display  c-bob  Nov 4 09:00   counter
//     C opted_in  double_opt_in_confirmation (cloud) Nov 4 09:05
//     D opted_in  cloud  Oct 20 (before the range); D opted_out sms_keyword Nov 14
//     E opted_in  customer_display  c-bob  Nov 5 09:00   counter
//     F transactional opted_in keypad c-ann Nov 6 09:00 (not marketing)
//   messages (message_sent engagement; campaign, coupon)
//     m1 A Nov 2 12:00 cmp_welcome_coupon WELCOME-A
//     m2 B Nov 3 12:00 cmp_welcome_coupon WELCOME-B
//     m3 C Nov 4 12:00 cmp_welcome_coupon WELCOME-C (never redeemed)
//     m4 A Nov 10 09:00 cmp_winback        m5 B Nov 10 09:00 cmp_winback
//     m6 E Nov 12 09:00 cmp_winback
//     m7 C Nov 20 09:00 cmp_weekend WEEKEND-C  (applied AFTER s7 and s8)
//     m8 D Nov 15 12:01 receipt (transactional, attributable false)
//     m9 B Nov 27 09:00 cmp_weekend WEEKEND-B (never redeemed)
//   sales (pos id, phone, time, total, cashier -> attribution)
//     s1  1001 A Nov 2 15:00 4000 c-ann coupon WELCOME-A -> coupon m1
//     s2  1002 B Nov 4 11:00 2500 c-bob coupon welcome-b -> coupon m2
//     s3  1003 A Nov 12 10:00 3000 c-ann -> last_touch m4
//     s4  1004 A Nov 18 10:00 2000 c-cat -> none (m4 is 8 days old)
//     s5  1005 B Nov 11 14:00 5000 c-bob -> last_touch m5, REVERSED by refund
//         2001 (refund_of 1005, Nov 13 10:00)
//     s6  1006 E Nov 13 10:00 1500 c-ann -> last_touch m6, REVERSED by its void
//         (revision 2, Nov 13 10:30): not a sale of the range
//     s7  1007 C Nov 21 10:00 3500 c-bob coupon WEEKEND-C -> coupon m7 (late)
//     s8  1008 C Nov 22 10:00 1200 c-cat -> last_touch m7 (late)
//     s9  1009 D Nov 15 12:00 1800 c-cat -> none
//     s10 1010 D Nov 16 12:00 2200 c-cat -> none (m8 is not attributable)
//     s11 1011 -  Nov 6 09:00  999 c-cat (anonymous)
//     s12 1012 -  Nov 25 17:00 1501 c-ann (anonymous)
//     s13 1013 F Nov 8 10:00 2600 c-bob -> none
//     s14 1014 B Nov 28 10:00 4000, revision 2 4500, c-bob -> last_touch m9
//     s15 1015 E Nov 26 10:00  800 c-ann -> none (m6 is 14 days old)
//     s16 1016 A Oct 30 10:00 1000 c-ann (before the range)
//     s17 1017 F Nov 9 10:00 1900 EUR c-bob (other currency: left out)
#pragma once

#include <cstdint>

#include "common/clock.h"
#include "common/status.h"

namespace tillbridge::store {
class Store;
}

namespace tillbridge::store::testing {

// 2026-11-01T00:00:00Z and 2026-12-01T00:00:00Z.
inline constexpr UnixMillis kRoiFrom = 1'793'491'200'000;
inline constexpr UnixMillis kRoiTo = 1'796'083'200'000;
inline constexpr std::int64_t kRoiCostPerMessageMicros = 7900;

// November `day`, hh:mm UTC, 2026.
constexpr UnixMillis RoiNovemberAt(int day, int hour, int minute = 0) {
  return kRoiFrom + (day - 1) * 86'400'000LL + hour * 3'600'000LL + minute * 60'000LL;
}

inline constexpr const char* kRoiPhoneA = "+15550000001";
inline constexpr const char* kRoiPhoneB = "+15550000002";
inline constexpr const char* kRoiPhoneC = "+15550000003";
inline constexpr const char* kRoiPhoneD = "+15550000004";
inline constexpr const char* kRoiPhoneE = "+15550000005";
inline constexpr const char* kRoiPhoneF = "+15550000006";

// Fills `store` (empty, any store id) with the fixture above through
// TransactionLog::Ingest, ConsentLedger::Record and CloudChanges::ApplyPage,
// in an order where m7 and its coupon arrive after s7 and s8 were ingested.
[[nodiscard]] Status FillRoiFixture(Store& store);

// ---- Expected report for [kRoiFrom, kRoiTo), 7900 micros, window 7 days.
// S (USD sales of the range, latest revision a sale): s1 s2 s3 s4 s5 s7 s8
// s9 s10 s11 s12 s13 s14 s15 = 14 (s6 voided, s16 in October, s17 in EUR).
inline constexpr std::int64_t kRoiSales = 14;
// 4000+2500+3000+2000+5000+3500+1200+1800+2200+999+1501+2600+4500+800
inline constexpr std::int64_t kRoiRevenue = 35600;
// 14 minus the anonymous s11, s12.
inline constexpr std::int64_t kRoiIdentifiedSales = 12;
// A B C D E F.
inline constexpr std::int64_t kRoiCustomers = 6;
// m1..m9 (the receipt m8 is a message sent too).
inline constexpr std::int64_t kRoiMessagesSent = 9;
// s1 s2 s3 s7 s8 s14 (s5 refunded; s6 voided and not in S).
inline constexpr std::int64_t kRoiAttributedSales = 6;
// 4000+2500+3000+3500+1200+4500
inline constexpr std::int64_t kRoiAttributedRevenue = 18700;
// s5 (s6 is reversed too, but not a sale of the range).
inline constexpr std::int64_t kRoiReversedAttributions = 1;
inline constexpr const char* kRoiCurrency = "USD";

// coupon_redemption_rate: codes texted WELCOME-A/B/C, WEEKEND-C/B = 5;
// redeemed WELCOME-A (s1), WELCOME-B (s2), WEEKEND-C (s7) = 3.
inline constexpr std::int64_t kRoiCouponsRedeemed = 3;
inline constexpr std::int64_t kRoiCouponsTexted = 5;
// subscriber_repeat_rate: subscribers on Dec 1 with a sale: A (s1 s3 s4),
// B (s2 s5 s14), C (s7 s8), E (s15; s6 voided) = 4; with >= 2: A B C = 3.
inline constexpr std::int64_t kRoiSubscriberRepeaters = 3;
inline constexpr std::int64_t kRoiSubscriberCustomers = 4;
// non_subscriber_repeat_rate: D (opted out Nov 14; s9 s10), F (s13; s17 in
// EUR does not count) = 2; with >= 2: D = 1.
inline constexpr std::int64_t kRoiNonSubscriberRepeaters = 1;
inline constexpr std::int64_t kRoiNonSubscriberCustomers = 2;
// aov_attributed = 18700 / 6 (3116.67).
// aov_other: s4 s5 s9 s10 s11 s12 s13 s15 = 8 sales,
//   2000+5000+1800+2200+999+1501+2600+800 = 16900 (2112.5).
inline constexpr std::int64_t kRoiOtherRevenue = 16900;
inline constexpr std::int64_t kRoiOtherSales = 8;
// aov_uplift = (3117 - 2113) / 2113: 18700/6 = 3116.67 -> 3117,
// 16900/8 = 2112.5 -> 2113 (half up).
inline constexpr std::int64_t kRoiUpliftNumerator = 1004;
inline constexpr std::int64_t kRoiUpliftDenominator = 2113;
// revenue_per_message = 18700 / 9.
// campaign_roi = (18700 - 7) / 7: cost = 9 x 7900 / 10^4 = 7.11 -> 7 cents.
inline constexpr std::int64_t kRoiCostMinor = 7;
inline constexpr std::int64_t kRoiRoiNumerator = 18693;
// counter_opt_in_rate = 4 / 14: A keypad, B keypad (c-ann), C pending
// customer_display, E customer_display (c-bob); C's confirmation and D's
// cloud opt-in are not counter captures, F's is transactional.
inline constexpr std::int64_t kRoiCounterOptIns = 4;
// opt_ins_by_cashier (opt-ins, sales in S):
//   c-ann 2, 4 (s1 s3 s12 s15); c-bob 2, 5 (s2 s5 s7 s13 s14);
//   c-cat 0, 5 (s4 s8 s9 s10 s11).
// opt_ins_by_method: customer_display 2, keypad 2 (sales 14 each).
//
// campaigns, most attributed revenue first (messages, coupons texted,
// redeemed, attributed sales, revenue, cost = messages x 0.79 cents rounded):
//   cmp_weekend        2 2 1 3 9200 (s7 s8 s14)  2 (1.58)  rule_weekend
//   cmp_welcome_coupon 3 3 2 2 6500 (s1 s2)      2 (2.37)  rule_welcome
//   cmp_winback        3 0 0 1 3000 (s3)         2 (2.37)  rule_winback
//   receipt            1 0 0 0 0                 1 (0.79)  rule receipt,
//                                                          transactional
//
// trend (utc offset 0): 30 days, 2026-11-01 .. 2026-11-30; e.g.
//   2026-11-02: 1 sale 4000, attributed 1 / 4000
//   2026-11-11: 1 sale 5000 (s5), attributed 0 (reversed)
//   2026-11-13: no sale (s6 voided)
//   2026-11-28: 1 sale 4500, attributed 1 / 4500
// notes: one, naming the 1 sale in EUR.

}  // namespace tillbridge::store::testing
