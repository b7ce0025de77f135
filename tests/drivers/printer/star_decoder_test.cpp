#include "drivers/printer/star_decoder.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace tillbridge::drivers {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

const std::string kInit = "\x1b@";
const std::string kCut =
    "\x1b"
    "d\x02"s;  // feed to the cutter, full cut

struct Harness {
  ManualClock clock{1'700'000'000'000};
  StarDecoder decoder;
  std::vector<DecodedReceipt> out;

  explicit Harness(DecoderLimits limits = {}) : decoder(clock, limits) {}
  void Feed(const std::string& bytes) { decoder.Feed(bytes, out); }
  // Feeds one byte at a time: the result must not depend on chunking.
  void FeedBytewise(const std::string& bytes) {
    for (char c : bytes) decoder.Feed(std::string(1, c), out);
  }
  std::string OnlyText() {
    REQUIRE(out.size() == 1);
    return out[0].text;
  }
};

std::string Word(std::size_t n) {
  return std::string{static_cast<char>(n & 0xFF), static_cast<char>(n >> 8)};
}

// ESC GS y D 1 0 nL nH data: QR code data, automatic type.
std::string QrData(const std::string& data) {
  return "\x1b\x1dyD1\x00"s + Word(data.size()) + data;
}

TEST_CASE("star: text lines and ESC d make one receipt") {
  Harness h;
  h.Feed(kInit + "Hello\n\rWorld  \r\n" + kCut);
  CHECK(h.OnlyText() == "Hello\nWorld");
  CHECK(h.out[0].end == ReceiptEnd::kCut);
  CHECK_FALSE(h.out[0].truncated);
  CHECK(h.decoder.stats().receipts == 1);
  CHECK(h.decoder.command_set() == "star");
}

TEST_CASE("star: every ESC d cut form ends a receipt, other ESC d values do not") {
  for (const std::string& n : {"\x00"s, "\x01"s, "\x02"s, "\x03"s, "0"s, "1"s, "2"s, "3"s}) {
    Harness h;
    h.Feed(
        "one\n\x1b"
        "d" +
        n +
        "two\n\x1b"
        "d" +
        n);
    REQUIRE(h.out.size() == 2);
    CHECK(h.out[0].text == "one");
    CHECK(h.out[1].text == "two");
  }
  Harness h;
  h.Feed(
      "one\x1b"
      "d\x09two\n" +
      kCut);
  CHECK(h.OnlyText() == "one\ntwo");
}

TEST_CASE("star: a cut with no text emits nothing; blank lines around text go") {
  Harness h;
  h.Feed(kCut + "\n\n" + kCut + "\n\nA\n\nB\n\n\n" + kCut);
  CHECK(h.OnlyText() == "A\n\nB");
}

