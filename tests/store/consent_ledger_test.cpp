#include "store/consent_ledger.h"

#include <doctest/doctest.h>

#include "store/disclosures.h"
#include "store/outbox.h"
#include "store/sqlite_db.h"
#include "tests/store/store_test_util.h"

namespace tillbridge::store {
namespace {

using testing::OpenStore;

ConsentChange Change(bool granted, UnixMillis at,
                     ConsentPurpose purpose = ConsentPurpose::kMarketing) {
  ConsentChange change;
  change.phone = "+14155550134";
  change.purpose = purpose;
  change.granted = granted;
  change.method = granted ? "customer_display" : "sms_keyword";
  change.actor = granted ? "cashier-3" : "cloud";
  change.occurred_at = at;
  change.disclosure_hash = granted ? "d1" : "";
  return change;
}

ConsentState StateOf(Store& store, ConsentPurpose purpose = ConsentPurpose::kMarketing) {
  for (const auto& record : store.consents().Current("+14155550134").value()) {
    if (record.purpose == purpose) return record.state;
  }
  return ConsentState::kNone;
}

// Writes ten ledger rows alternating purposes and states.
void FillLedger(Store& store) {
  for (int i = 0; i < 10; ++i) {
    auto change = Change(i % 2 == 0, 1000 + i * 10,
                         i % 4 < 2 ? ConsentPurpose::kMarketing : ConsentPurpose::kTransactional);
    change.phone = "+1415555" + std::to_string(1000 + i / 2);
    REQUIRE(store.consents().Record(change).value().changed);
  }
}

}  // namespace

TEST_CASE("consent moves none -> opted_in -> opted_out with a ledger row each") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  CHECK(StateOf(*store) == ConsentState::kNone);
  auto in = store->consents().Record(Change(true, 1000));
  REQUIRE(in.ok());
  CHECK(in->changed);
  CHECK(StateOf(*store) == ConsentState::kOptedIn);
  CHECK(StateOf(*store, ConsentPurpose::kTransactional) == ConsentState::kNone);
  REQUIRE(store->consents().Record(Change(false, 2000)).ok());
  CHECK(StateOf(*store) == ConsentState::kOptedOut);
  auto history = store->consents().History("+14155550134").value();
  REQUIRE(history.size() == 2);
  CHECK(history[0].state == "opted_in");
  CHECK(history[0].previous_state == "none");
  CHECK(history[1].state == "opted_out");
  CHECK(history[1].previous_state == "opted_in");
  CHECK(history[1].prev_hash == history[0].row_hash);
  CHECK(history[0].store_id == "store-9");
  CHECK(history[0].terminal_id == "lane-2");
  // Each change queued a consent.changed event.
  auto due = store->outbox().Due(10, 1 << 20).value();
  REQUIRE(due.size() == 2);
  CHECK(due[0].type == "consent.changed");
  CHECK(due[1].payload_json.find("\"state\":\"opted_out\"") != std::string::npos);
}

TEST_CASE("opt-out wins over opt-ins that are older or not explicit") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  REQUIRE(store->consents().Record(Change(false, 5000)).ok());
  // An opt-in that happened before the STOP arrives late: the STOP stands.
  auto older = store->consents().Record(Change(true, 4000));
  REQUIRE(older.ok());
  CHECK_FALSE(older->changed);
  CHECK(older->note.find("newer") != std::string::npos);
  // Same instant: not newer.
  CHECK_FALSE(store->consents().Record(Change(true, 5000)).value().changed);
  // A newer but implicit opt-in (bulk import) cannot lift it either.
  auto implicit = Change(true, 9000);
  implicit.is_explicit = false;
  CHECK_FALSE(store->consents().Record(implicit).value().changed);
  CHECK(StateOf(*store) == ConsentState::kOptedOut);
  // A newer, explicit opt-in at the counter does.
  CHECK(store->consents().Record(Change(true, 9000)).value().changed);
  CHECK(StateOf(*store) == ConsentState::kOptedIn);
  CHECK(store->consents().History("+14155550134").value().size() == 2);
}

TEST_CASE("an opt-out older than the current explicit opt-in does not undo it") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  // Opt-in at the counter at t=5000; a STOP sent at t=4000 is pulled later.
  REQUIRE(store->consents().Record(Change(true, 5000)).value().changed);
  auto late_stop = store->consents().Record(Change(false, 4000));
  REQUIRE(late_stop.ok());
  CHECK_FALSE(late_stop->changed);
  CHECK(late_stop->note.find("explicit opt-in made after") != std::string::npos);
  CHECK(StateOf(*store) == ConsentState::kOptedIn);
  // A STOP at the same instant or later applies.
  CHECK(store->consents().Record(Change(false, 5000)).value().changed);
  CHECK(StateOf(*store) == ConsentState::kOptedOut);
}

TEST_CASE("an older opt-out still overrides an opt-in that was not explicit") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  auto imported = Change(true, 5000);
  imported.is_explicit = false;
  REQUIRE(store->consents().Record(imported).value().changed);
  CHECK(store->consents().Record(Change(false, 4000)).value().changed);
  CHECK(StateOf(*store) == ConsentState::kOptedOut);
}

