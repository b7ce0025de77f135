#include "drivers/printer/auto_decoder.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "drivers/printer/star_decoder.h"

namespace tillbridge::drivers {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

// ESC GS y D 1 0 nL nH data: Star QR code data.
std::string QrData(const std::string& data) {
  return "\x1b\x1dyD1\x00"s + static_cast<char>(data.size() & 0xFF) +
         static_cast<char>(data.size() >> 8) + data;
}

struct AutoHarness {
  ManualClock clock{1'700'000'000'000};
  AutoDecoder decoder;
  std::vector<DecodedReceipt> out;

  explicit AutoHarness(DecoderLimits limits = {}) : decoder(clock, limits) {}
  void Feed(const std::string& bytes) { decoder.Feed(bytes, out); }
};

const std::string kEscPosReceipt =
    "\x1b@\x1bt\x10"
    "Caf\xe9 \x80 2,50\n\x1b"
    "E\x01TOTAL 2,50\x1b"
    "E\x00\n\x1dV\x00"s;
const std::string kStarReceipt =
    "\x1b@\x18\x1b\x1d"
    "a\x01\x1b\x1dt\x04"
    "Caf\x82 \xd5 2,50\n\x1b"
    "ETOTAL 2,50\x1b"
    "F\n\x1b"
    "d\x02"s;

TEST_CASE("auto: MakeReceiptDecoder gives a decoder per command set") {
  ManualClock clock(0);
  CHECK(MakeReceiptDecoder(CommandSet::kEscPos, clock, {})->command_set() == "escpos");
  CHECK(MakeReceiptDecoder(CommandSet::kStar, clock, {})->command_set() == "star");
  CHECK(MakeReceiptDecoder(CommandSet::kAuto, clock, {})->command_set() == "");
}

TEST_CASE("auto: recognises ESC/POS and Star, again for every stream") {
  AutoHarness h;
  CHECK(h.decoder.command_set() == "");
  h.Feed(kStarReceipt);
  CHECK(h.decoder.command_set() == "star");
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text == "Café € 2,50\nTOTAL 2,50");
  h.decoder.EndStream(h.out);
  CHECK(h.decoder.command_set() == "star");  // until the next stream is recognised
  h.Feed("\x1b@");
  CHECK(h.decoder.command_set() == "star");
  h.Feed(kEscPosReceipt.substr(2));
  CHECK(h.decoder.command_set() == "escpos");
  REQUIRE(h.out.size() == 2);
  CHECK(h.out[1].text == "Café € 2,50\nTOTAL 2,50");
  h.decoder.EndStream(h.out);
  h.Feed(kStarReceipt);
  CHECK(h.decoder.command_set() == "star");
  CHECK(h.out.size() == 3);
  CHECK(h.decoder.stats().receipts == 3);
}

TEST_CASE("auto: each pattern decides the command set") {
  struct Case {
    std::string bytes;
    std::string_view expected;
  };
  const std::vector<Case> cases = {
      {"\x1b\x1dt\x04", "star"},
      {"\x1b\x1e"
       "F\x01",
       "star"},
      {"\x1b\x1f\x01", "star"},
      {"\x1b*rA", "star"},
      {"\x1dV\x00"s, "escpos"},
      {"\x1d!\x11", "escpos"},
      {"\x1d"
       "B\x01",
       "escpos"},
      {"\x1dv0\x00"s, "escpos"},
      {"\x1c&", "escpos"},
      {"\x1cp\x01\x00"s, "escpos"},
      {"\x1bt\x13", "escpos"},
      {"\x1b!\x08", "escpos"},
      {"\x1b"
       "E\x01",
       "escpos"},
      {"\x1b*\x21\x01\x00"s, "escpos"},
      {"\x10\x04\x01", "escpos"},
      {"\x1b"
       "d\x03\x1bi",
       "escpos"},  // feed, then an ESC/POS cut
  };
  for (const Case& c : cases) {
    CAPTURE(c.bytes);
    AutoHarness h;
    h.Feed("\x1b@" + c.bytes);
    CHECK(h.decoder.command_set() == c.expected);
  }
  // ESC @ belongs to both; ESC @ CAN and an ESC d cut only hint at Star
  for (const std::string& hint : {"\x1b@\x18text\n"s,
                                  "text\n\x1b"
                                  "d\x03"s}) {
    AutoHarness h;
    h.Feed(hint);
    CHECK(h.decoder.command_set() == "");
    h.decoder.EndStream(h.out);
    REQUIRE(h.out.size() == 1);
    CHECK(h.out[0].text == "text");
    CHECK(h.decoder.stats().receipts == 1);
  }
}

TEST_CASE("auto: undecided bytes wait, bounded, then go to ESC/POS with their arrival times") {
  AutoHarness h;
  h.Feed("plain text, no command\n");
  CHECK(h.decoder.command_set() == "");
  CHECK(h.decoder.HasPendingReceipt());
  CHECK(h.decoder.stats().bytes == 23);
  h.clock.Advance(3s);
  h.Feed("second line\n");
  h.clock.Advance(4999ms);
  h.decoder.CheckIdle(h.out);
  CHECK(h.out.empty());
  h.clock.Advance(1ms);
  h.decoder.CheckIdle(h.out);
  REQUIRE(h.out.size() == 1);
  CHECK(h.decoder.command_set() == "escpos");
  CHECK(h.out[0].text == "plain text, no command\nsecond line");
  CHECK(h.out[0].end == ReceiptEnd::kIdle);
  CHECK(h.out[0].first_byte_at == 1'700'000'000'000);
  CHECK(h.out[0].last_byte_at == 1'700'000'003'000);
  CHECK_FALSE(h.decoder.HasPendingReceipt());

  AutoHarness full;
  const std::string text(AutoDecoder::kRecognitionBytes - 1, 'x');
  full.Feed(text);
  CHECK(full.decoder.command_set() == "");
  full.Feed(
      "yy\n\x1b"
      "d\x03");  // full now: ESC/POS, where ESC d only feeds
  CHECK(full.decoder.command_set() == "escpos");
  full.decoder.Flush(full.out);
  REQUIRE(full.out.size() == 1);
  CHECK(full.decoder.stats().bytes == text.size() + 6);
}