TEST_CASE("star: emphasis, underline, size, alignment, inversion and fonts are skipped") {
  Harness h;
  h.Feed(kInit +
         "\x1b"
         "E"  // emphasis on / off
         "\x1b"
         "F"
         "\x1b-\x01"           // underline
         "\x1b_\x01"           // upperline
         "\x1bi\x01\x01"       // double height and width
         "\x1bW\x01\x1bh\x01"  // expanded width / height
         "\x0e\x14"            // SO / DC4: double width on / off
         "\x1b\x0e\x1b\x14"    // ESC SO / ESC DC4: double height on / off
         "\x1b"
         "4\x1b"
         "5"         // white / black inversion
         "\x0f\x12"  // SI / DC2: upside down on / off
         "\x1b\x1e"
         "F\x01"          // font B
         "\x1b\x1ei\x01"  // rotation
         "\x1b\x1d"
         "a\x01"                 // centre
         "\x1bM\x1bP\x1b:\x1bg"  // pitches
         "\x1b \x02"             // right space
         "\x1b/\x01"             // slash zero
         "\x1bz\x01\x1b"
         "0\x1b"
         "1\x1b"
         "2\x1b"
         "3\x18\x1b"
         "A\x10\x1by\x20"      // line spacing
         "\x1bl\x02\x1bQ\x04"  // margins
         "\x1b\x1d"
         "A\x10\x00\x1b\x1dR\x08\x00"  // absolute / relative position
         "\x1b"
         "C\x00\x05\x1b"
         "C\x1e\x1bN\x02\x1bO"  // page length, bottom margin
         "\x1b"
         "D\x08\x10\x18\x00\x1b"
         "B\x02\x04\x00"  // tab positions
         "\x1b%\x01\x1b&\x01\x01\x41"s +
         std::string(48, 'x') +                           // a download character
         "\x1b&\x01\x00\x41"s +                           // deleting it
         "\x1bp\x1bq\x1b$\x00\x1bs\x01\x02\x1bt\x01\x02"  // Kanji settings
         "\x1b\x1e"
         "a\x01\x1b\x06\x01\x05\x04\x17"               // status: ASB, ESC ACK SOH, ENQ, EOT, ETB
         "\x1b\x1d\x03\x01\x00\x00\x1b\x1dg1\x00\x0a"  // print start control, timer
         "Styled\tText\n"s +
         kCut);
  CHECK(h.OnlyText() == "Styled Text");
  CHECK(h.decoder.stats().unknown_commands == 0);
  CHECK(h.decoder.stats().commands >= 45);
}

TEST_CASE("star: ESC GS t selects the code page; ESC @ and CAN go back to the default") {
  Harness h;
  CHECK(h.decoder.code_page_name() == "CP437");
  // CP437 e-acute, CP858 euro, CP1252 euro, then ESC @ and CAN back to CP437
  h.Feed("\x1b\x1dt\x01\x82|\x1b\x1dt\x04\xd5|\x1b\x1dt\x20\x80|"s);
  CHECK(h.decoder.code_page_name() == "CP1252");
  // CAN also drops the unprinted part of the line
  h.Feed(kInit +
         "\x82|\n\x1b\x1dt\x04"
         "dropped\x18\x82\n" +
         kCut);
  CHECK(h.OnlyText() == "é|€|€|é|\né");
  CHECK(h.decoder.code_page_name() == "CP437");
}

TEST_CASE("star: ESC R selects a national character set") {
  Harness h;
  h.Feed("\x1bR\x03#1 \x1bR\x02[x~\x1bR\x00#\n"s + kCut);
  CHECK(h.OnlyText() == "£1 Äxß#");
}

TEST_CASE("star: feed commands end the line, LF CR and CR LF are one break") {
  Harness h;
  h.Feed(
      "a\x1b"
      "a\x02"       // feed n lines
      "b\x1bJ\x10"  // n/4 mm
      "c\x1bI\x08"  // n/8 mm
      "d\x1bj\x01"  // reverse feed
      "e\x0c"       // form feed
      "f\x0b\x0b"   // vertical tab: ends the line, adds no blank one
      "g\n\rh\r\ni\n\nj\n"s +
      kCut);
  CHECK(h.OnlyText() == "a\nb\nc\nd\ne\nf\ng\nh\ni\n\nj");
}

TEST_CASE("star: barcodes are skipped up to RS; one cut short keeps what follows") {
  Harness h;
  h.Feed(
      "before\n\x1b"
      "b\x03\x02\x02\x32"
      "000000300101\x1e"
      "\x1b"
      "b6\x02"
      "22R300104\x1e"
      "after\n"s +
      kCut);
  CHECK(h.OnlyText() == "before\nafter");
  CHECK(h.decoder.stats().aborted_commands == 0);
  Harness cut_short;
  cut_short.Feed(
      "\x1b"
      "b\x03\x02\x02\x32"
      "0000\nTOTAL 1.00\n"s +
      kCut);
  CHECK(cut_short.OnlyText() == "TOTAL 1.00");
  CHECK(cut_short.decoder.stats().aborted_commands == 1);
}

