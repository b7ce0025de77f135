#include "drivers/sql/sale_tracker.h"

#include <doctest/doctest.h>

namespace tillbridge::drivers {
namespace {

constexpr std::int64_t kAbandon = 30 * 60 * 1000;
constexpr UnixMillis kNow = 1'800'000'000'000;

TEST_CASE("cursor round trip keeps every field, including awkward ids") {
  SourceCursor cursor;
  cursor.started = true;
  cursor.high_water = "42";
  cursor.window = {TrackedSale{"40", PosState::kCompleted, EmittedKind::kSale, 1, 0},
                   TrackedSale{"41", PosState::kHeld, EmittedKind::kNone, 0, kNow - 5},
                   TrackedSale{"R;1,2:3%", PosState::kVoided, EmittedKind::kVoid, 3, 0},
                   TrackedSale{"42", PosState::kIgnored, EmittedKind::kNone, 0, 0}};
  cursor.held = {TrackedSale{"7", PosState::kHeld, EmittedKind::kAbandoned, 1, kNow - 99}};
  cursor.gaps = {{"39", kNow - 1000}};
  const std::string text = EncodeCursor(cursor);
  CHECK(text.rfind("tbsql1;", 0) == 0);
  auto decoded = DecodeCursor(text);
  REQUIRE_MESSAGE(decoded.ok(), decoded.status().ToString());
  CHECK(decoded->started);
  CHECK(decoded->high_water == "42");
  REQUIRE(decoded->window.size() == 4);
  for (size_t i = 0; i < 4; ++i) {
    CHECK(decoded->window[i].id == cursor.window[i].id);
    CHECK(decoded->window[i].state == cursor.window[i].state);
    CHECK(decoded->window[i].last == cursor.window[i].last);
    CHECK(decoded->window[i].revision == cursor.window[i].revision);
    CHECK(decoded->window[i].since == cursor.window[i].since);
  }
  REQUIRE(decoded->held.size() == 1);
  CHECK(decoded->held[0].since == kNow - 99);
  REQUIRE(decoded->gaps.size() == 1);
  CHECK(decoded->gaps[0] == std::pair<std::string, UnixMillis>{"39", kNow - 1000});
  CHECK(EncodeCursor(*decoded) == text);
  // The common case costs only the id.
  CHECK(text.find(";w=40,") != std::string::npos);
}

TEST_CASE("empty cursor is a fresh start; garbage is rejected clearly") {
  auto fresh = DecodeCursor("");
  REQUIRE(fresh.ok());
  CHECK(!fresh->started);
  CHECK(EncodeCursor(*fresh).empty());
  for (const char* bad : {"x", "tbsql1", "tbsql2;hw=;w=;h=;g=", "tbsql1;hw=;w=1:ZZ1;h=;g=",
                          "tbsql1;hw=;w=1:CS;h=;g=", "tbsql1;hw=;w=;h=;g=5", "tbsql1;w=;hw=;h=;g=",
                          "tbsql1;hw=%G1;w=;h=;g=", "tbsql1;hw=;w=a b;h=;g=", "printer:offset=5"}) {
    auto decoded = DecodeCursor(bad);
    CHECK_MESSAGE(!decoded.ok(), bad);
    if (!decoded.ok())
      CHECK(decoded.status().message().find("not a POS database cursor") != std::string::npos);
  }
}

TEST_CASE("a completed sale is reported once") {
  TrackedSale sale{"1"};
  CHECK(ObserveSale(sale, true, PosState::kCompleted, kNow, kAbandon) == EmittedKind::kSale);
  CHECK(sale.revision == 1);
  CHECK(!ObserveSale(sale, false, PosState::kCompleted, kNow, kAbandon).has_value());
  CHECK(sale.revision == 1);
}

TEST_CASE("later void and refund of a sale get new revisions") {
  TrackedSale sale{"1"};
  REQUIRE(ObserveSale(sale, true, PosState::kCompleted, kNow, kAbandon));
  CHECK(ObserveSale(sale, false, PosState::kRefunded, kNow, kAbandon) == EmittedKind::kRefund);
  CHECK(sale.revision == 2);
  CHECK(ObserveSale(sale, false, PosState::kVoided, kNow, kAbandon) == EmittedKind::kVoid);
  CHECK(sale.revision == 3);
  CHECK(!ObserveSale(sale, false, PosState::kVoided, kNow, kAbandon));
}

TEST_CASE("a held basket: nothing at first, abandoned after the timeout, sale when completed") {
  TrackedSale basket{"9"};
  basket.since = kNow;
  CHECK(!ObserveSale(basket, true, PosState::kHeld, kNow, kAbandon));
  CHECK(!AbandonDue(basket, kNow + kAbandon - 1, kAbandon));
  CHECK(!ObserveSale(basket, false, PosState::kHeld, kNow + kAbandon - 1, kAbandon));
  CHECK(AbandonDue(basket, kNow + kAbandon, kAbandon));
  CHECK(ObserveSale(basket, false, PosState::kHeld, kNow + kAbandon, kAbandon) ==
        EmittedKind::kAbandoned);
  CHECK(basket.revision == 1);
  CHECK(!AbandonDue(basket, kNow + 2 * kAbandon, kAbandon));
  CHECK(ObserveSale(basket, false, PosState::kCompleted, kNow + 2 * kAbandon, kAbandon) ==
        EmittedKind::kSale);
  CHECK(basket.revision == 2);
}

TEST_CASE("held baskets completed in time or discarded early produce only what happened") {
  TrackedSale quick{"10"};
  quick.since = kNow;
  CHECK(!ObserveSale(quick, true, PosState::kHeld, kNow, kAbandon));
  CHECK(ObserveSale(quick, false, PosState::kCompleted, kNow + 1000, kAbandon) ==
        EmittedKind::kSale);
  CHECK(quick.revision == 1);

  TrackedSale dropped{"11"};
  dropped.since = kNow;
  CHECK(!ObserveSale(dropped, true, PosState::kHeld, kNow, kAbandon));
  CHECK(!ObserveSale(dropped, false, PosState::kVoided, kNow + 1000, kAbandon));
  CHECK(dropped.revision == 0);

  TrackedSale late_discard{"12"};
  late_discard.since = kNow;
  CHECK(!ObserveSale(late_discard, true, PosState::kHeld, kNow, kAbandon));
  // Discarded after the timeout while the agent was not looking: abandoned.
  CHECK(ObserveSale(late_discard, false, PosState::kVoided, kNow + kAbandon + 5, kAbandon) ==
        EmittedKind::kAbandoned);
  // A sale first seen cancelled is a void.
  TrackedSale cancelled{"13"};
  CHECK(ObserveSale(cancelled, true, PosState::kVoided, kNow, kAbandon) == EmittedKind::kVoid);
  TrackedSale quote{"14"};
  CHECK(!ObserveSale(quote, true, PosState::kIgnored, kNow, kAbandon));
}

TEST_CASE("trimming keeps the window size and moves held baskets out of it") {
  SourceCursor cursor;
  cursor.started = true;
  for (int i = 1; i <= 10; ++i) {
    TrackedSale sale{std::to_string(i), PosState::kCompleted, EmittedKind::kSale, 1, 0};
    if (i == 2) sale = TrackedSale{"2", PosState::kHeld, EmittedKind::kNone, 0, kNow - 1000};
    if (i == 3) sale = TrackedSale{"3", PosState::kHeld, EmittedKind::kNone, 0, kNow - 10'000'000};
    cursor.window.push_back(sale);
  }
  cursor.gaps = {{"50", kNow - 5}, {"51", kNow - 700'000}};
  TrackerLimits limits;
  limits.lookback_sales = 4;
  limits.held_max_age_ms = 1'000'000;
  limits.gap_timeout_ms = 600'000;
  TrimCursor(cursor, limits, kNow);
  REQUIRE(cursor.window.size() == 4);
  CHECK(cursor.window.front().id == "7");
  REQUIRE(cursor.held.size() == 1);  // 3 was held too long
  CHECK(cursor.held[0].id == "2");
  REQUIRE(cursor.gaps.size() == 1);
  CHECK(cursor.gaps[0].first == "50");
}

TEST_CASE("integer ids") {
  CHECK(IntegerId("123") == 123);
  CHECK(IntegerId("-4") == -4);
  CHECK(!IntegerId("12a"));
  CHECK(!IntegerId(""));
  CHECK(!IntegerId("99999999999999999999"));
}

}  // namespace
}  // namespace tillbridge::drivers
