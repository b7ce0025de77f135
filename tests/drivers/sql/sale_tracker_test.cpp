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

TEST_CASE("cursor-column positions, marks and held-table baskets survive the round trip") {
  SourceCursor cursor;
  cursor.started = true;
  cursor.high_water = "9b2f1c3e-0000-4000-8000-000000000002";
  cursor.high_water_sequence = "2026-12-06 10:00:00.25+00";
  cursor.window = {
      TrackedSale{"9b2f1c3e-0000-4000-8000-000000000001", PosState::kCompleted, EmittedKind::kSale,
                  1, 0, "2026-12-06 09:59:59+00"},
      TrackedSale{cursor.high_water, PosState::kHeld, EmittedKind::kNone, 0, kNow - 5,
                  cursor.high_water_sequence}};
  cursor.marks = {{kNow - 60'000, "9b2f1c3e-0000-4000-8000-000000000001"}};
  cursor.baskets = {TrackedSale{"B~7", PosState::kHeld, EmittedKind::kAbandoned, 1, kNow - 9}};
  const std::string text = EncodeCursor(cursor);
  auto decoded = DecodeCursor(text);
  REQUIRE_MESSAGE(decoded.ok(), decoded.status().ToString());
  CHECK(decoded->high_water == cursor.high_water);
  CHECK(decoded->high_water_sequence == cursor.high_water_sequence);
  REQUIRE(decoded->window.size() == 2);
  CHECK(decoded->window[0].sequence == "2026-12-06 09:59:59+00");
  CHECK(decoded->window[0].state == PosState::kCompleted);
  CHECK(decoded->window[1].sequence == cursor.high_water_sequence);
  CHECK(decoded->window[1].since == kNow - 5);
  REQUIRE(decoded->marks.size() == 1);
  CHECK(decoded->marks[0] == cursor.marks[0]);
  REQUIRE(decoded->baskets.size() == 1);
  CHECK(decoded->baskets[0].id == "B~7");  // '~' inside an id is escaped
  CHECK(decoded->baskets[0].last == EmittedKind::kAbandoned);
  CHECK(EncodeCursor(*decoded) == text);

  // Cursors written before cursor columns existed still read.
  auto old = DecodeCursor("tbsql1;hw=12;w=11,12;h=;g=");
  REQUIRE(old.ok());
  CHECK(old->high_water_sequence.empty());
  CHECK(old->marks.empty());
  // And an id-ordered cursor is still written in that form.
  CHECK(EncodeCursor(*old) == "tbsql1;hw=12;w=11,12;h=;g=");
  for (const char* bad : {"tbsql1;hw=1~;w=;h=;g=", "tbsql1;hw=;w=;h=;g=;m=x;b=",
                          "tbsql1;hw=;w=;h=;g=;m=;b=1:QQ1", "tbsql1;hw=;w=;h=;g=;m="}) {
    CHECK_MESSAGE(!DecodeCursor(bad).ok(), bad);
  }
}

TEST_CASE("with a cursor column, sales read within gap_timeout stay in the window") {
  const TrackerLimits limits{2, 7LL * 24 * 3600 * 1000, 10 * 60 * 1000, 1000, 5};
  SourceCursor cursor;
  cursor.started = true;
  const auto read = [&](int n, UnixMillis at) {
    for (int i = 0; i < n; ++i) {
      const std::string id = std::to_string(cursor.window.size() + 100);
      cursor.window.push_back(TrackedSale{id, PosState::kCompleted, EmittedKind::kSale, 1, 0, id});
      cursor.high_water = id;
    }
    AddMark(cursor, limits, at);
    TrimCursor(cursor, limits, at);
  };
  read(1, kNow);  // the mark at kNow protects the window from the first sale on
  read(3, kNow + 1000);
  CHECK(cursor.window.size() == 4);
  CHECK(cursor.window.front().id == "100");
  // Bounded: never more than lookback_sales + max_late_commit_window.
  read(10, kNow + 2000);
  CHECK(cursor.window.size() == 7);
  // Once the first mark is older than gap_timeout, the next one takes over
  // and the window shrinks back to the marks still in force.
  read(0, kNow + 11 * 60 * 1000);
  CHECK(cursor.marks.size() == 2);
  CHECK(cursor.window.size() == 2);
}

}  // namespace
}  // namespace tillbridge::drivers