TEST_CASE("star: QR and PDF417 codes do not leak into the text") {
  Harness h;
  std::string stream = "before\n";
  // the yS0 yS1 yS2 settings, then data that looks like a cut and text
  stream += "\x1b\x1dyS0\x02\x1b\x1dyS1\x01\x1b\x1dyS2\x06"s;
  stream += QrData(
      "https://x.example/\x1b"
      "d\x02\n" +
      std::string(300, 'Q'));
  stream += "\x1b\x1dyP\x1b\x1dyI";
  // manual data: two blocks, numbers then binary
  stream +=
      "\x1b\x1dyD2\x02\x01\x03\x00"
      "123\x03\x02\x00\x1b\x1d"s;
  // PDF417: size, ECC, module width, aspect ratio, data, print
  stream += "\x1b\x1dxS0\x00\x01\x02\x1b\x1dxS1\x02\x1b\x1dxS2\x02\x1b\x1dxS3\x03"s;
  stream +=
      "\x1b\x1dxD\x0a\x00"
      "BELEG 4077\x1b\x1dxP\x1b\x1dxI"s;
  stream += "after\n" + kCut;
  h.Feed(stream);
  CHECK(h.OnlyText() == "before\nafter");
  CHECK(h.decoder.stats().unknown_commands == 0);
  CHECK(h.decoder.stats().payload_bytes_skipped == 18 + 4 + 300 + 3 + 2 + 10);
}

TEST_CASE("star: bit images, raster rows and logos are skipped with their payloads") {
  Harness h;
  std::string stream = "before\n";
  stream += "\x1bK\x04\x00"s + std::string(4, '\n');  // one byte per column
  stream += "\x1bL\x03\x00"s + std::string(3, '\x1b');
  stream += "\x1bk\x02\x00"s + std::string(2 * 24, 'k');               // 2 bytes wide, 24 rows
  stream += "\x1bX\x05\x00"s + std::string(5 * 3, 'X');                // 3 bytes per column
  stream += "\x1b^\x00\x02\x00"s + std::string(4, 'x');                // 9-dot columns
  stream += "\x1b\x1cp\x01\x00"s;                                      // print logo 1
  stream += "\x1b\x1cq\x01\x01\x00\x02\x00"s + std::string(16, '\r');  // store one 1x2 logo
  stream +=
      "\x1b\x1d*0003123\x1b\x1d*1016032\x1b\x1d*2\x31\x31"
      "080\x1b\x1d*W";  // marks
  stream += "after\n" + kCut;
  h.Feed(stream);
  CHECK(h.OnlyText() == "before\nafter");
  CHECK(h.decoder.stats().payload_bytes_skipped == 4 + 3 + 48 + 15 + 4 + 16 + 3);
  CHECK(h.decoder.stats().unknown_commands == 0);
}

TEST_CASE("star: raster mode hides everything but raster commands and ends with the EOT cut") {
  Harness h;
  std::string job = "text before\n";
  job += "\x1b*rA\x1b*rQ2\x00\x1b*rml10\x00\x1b*rP0\x00"s;
  job +=
      "b\x03\x00"
      "abc"
      "k\x02\x00\n\n"
      "stray text is not printed"s;
  job += "\x1b*rY24\x00"s;
  job += "\x1b*rB";  // rows pending: the default EOT mode cuts
  job += "next receipt\n";
  h.Feed(job);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text == "text before");
  CHECK(h.out[0].end == ReceiptEnd::kCut);
  CHECK(h.decoder.stats().payload_bytes_skipped == 5);
  // an EOT mode without the cutter; ESC FF EOT runs it, ESC * r B then has no rows
  h.Feed(
      "\x1b*rA\x1b*rE1\x00"
      "b\x01\x00\xff\x1b\x0c\x04\x1b*rB"s);
  CHECK(h.out.size() == 1);
  h.Feed(
      "\x1b*rA\x1b*rE9\x00"
      "b\x01\x00\xff\x1b\x0c\x04\x1b*rB"s);
  REQUIRE(h.out.size() == 2);
  CHECK(h.out[1].text == "next receipt");
}

