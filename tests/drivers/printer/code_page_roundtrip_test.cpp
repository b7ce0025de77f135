// Code pages against the npm receipt encoder: text in many scripts, encoded
// the way a POS using @point-of-sale/receipt-printer-encoder prints it, must
// decode back to the same text; and every table we decode with must agree
// with the encoder's, byte for byte, apart from the differences listed here.
#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "common/clock.h"
#include "common/text.h"
#include "drivers/printer/code_pages.h"
#include "drivers/printer/escpos_decoder.h"
#include "tests/drivers/printer/codepage_fixtures.h"

namespace tillbridge::drivers {
namespace {

using testing::CodePageStream;
using testing::EncodedCodePageText;
using testing::EncoderTable;

// The printed lines of one stream, in order, blank ones left out (the
// encoder feeds blank lines around a cut).
std::vector<std::string> DecodeLines(const CodePageStream& stream) {
  ManualClock clock{1'700'000'000'000};
  EscPosDecoder decoder(clock, DecoderLimits{});
  std::vector<DecodedReceipt> receipts;
  decoder.Feed(stream.bytes, receipts);
  decoder.Flush(receipts);
  std::vector<std::string> lines;
  for (const DecodedReceipt& receipt : receipts) {
    std::size_t start = 0;
    while (start < receipt.text.size()) {
      std::size_t end = receipt.text.find('\n', start);
      if (end == std::string::npos) end = receipt.text.size();
      if (end > start) lines.push_back(receipt.text.substr(start, end - start));
      start = end + 1;
    }
  }
  return lines;
}

struct Tally {
  int exact = 0;
  int substituted = 0;
  int skipped = 0;
  int failed = 0;
};

// Decodes `stream` and compares it line by line with what the encoder meant.
void CheckStream(const CodePageStream& stream, Tally& tally) {
  INFO("stream " << stream.file);
  bool aligned = true;
  for (const auto& line : stream.lines) aligned = aligned && line.status != "control";
  const std::vector<std::string> decoded = DecodeLines(stream);
  if (!aligned) {
    // A character sent as a control byte can break or end a line, so the
    // printed lines no longer pair up with the encoder's.
    tally.skipped += static_cast<int>(stream.lines.size());
    return;
  }
  REQUIRE(decoded.size() == stream.lines.size());
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    const auto& line = stream.lines[i];
    if (line.status != "exact" && line.status != "substituted") {
      ++tally.skipped;
      continue;
    }
    INFO("line \"" << line.text << "\" (" << line.status << ")");
    CHECK(decoded[i] == line.expected);
    if (decoded[i] != line.expected) {
      ++tally.failed;
    } else if (line.status == "exact") {
      ++tally.exact;
    } else {
      ++tally.substituted;
    }
  }
}

TEST_CASE("text the npm encoder prints with automatic code pages decodes back") {
  Tally tally;
  int streams = 0;
  for (const auto& stream : EncodedCodePageText().streams) {
    if (stream.mode != "auto") continue;
    ++streams;
    CheckStream(stream, tally);
  }
  CHECK(streams >= 25);
  CHECK(tally.exact >= 50);
  MESSAGE("auto code pages: " << streams << " streams, " << tally.exact << " lines exact, "
                              << tally.substituted << " with the encoder's '?' substitutions, "
                              << tally.skipped << " skipped, " << tally.failed << " wrong");
}

// Bytes where our table knowingly differs from the encoder's:
// {maker, page number, byte} -> why.
using Position = std::tuple<std::string, int, int>;
const std::map<Position, const char*> kKnownDifferences = {
    // The encoder fills ISO 8859-7's three unassigned positions from Latin-1.
    {{"escpos", 15, 0xAE}, "unassigned in ISO 8859-7"},
    {{"escpos", 15, 0xD2}, "unassigned in ISO 8859-7"},
    {{"escpos", 15, 0xFF}, "unassigned in ISO 8859-7"},
    // The chart glyph is read as the Icelandic eth; Vietnamese Đ is meant.
    {{"escpos", 31, 0xA7}, "U+0110 rather than U+00D0"},
    // IBM's CP1125 (and Python's codec) have · and √ here; the encoder ÷ and ±.
    {{"escpos", 44, 0xFA}, "IBM CP1125 middle dot"},
    {{"escpos", 44, 0xFB}, "IBM CP1125 square root"},
};

// What `stream` should decode to by our tables: the encoder's characters at
// the known differences read as ours.
CodePageStream WithKnownDifferences(CodePageStream stream) {
  for (const auto& table : EncodedCodePageText().escpos_tables) {
    if (table.number != stream.esc_t) continue;
    const CodePage& ours = CodePage::ForEscT(static_cast<std::uint8_t>(table.number));
    for (const auto& known : kKnownDifferences) {
      const auto& [maker, number, byte] = known.first;
      if (maker != "escpos" || number != table.number) continue;
      std::string theirs;
      std::string mine;
      AppendUtf8(table.points[static_cast<std::size_t>(byte - 0x80)], theirs);
      AppendUtf8(ours.Decode(static_cast<std::uint8_t>(byte)), mine);
      for (auto& line : stream.lines) {
        for (auto at = line.expected.find(theirs); at != std::string::npos;
             at = line.expected.find(theirs, at + mine.size())) {
          line.expected.replace(at, theirs.size(), mine);
        }
      }
    }
  }
  return stream;
}

TEST_CASE("every Epson page the npm encoder can select decodes its text and upper half") {
  Tally tally;
  int pages = 0;
  for (const auto& stream : EncodedCodePageText().streams) {
    if (stream.mode != "page") continue;
    ++pages;
    INFO("ESC t " << stream.esc_t << " (" << stream.page << ")");
    CHECK(CodePage::ForEscT(static_cast<std::uint8_t>(stream.esc_t)).known());
    CheckStream(WithKnownDifferences(stream), tally);
  }
  CHECK(pages >= 40);
  MESSAGE("explicit pages: " << pages << " pages, " << tally.exact << " lines exact, "
                             << tally.substituted << " with the encoder's '?' substitutions, "
                             << tally.skipped << " skipped, " << tally.failed << " wrong");
}

bool IsControl(char32_t point) { return point < 0x20 || (point >= 0x7F && point < 0xA0); }

void CompareTables(const std::string& maker, const std::vector<EncoderTable>& tables,
                   std::map<Position, const char*>& unused) {
  for (const EncoderTable& table : tables) {
    const auto number = static_cast<std::uint8_t>(table.number);
    const CodePage& ours =
        maker == "escpos" ? CodePage::ForEscT(number) : CodePage::ForStar(number);
    INFO(maker << " page " << table.number << " (encoder: " << table.page
               << ", ours: " << ours.name() << ")");
    for (int byte = 0x80; byte <= 0xFF; ++byte) {
      // We never decode to a control character; the encoder's C1 entries in
      // ISO pages mean the same as our U+FFFD.
      char32_t theirs = table.points[static_cast<std::size_t>(byte - 0x80)];
      if (IsControl(theirs)) theirs = 0xFFFD;
      const char32_t mine = ours.Decode(static_cast<std::uint8_t>(byte));
      if (mine == theirs) continue;
      const Position position{maker, table.number, byte};
      if (unused.erase(position) == 1) continue;
      FAIL_CHECK("byte 0x" << std::hex << byte << ": ours U+" << static_cast<std::uint32_t>(mine)
                           << ", encoder U+" << static_cast<std::uint32_t>(theirs));
    }
  }
}

TEST_CASE("our tables agree with the npm encoder's for every Epson and Star number") {
  const auto& fixtures = EncodedCodePageText();
  CHECK(fixtures.escpos_tables.size() >= 40);
  CHECK(fixtures.star_tables.size() >= 35);
  auto unused = kKnownDifferences;
  CompareTables("escpos", fixtures.escpos_tables, unused);
  CompareTables("star", fixtures.star_tables, unused);
  // A listed difference that no longer occurs is stale: drop it from the list.
  for (const auto& [position, why] : unused) {
    FAIL_CHECK("no longer differs: " << std::get<0>(position) << " " << std::get<1>(position)
                                     << " byte " << std::get<2>(position) << " (" << why << ")");
  }
}

}  // namespace
}  // namespace tillbridge::drivers
