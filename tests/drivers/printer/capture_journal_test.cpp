#include "drivers/printer/capture_journal.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "tests/test_util.h"

namespace tillbridge::drivers {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::unique_ptr<CaptureJournal> OpenJournal(const std::string& dir, std::uint64_t cap = 1 << 20,
                                            std::uint64_t segment = 4096) {
  CaptureJournalOptions options;
  options.dir = dir;
  options.max_backlog_bytes = cap;
  options.segment_bytes = segment;
  auto journal = CaptureJournal::Open(options);
  REQUIRE_MESSAGE(journal.ok(), journal.status().message());
  return std::move(*journal);
}

// Reads until nothing more comes; data joined, breaks as '|'.
std::string Drain(CaptureJournal& journal) {
  std::string seen;
  for (;;) {
    auto records = journal.Read(1 << 20, 0ms);
    REQUIRE(records.ok());
    if (records->empty()) return seen;
    for (const auto& record : *records) seen += record.stream_break ? "|" : record.bytes;
  }
}

std::size_t SegmentFiles(const std::string& dir) {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".seg") ++count;
  }
  return count;
}

TEST_CASE("capture journal: bytes and connection ends come back in order") {
  testing::TempDir dir;
  auto journal = OpenJournal(dir.path().string());
  CHECK(journal->AppendBytes("first "));
  CHECK(journal->AppendBytes("receipt"));
  CHECK(journal->AppendBreak());
  CHECK(journal->AppendBytes("second"));
  CHECK(journal->AppendBytes(""));             // nothing to journal, not an error
  CHECK(journal->Stats().backlog_bytes > 19);  // record headers count too
  CHECK(Drain(*journal) == "first receipt|second");
  CHECK(journal->Stats().appended_bytes == 19);
  CHECK(journal->Stats().backlog_bytes == 0);
}

std::string FilesUnder(const std::string& dir) {
  std::string all;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return all;
}

TEST_CASE("capture journal: a card number never reaches the disk, even split across chunks") {
  testing::TempDir dir;
  auto journal = OpenJournal(dir.path().string());
  // split inside the number, and inside a separator run
  journal->AppendBytes("\x1b\x40VISA 4111 11");
  journal->AppendBytes("11 1111 ");
  journal->AppendBytes("1111\nTotal 12.50\n");
  journal->AppendBytes("Card 5500-0000-0000-0004");  // ends the stream on digits
  journal->AppendBreak();
  const std::string seen = Drain(*journal);
  CHECK(seen == "\x1b\x40VISA 4111 11** **** 1111\nTotal 12.50\nCard 5500-00**-****-0004|");
  CHECK(journal->Stats().card_numbers_masked == 2);
  const std::string disk = FilesUnder(dir.path().string());
  CHECK(disk.find("4111 1111 1111 1111") == std::string::npos);
  CHECK(disk.find("1111 1111") == std::string::npos);
  CHECK(disk.find("5500-0000-0000-0004") == std::string::npos);
  CHECK(disk.find(" 12.50\n") != std::string::npos);  // amounts are left alone
}

TEST_CASE("capture journal: digits held back for masking are written once the POS pauses") {
  testing::TempDir dir;
  auto journal = OpenJournal(dir.path().string());
  journal->AppendBytes("Total 12");
  CHECK(Drain(*journal) == "Total");     // " 12" may continue in the next chunk
  CHECK_FALSE(journal->FlushHeld(10s));  // not quiet long enough yet
  CHECK(journal->FlushHeld(0ms));
  CHECK(Drain(*journal) == " 12");
}

TEST_CASE("capture journal: a restart resumes at the checkpoint, not before, not after") {
  testing::TempDir dir;
  std::uint64_t committed = 0;
  {
    auto journal = OpenJournal(dir.path().string());
    journal->AppendBytes("decoded and stored");
    CHECK(Drain(*journal) == "decoded and stored");
    committed = journal->read_position();
    REQUIRE(journal->Commit(committed).ok());
    journal->AppendBytes("printed while the decoder was behind");
    journal->AppendBreak();
  }
  auto journal = OpenJournal(dir.path().string());
  CHECK(journal->read_position() == committed);
  CHECK(Drain(*journal) == "printed while the decoder was behind|");
  CHECK_FALSE(journal->Commit(committed - 1).ok());  // behind the checkpoint
}