TEST_CASE("star: page mode, drawer, buzzer and status commands print nothing") {
  Harness h;
  h.Feed(
      "\x1b\x1dP0\x1b\x1dP2\x01\x1b\x1dP3\x00\x00\x00\x00\x40\x02\x00\x04"
      "A\x1b\x1dP7\x1b\x1dP1"
      "\x07\x1c\x1a\x19\x1b\x07\x0b\x37\x07"  // drawer kicks, pulse width
      "\x1b\x1d\x07\x01\x02\x03"              // buzzer
      "\x1b\x1d\x19\x11\x01\x02\x03"          // external buzzer
      "\x1b\x1e"
      "a\x01\x1b\x1er\x01\x1b\x1e"
      "d\x03"                                             // ASB, speed, density
      "\x1b?\x0a\x00"                                     // reset
      "\x1b#*,1,2,3,4\x0a\x00\x1b\x1d#N,0,0,0,0\x0a\x00"  // memory switches
      "B\n"s +
      kCut);
  CHECK(h.OnlyText() == "AB");
  CHECK(h.decoder.stats().unknown_commands == 0);
}

TEST_CASE("star: unknown ESC sequences skip only ESC and one byte") {
  Harness h;
  h.Feed("x\x1bGy\x1b\x1d\xeez\x1b\x1e\x99w\x1b*\x01q\n"s + kCut);
  CHECK(h.OnlyText() == "xyzwq");
  CHECK(h.decoder.stats().unknown_commands == 4);
  // an ESC where a parameter was expected starts the next command
  Harness again;
  again.Feed(
      "a\x1b\x1dy\x1b"
      "E"
      "b\n" +
      kCut);
  CHECK(again.OnlyText() == "ab");
}

TEST_CASE("star: GS and FS alone are ESC/POS, not Star, and print nothing") {
  Harness h;
  h.Feed(
      "A\x1dV\x00"
      "B\n"s +
      kCut);
  // Star ignores the bare GS; V is a letter it prints.
  CHECK(h.OnlyText() == "AVB");
}

TEST_CASE("star: a command truncated at the end of a stream does not eat the next stream") {
  Harness h;
  h.Feed(
      "first\n\x1bK\xff\xff"
      "only a little"s);
  CHECK(h.decoder.HasPendingReceipt());
  h.decoder.EndStream(h.out);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text == "first");
  CHECK(h.out[0].end == ReceiptEnd::kStreamEnd);
  CHECK(h.decoder.stats().aborted_commands == 1);
  h.Feed("second\n" + kCut);
  REQUIRE(h.out.size() == 2);
  CHECK(h.out[1].text == "second");
}

TEST_CASE("star: ResetStream abandons a command but keeps the text") {
  Harness h;
  h.Feed("first\n" + QrData(std::string(1000, 'q')).substr(0, 20));
  h.decoder.ResetStream();
  h.Feed("second\n" + kCut);
  CHECK(h.OnlyText() == "first\nsecond");
}

TEST_CASE("star: a job cut off in raster mode does not hide the next job") {
  Harness h;
  h.Feed(
      "\x1b*rA"
      "b\x10\x00"
      "abc"s);
  h.decoder.EndStream(h.out);
  h.Feed("visible\n" + kCut);
  CHECK(h.OnlyText() == "visible");
  Harness idle;
  idle.Feed(
      "\x1b*rA"
      "b\x02\x00"
      "ab"s);
  idle.clock.Advance(6s);
  idle.decoder.CheckIdle(idle.out);
  CHECK(idle.out.empty());
  CHECK_FALSE(idle.decoder.HasPendingReceipt());
  idle.Feed("visible\n" + kCut);
  CHECK(idle.OnlyText() == "visible");
}

TEST_CASE("star: the idle timeout ends a receipt and abandons a half-received command") {
  Harness h;
  h.Feed("no cut here\n\x1b\x1dyD1\x00\x00\x10"s);
  h.clock.Advance(4999ms);
  h.decoder.CheckIdle(h.out);
  CHECK(h.out.empty());
  h.clock.Advance(1ms);
  h.decoder.CheckIdle(h.out);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text == "no cut here");
  CHECK(h.out[0].end == ReceiptEnd::kIdle);
  CHECK(h.decoder.stats().aborted_commands == 1);
  h.Feed("next\n" + kCut);
  REQUIRE(h.out.size() == 2);
  CHECK(h.out[1].text == "next");
}