TEST_CASE("double opt-in leaves the number pending until it is confirmed") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  auto capture = Change(true, 1000);
  capture.requires_confirmation = true;
  CHECK(store->consents().Record(capture).value().record.state == ConsentState::kPending);
  // Capturing again while pending changes nothing.
  capture.occurred_at = 1500;
  CHECK_FALSE(store->consents().Record(capture).value().changed);
  auto confirm = Change(true, 2000);
  confirm.method = "double_opt_in_confirmation";
  confirm.actor = "cloud";
  confirm.queue_event = false;
  const std::int64_t queued_before = store->outbox().Depth().value();
  CHECK(store->consents().Record(confirm).value().record.state == ConsentState::kOptedIn);
  CHECK(store->outbox().Depth().value() == queued_before);
  // A later capture that needs confirmation does not demote a confirmed number.
  capture.occurred_at = 3000;
  CHECK_FALSE(store->consents().Record(capture).value().changed);
  CHECK(StateOf(*store) == ConsentState::kOptedIn);
}

TEST_CASE("repeating the current state adds no ledger row") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  REQUIRE(store->consents().Record(Change(false, 1000)).ok());
  auto again = store->consents().Record(Change(false, 2000));
  CHECK_FALSE(again->changed);
  CHECK(again->note == "already opted out");
  CHECK(store->consents().History("+14155550134").value().size() == 1);
}

TEST_CASE("bad consent requests are rejected") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  auto change = Change(true, 1);
  change.phone = "4155550134";
  CHECK(store->consents().Record(change).status().code() == StatusCode::kInvalidArgument);
  change = Change(true, 1);
  change.method = "";
  CHECK(store->consents().Record(change).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("an intact chain verifies") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  CHECK_FALSE(store->consents().Verify().value().first_bad_seq.has_value());
  FillLedger(*store);
  auto report = store->consents().Verify().value();
  CHECK(report.rows_checked == 10);
  CHECK_FALSE(report.first_bad_seq.has_value());
  CHECK(store->CheckIntegrity().ok());
}

TEST_CASE("the chain check detects an edited, inserted, deleted or truncated row") {
  struct Tamper {
    const char* name;
    const char* sql;
    std::int64_t bad_seq;
  };
  const Tamper cases[] = {
      {"edited state", "UPDATE consent_ledger SET state = 'opted_in' WHERE seq = 4", 4},
      {"edited time", "UPDATE consent_ledger SET occurred_at = occurred_at + 1 WHERE seq = 7", 7},
      {"deleted middle row", "DELETE FROM consent_ledger WHERE seq = 5", 6},
      {"deleted last row", "DELETE FROM consent_ledger WHERE seq = 10", 10},
      {"inserted row",
       "INSERT INTO consent_ledger SELECT 55, phone, purpose, 'opted_in', previous_state, method, "
       "actor, store_id, terminal_id, occurred_at, recorded_at, disclosure_hash, detail, "
       "prev_hash, row_hash FROM consent_ledger WHERE seq = 3",
       55},
      {"re-hashed row", "UPDATE consent_ledger SET row_hash = prev_hash WHERE seq = 2", 2},
  };
  for (const Tamper& tamper : cases) {
    CAPTURE(tamper.name);
    tillbridge::testing::TempDir dir;
    const std::string path = dir.File("t.db");
    {
      auto store = OpenStore(path);
      FillLedger(*store);
    }
    {
      auto db = Database::Open(path, false);
      REQUIRE((*db)->Exec(tamper.sql).ok());
    }
    auto store = OpenStore(path);
    auto report = store->consents().Verify();
    REQUIRE(report.ok());
    REQUIRE(report->first_bad_seq.has_value());
    CHECK(*report->first_bad_seq == tamper.bad_seq);
    CHECK_FALSE(report->reason.empty());
    CHECK(store->CheckIntegrity().code() == StatusCode::kCorruption);
  }
}

TEST_CASE("disclosures are kept by hash; a version cannot change its text") {
  tillbridge::testing::TempDir dir;
  auto store = OpenStore(dir.File("t.db"));
  auto v1 = store->disclosures().Install(
      ConsentPurpose::kMarketing, "1", "Get offers by SMS from Demo Store.", "Up to 4 msgs/month");
  REQUIRE(v1.ok());
  CHECK(v1->hash.size() == 64);
  CHECK(store->disclosures()
            .Install(ConsentPurpose::kMarketing, "1", "Get offers by SMS from Demo Store.",
                     "Up to 4 msgs/month")
            .value()
            .hash == v1->hash);
  auto changed = store->disclosures().Install(ConsentPurpose::kMarketing, "1", "Other text", "x");
  CHECK(changed.status().code() == StatusCode::kAlreadyExists);
  auto v2 = store->disclosures().Install(ConsentPurpose::kMarketing, "2", "New text", "Weekly");
  REQUIRE(v2.ok());
  CHECK(store->disclosures().Current(ConsentPurpose::kMarketing).value()->version == "2");
  CHECK(store->disclosures().ByHash(v1->hash).value()->text ==
        "Get offers by SMS from Demo Store.");
  CHECK_FALSE(store->disclosures().Current(ConsentPurpose::kTransactional).value().has_value());
  CHECK(store->disclosures().Install(ConsentPurpose::kMarketing, "", "t", "f").status().code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace tillbridge::store