TEST_CASE("auto: a stream that only hints at Star is decoded as Star when it ends") {
  AutoHarness h;
  h.Feed(
      "first\n\x1b"
      "d\x02second\n");
  h.decoder.EndStream(h.out);
  REQUIRE(h.out.size() == 2);
  CHECK(h.out[0].text == "first");
  CHECK(h.out[0].end == ReceiptEnd::kCut);
  CHECK(h.out[1].text == "second");
  CHECK(h.out[1].end == ReceiptEnd::kStreamEnd);
}

TEST_CASE("auto: each command set keeps its own code page") {
  AutoHarness h;
  h.Feed(kStarReceipt);  // Star: CP858
  h.decoder.EndStream(h.out);
  h.Feed("\x1bt\x10\x80\n\x1dV\x00"s);  // ESC/POS: CP1252
  CHECK(h.decoder.code_page_name() == "CP1252");
  h.decoder.EndStream(h.out);
  h.Feed(
      "\x1b\x1d"
      "a\x00\xd5\n\x1b"
      "d\x02"s);  // Star again, no ESC GS t: still CP858
  CHECK(h.decoder.code_page_name() == "CP858");
  REQUIRE(h.out.size() == 3);
  CHECK(h.out[1].text == "€");
  CHECK(h.out[2].text == "€");
}

TEST_CASE("auto: a break while waiting reaches the chosen decoder at the same place") {
  AutoHarness h;
  h.Feed(
      "first\n\x1b\x1dyD1\x00\x40\x00"
      "abc"s);  // Star, QR data cut short
  h.decoder.ResetStream();
  h.Feed(
      "second\n\x1b"
      "d\x02");
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text == "first\nsecond");

  AutoHarness waiting;
  waiting.Feed(
      "first\n\x1b"
      "b\x03\x02");  // no verdict yet; a barcode cut short
  waiting.decoder.ResetStream();
  waiting.Feed(
      "\x1b"
      "d\x03second\n\x1b\x1dt\x01\x1b"
      "d\x03");
  CHECK(waiting.decoder.command_set() == "star");
  REQUIRE(waiting.out.size() == 2);
  CHECK(waiting.out[0].text == "first");
  CHECK(waiting.out[1].text == "second");
}

TEST_CASE("auto: decodes like the chosen decoder, whatever the chunks") {
  const std::string stream = kStarReceipt + QrData("\x1dV\x00"s) +
                             "more\n\x1b"
                             "d\x02" +
                             kStarReceipt;
  ManualClock clock(0);
  StarDecoder star(clock, {});
  std::vector<DecodedReceipt> expected;
  star.Feed(stream, expected);
  for (std::size_t chunk : {1u, 3u, 5000u}) {
    AutoDecoder automatic(clock, {});
    std::vector<DecodedReceipt> got;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      automatic.Feed(std::string_view(stream).substr(at, chunk), got);
    }
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i].text == expected[i].text);
  }
}

TEST_CASE("auto: the recognizer reports how far it looked") {
  CommandSetRecognizer recognizer;
  CHECK(recognizer.Scan("hello") == 5);
  CHECK(recognizer.verdict() == CommandSet::kAuto);
  CHECK(recognizer.Scan("\x1b\x1dtrest") == 2);
  CHECK(recognizer.verdict() == CommandSet::kStar);
  CHECK(recognizer.Scan("more") == 0);
  recognizer.Reset();
  CHECK(recognizer.verdict() == CommandSet::kAuto);
  CHECK(recognizer.Guess() == CommandSet::kEscPos);
  // patterns split across calls are still seen, unless bytes were lost
  CHECK(recognizer.Scan("\x1b") == 1);
  recognizer.Break();
  CHECK(recognizer.Scan("\x1d") == 1);
  CHECK(recognizer.verdict() == CommandSet::kAuto);
  CHECK(recognizer.Scan("\x1b") == 1);
  CHECK(recognizer.Scan("\x1e") == 1);
  CHECK(recognizer.verdict() == CommandSet::kStar);
}

TEST_CASE("auto: garbage never crashes and every byte is counted") {
  std::string garbage;
  unsigned state = 777;
  for (int i = 0; i < 100000; ++i) {
    state = state * 1103515245u + 12345u;
    garbage.push_back(static_cast<char>(state >> 16));
  }
  DecoderLimits limits;
  limits.max_receipt_bytes = 4096;
  AutoHarness h(limits);
  for (std::size_t at = 0; at < garbage.size(); at += 997) {
    h.Feed(garbage.substr(at, 997));
    if (at % 10000 < 997) h.decoder.EndStream(h.out);
  }
  h.decoder.Flush(h.out);
  for (const auto& r : h.out) CHECK(r.text.size() <= 4096);
  CHECK(h.decoder.stats().bytes == garbage.size());
}

}  // namespace
}  // namespace tillbridge::drivers