TEST_CASE("star: Flush emits pending text; times and byte counts are kept") {
  Harness h;
  h.Feed("pending\n");
  h.clock.Advance(2s);
  h.Feed("more");
  h.decoder.Flush(h.out);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text == "pending\nmore");
  CHECK(h.out[0].end == ReceiptEnd::kFlush);
  CHECK(h.out[0].first_byte_at == 1'700'000'000'000);
  CHECK(h.out[0].last_byte_at == 1'700'000'002'000);
  CHECK(h.out[0].byte_count == 12);
}

TEST_CASE("star: headers declaring absurd payloads are garbage") {
  DecoderLimits limits;
  limits.max_payload_bytes = 1000;
  Harness h(limits);
  h.Feed(
      "\x1b\x1dyD1\x00\xff\xff"
      "ok\n"s +
      kCut);
  CHECK(h.OnlyText().find("ok") != std::string::npos);
  CHECK(h.decoder.stats().unknown_commands == 1);
}

TEST_CASE("star: very long lines and receipts are capped, characters never split") {
  DecoderLimits limits;
  limits.max_line_bytes = 41;
  limits.max_receipt_bytes = 2000;
  Harness h(limits);
  h.Feed("\x1b\x1dt\x04" + std::string(100, '\xd5') + "\nshort\n" + kCut);  // euro signs
  CHECK(h.OnlyText().size() == 39 + 6);
  CHECK(h.out[0].truncated);
  h.out.clear();
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "line " + std::to_string(i) + "\n";
  h.Feed(many + kCut);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].truncated);
  CHECK(h.out[0].text.size() <= 2000);
}

TEST_CASE("star: chunking does not change the result") {
  const std::string stream = kInit +
                             "\x18\x1b\x1dt\x04"
                             "Caf\x82 \xd5 1,00\n" +
                             "\x1b"
                             "b\x03\x02\x02\x32"
                             "012345678905\x1e" +
                             QrData(
                                 "a\x1b"
                                 "b") +
                             "\x1bk\x01\x00"s + std::string(24, '\x1b') + "x\n" + kCut + "y\n" +
                             kCut;
  Harness whole, bytewise;
  whole.Feed(stream);
  bytewise.FeedBytewise(stream);
  REQUIRE(whole.out.size() == 2);
  REQUIRE(bytewise.out.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) CHECK(whole.out[i].text == bytewise.out[i].text);
  CHECK(whole.out[0].text == "Café € 1,00\nx");
}

TEST_CASE("star: garbage never crashes nor grows beyond the caps") {
  DecoderLimits limits;
  limits.max_receipt_bytes = 4096;
  limits.max_line_bytes = 128;
  std::string garbage;
  unsigned state = 4321;
  for (int i = 0; i < 300000; ++i) {
    state = state * 1103515245u + 12345u;
    // plenty of ESC and GS so that command paths are exercised
    const unsigned pick = (state >> 8) % 16;
    garbage.push_back(static_cast<char>(pick == 0 ? 0x1b : pick == 1 ? 0x1d : (state >> 16)));
  }
  for (std::size_t chunk : {1u, 7u, 4096u}) {
    Harness h(limits);
    for (std::size_t at = 0; at < garbage.size(); at += chunk) {
      h.Feed(garbage.substr(at, chunk));
      if (at % 50000 < chunk) {
        h.clock.Advance(6s);
        h.decoder.CheckIdle(h.out);
      }
    }
    h.decoder.Flush(h.out);
    for (const auto& r : h.out) CHECK(r.text.size() <= 4096);
    CHECK(h.decoder.stats().bytes == garbage.size());
  }
}

}  // namespace
}  // namespace tillbridge::drivers