TEST_CASE("capture journal: a record torn by a crash is cut off") {
  testing::TempDir dir;
  {
    auto journal = OpenJournal(dir.path().string());
    journal->AppendBytes("whole");
  }
  std::string segment;
  for (const auto& entry : fs::directory_iterator(dir.path().string())) {
    if (entry.path().extension() == ".seg") segment = entry.path().string();
  }
  REQUIRE(!segment.empty());
  {
    std::ofstream torn(segment, std::ios::binary | std::ios::app);
    torn << std::string("D\x10\x00\x00\x00part", 9);  // promises 16 bytes, has 4
  }
  auto journal = OpenJournal(dir.path().string());
  CHECK(Drain(*journal) == "whole");
  // and appending after the cut starts at a record boundary
  journal->AppendBytes("next");
  CHECK(Drain(*journal) == "next");
}

TEST_CASE("capture journal: finished segments are deleted, the written one stays") {
  testing::TempDir dir;
  auto journal = OpenJournal(dir.path().string(), 1 << 20, 1000);
  const std::string chunk(300, 'x');
  for (int i = 0; i < 40; ++i) REQUIRE(journal->AppendBytes(chunk));
  CHECK(SegmentFiles(dir.path().string()) >= 10);
  CHECK(Drain(*journal).size() == 40 * chunk.size());
  REQUIRE(journal->Commit(journal->read_position()).ok());
  CHECK(SegmentFiles(dir.path().string()) == 1);
  CHECK(journal->Stats().backlog_bytes == 0);
  // reopening finds nothing left to decode
  journal.reset();
  auto reopened = OpenJournal(dir.path().string(), 1 << 20, 1000);
  CHECK(Drain(*reopened).empty());
}

TEST_CASE("capture journal: beyond the cap bytes are dropped, counted, and fenced by a break") {
  testing::TempDir dir;
  auto journal = OpenJournal(dir.path().string(), 2000, 4096);
  const std::string chunk(600, 'a');
  int accepted = 0;
  for (int i = 0; i < 5; ++i) accepted += journal->AppendBytes(chunk) ? 1 : 0;
  CHECK(accepted == 3);
  CHECK(journal->Stats().dropped_chunks == 2);
  CHECK(journal->Stats().dropped_bytes == 1200);
  CHECK(Drain(*journal) == chunk + chunk + chunk);
  REQUIRE(journal->Commit(journal->read_position()).ok());
  REQUIRE(journal->AppendBytes("after"));
  // the decoder must not join the bytes on both sides of the hole
  CHECK(Drain(*journal) == "|after");
}

TEST_CASE("capture journal: a damaged checkpoint file is an error naming it") {
  testing::TempDir dir;
  { OpenJournal(dir.path().string())->AppendBytes("x"); }
  {
    std::ofstream bad(dir.File("capture.checkpoint"), std::ios::trunc);
    bad << "twelve\n";
  }
  CaptureJournalOptions options;
  options.dir = dir.path().string();
  auto journal = CaptureJournal::Open(options);
  REQUIRE_FALSE(journal.ok());
  CHECK(journal.status().message().find("capture.checkpoint") != std::string::npos);
}

TEST_CASE("capture journal: a reader waiting for bytes wakes when they arrive") {
  testing::TempDir dir;
  auto journal = OpenJournal(dir.path().string());
  std::thread writer([&] {
    std::this_thread::sleep_for(50ms);
    journal->AppendBytes("late");
  });
  auto records = journal->Read(1024, 10s);
  writer.join();
  REQUIRE(records.ok());
  REQUIRE(records->size() == 1);
  CHECK((*records)[0].bytes == "late");
}

}  // namespace
}  // namespace tillbridge::drivers
