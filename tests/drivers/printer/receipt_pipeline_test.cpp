// The printer tap's decoding half on its own: the capture journal in, the
// queue of transactions out, with the journal positions that make a restart
// lose nothing.
#include "drivers/printer/receipt_pipeline.h"

#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "common/phone.h"
#include "tests/test_util.h"

namespace tillbridge::drivers {
namespace {

using namespace std::chrono_literals;

std::string Receipt(int number, bool cut = true) {
  std::string bytes =
      "\x1b@\x1b"
      "a1"
      "CORNER MARKET\n\x1b"
      "a0";
  bytes += "Receipt: " + std::to_string(number) + "\nTOTAL                1.08\nCash 1.08\n";
  if (cut) bytes += "\x1dV\x01";
  return bytes;
}

// A journal, the shipped templates and a pipeline over them.
struct Rig {
  explicit Rig(const testing::TempDir& dir, std::size_t max_queued = 5000,
               std::chrono::milliseconds idle = 5000ms) {
    CaptureJournalOptions options;
    options.dir = dir.File("capture");
    options.idle_gap = idle;
    auto opened = CaptureJournal::Open(options);
    REQUIRE(opened.ok());
    journal = std::move(*opened);
    auto templates =
        LoadReceiptTemplates(std::string(TILLBRIDGE_SOURCE_DIR) + "/examples/receipt-templates");
    REQUIRE(templates.ok());
    ExtractorOptions extractor_options;
    extractor_options.time_zone = "UTC";
    auto created = ReceiptExtractor::Create(*templates, extractor_options, phones);
    REQUIRE(created.ok());
    extractor.emplace(std::move(*created));
    unmatched.emplace(dir.path().string(), 1 << 20);
    DecoderLimits limits;
    limits.idle_cut_timeout = idle;
    pipeline =
        std::make_unique<ReceiptPipeline>(SystemClock::Instance(), CommandSet::kEscPos, limits,
                                          *journal, *extractor, *unmatched, max_queued);
  }

  // Takes until `count` transactions came (acknowledging nothing).
  DecodedBatch TakeAtLeast(std::size_t count, std::uint64_t acknowledged = 0) {
    DecodedBatch batch;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (batch.transactions.size() < count && std::chrono::steady_clock::now() < deadline) {
      if (auto taken = pipeline->Take(acknowledged, 1000, 50ms)) batch = std::move(*taken);
    }
    return batch;
  }

  PhoneNormalizer phones{"US"};
  std::unique_ptr<CaptureJournal> journal;
  std::optional<ReceiptExtractor> extractor;
  std::optional<UnmatchedReceiptLog> unmatched;
  std::unique_ptr<ReceiptPipeline> pipeline;
};

std::vector<std::string> Ids(const DecodedBatch& batch) {
  std::vector<std::string> ids;
  for (const auto& txn : batch.transactions) ids.push_back(txn.pos_id);
  return ids;
}

std::string Joined(const std::vector<std::string>& ids) {
  std::string text;
  for (const auto& id : ids) text += (text.empty() ? "" : ",") + id;
  return text;
}

TEST_CASE("pipeline: what was printed while decoding was stopped is decoded when it starts") {
  testing::TempDir dir;
  Rig rig(dir);
  for (int i = 1; i <= 3; ++i) rig.pipeline->OnPosBytes(Receipt(100 + i));
  rig.pipeline->Start();
  const DecodedBatch batch = rig.TakeAtLeast(3);
  CHECK(Joined(Ids(batch)) == "101,102,103");
  // the same acknowledgement gives the same transactions again (a failed
  // store write is retried) ...
  auto again = rig.pipeline->Take(0, 1000, 0ms);
  REQUIRE(again);
  CHECK(Joined(Ids(*again)) == Joined(Ids(batch)));
  // ... and acknowledging them empties the queue
  CHECK_FALSE(rig.pipeline->Take(batch.last_sequence, 1000, 0ms));
  CHECK(rig.pipeline->Stats().queued == 0);
}

TEST_CASE("pipeline: receipts without a cut, decoded late, still split where the POS paused") {
  testing::TempDir dir;
  Rig rig(dir, 5000, 100ms);
  // printed while decoding is not running: only the journal saw the pause
  rig.pipeline->OnPosBytes(Receipt(201, false));
  std::this_thread::sleep_for(150ms);
  rig.pipeline->OnPosBytes(Receipt(202, false));
  rig.pipeline->OnPosStreamBreak();
  rig.pipeline->Start();
  const DecodedBatch batch = rig.TakeAtLeast(2);
  CHECK(Joined(Ids(batch)) == "201,202");
}

TEST_CASE("pipeline: a full queue pauses decoding; nothing is lost, the journal keeps it") {
  testing::TempDir dir;
  Rig rig(dir, 2);
  // journaled before decoding starts, so one round decodes all three and
  // fills the queue past its cap of two
  for (int i = 1; i <= 3; ++i) rig.pipeline->OnPosBytes(Receipt(300 + i));
  rig.pipeline->Start();
  REQUIRE(rig.TakeAtLeast(3).transactions.size() == 3);
  // the store takes nothing: what comes next waits in the journal
  for (int i = 4; i <= 7; ++i) rig.pipeline->OnPosBytes(Receipt(300 + i));
  std::this_thread::sleep_for(300ms);
  CHECK(rig.pipeline->Stats().queued == 3);
  CHECK(rig.pipeline->Stats().decode_backlog_bytes > 0);
  std::set<std::string> seen;
  std::uint64_t acknowledged = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (seen.size() < 7 && std::chrono::steady_clock::now() < deadline) {
    auto batch = rig.pipeline->Take(acknowledged, 100, 50ms);
    if (!batch) continue;
    for (const auto& txn : batch->transactions) seen.insert(txn.pos_id);
    acknowledged = batch->last_sequence;
  }
  CHECK(seen.size() == 7);
  CHECK(rig.pipeline->Stats().decode_backlog_bytes == 0);
}

TEST_CASE("pipeline: after a crash, decoding resumes where the store's cursor says") {
  testing::TempDir dir;
  std::uint64_t stored_position = 0;
  std::set<std::string> stored;
  {
    Rig rig(dir);
    for (int i = 1; i <= 5; ++i) rig.pipeline->OnPosBytes(Receipt(400 + i));
    rig.pipeline->Start();
    rig.TakeAtLeast(5);
    // the store took only the first two, then the agent died
    auto batch = rig.pipeline->Take(0, 2, 0ms);
    REQUIRE(batch);
    REQUIRE(batch->transactions.size() == 2);
    for (const auto& txn : batch->transactions) stored.insert(txn.pos_id);
    stored_position = batch->resume_position;
    REQUIRE(rig.journal->Commit(stored_position).ok());
    rig.pipeline->Stop();
  }
  Rig rig(dir);
  CHECK(rig.journal->read_position() == stored_position);
  rig.pipeline->Start();
  const DecodedBatch batch = rig.TakeAtLeast(3);
  std::set<std::string> after(stored);
  for (const auto& txn : batch.transactions) after.insert(txn.pos_id);
  // every receipt is there; any repeat is one the store already has, and it
  // keeps one copy of each (sales are keyed by receipt number)
  CHECK(after == std::set<std::string>{"401", "402", "403", "404", "405"});
  for (const auto& id : Ids(batch)) {
    if (stored.count(id)) CHECK((id == "401" || id == "402"));
  }
}

}  // namespace
}  // namespace tillbridge::drivers
