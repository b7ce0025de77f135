#include "drivers/printer/escpos_decoder.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace tillbridge::drivers {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

const std::string kInit = "\x1b@";
const std::string kCut = "\x1dV\x00"s;
const std::string kPartialCut = "\x1dVB\x03";

struct Harness {
  ManualClock clock{1'700'000'000'000};
  DecoderLimits limits;
  EscPosDecoder decoder;
  std::vector<DecodedReceipt> out;

  explicit Harness(DecoderLimits l = {}) : limits(l), decoder(clock, l) {}
  void Feed(const std::string& bytes) { decoder.Feed(bytes, out); }
  // Feeds one byte at a time: the result must not depend on chunking.
  void FeedBytewise(const std::string& bytes) {
    for (char c : bytes) decoder.Feed(std::string(1, c), out);
  }
};

std::string Raster(int width_bytes, int height, char fill) {
  std::string cmd = "\x1dv0";
  cmd.push_back('\0');
  cmd.push_back(static_cast<char>(width_bytes & 0xFF));
  cmd.push_back(static_cast<char>(width_bytes >> 8));
  cmd.push_back(static_cast<char>(height & 0xFF));
  cmd.push_back(static_cast<char>(height >> 8));
  return cmd + std::string(static_cast<size_t>(width_bytes * height), fill);
}

TEST_CASE("text lines and a cut make one receipt") {
  Harness h;
  h.Feed(kInit + "Hello\n\rWorld  \r\n" + kCut);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text == "Hello\nWorld");
  CHECK(h.out[0].end == ReceiptEnd::kCut);
  CHECK_FALSE(h.out[0].truncated);
}

TEST_CASE("blank lines inside a receipt stay, leading and trailing ones go") {
  Harness h;
  h.Feed("\n\nA\n\nB\n\n\n" + kCut);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text == "A\n\nB");
}

TEST_CASE("each cut form ends a receipt") {
  for (const std::string& cut : {kCut, "\x1dV\x01"s, "\x1dV0"s, "\x1dV1"s, kPartialCut,
                                 "\x1dVA\x10"s, "\x1dVa\x00"s, "\x1bi"s, "\x1bm"s}) {
    Harness h;
    h.Feed("one\n" + cut + "two\n" + cut);
    REQUIRE(h.out.size() == 2);
    CHECK(h.out[0].text == "one");
    CHECK(h.out[1].text == "two");
  }
}

TEST_CASE("a cut with no text before it emits nothing") {
  Harness h;
  h.Feed(kCut + kCut + Raster(2, 2, '\xff') + kCut);
  CHECK(h.out.empty());
}

TEST_CASE("styles and parameters do not leak into the text") {
  Harness h;
  // bold, underline, size, align, font, line spacing, italic, invert, print mode
  h.Feed(
      "\x1b"
      "E\x01"
      "\x1b-\x01"
      "\x1d!\x11"
      "\x1b"
      "a\x01"
      "\x1bM\x01"
      "\x1b"
      "3\x18"
      "\x1b"
      "4\x01"
      "\x1d"
      "B\x01"
      "\x1b!\x38"
      "Styled\n" +
      kCut);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text == "Styled");
}

TEST_CASE("code page switches decode each run of text") {
  Harness h;
  // CP437 e-acute, CP1252 euro, CP858 euro, CP850 A-grave, then ESC @ back to CP437
  h.Feed("\x82|\x1bt\x10\x80|\x1bt\x13\xd5|\x1bt\x02\xb7|" + kInit + "\x82\n" + kCut);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text == "é|€|€|À|é");
}

TEST_CASE("ESC R international character sets") {
  Harness h;
  h.Feed("\x1bR\x03#1 \x1bR\x02[x~\x1bR\x00#\n"s + kCut);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text == "£1 Äxß#");
}

TEST_CASE("images, barcodes and 2D codes are skipped without losing sync") {
  Harness h;
  std::string stream = "before\n";
  // raster with bytes that look like commands and newlines inside
  stream += Raster(8, 100, '\x1d');
  stream += Raster(3, 5, '\n');
  // ESC * 33: 24-dot double density, 3 bytes per column, 10 columns
  stream += "\x1b*\x21\x0a\x00"s + std::string(30, '\x0a');
  // ESC * 0: 8-dot, 1 byte per column
  stream +=
      "\x1b*\x00\x04\x00"
      "\x1dV\x00\x0a"s;
  // GS k, NUL-terminated form and length-prefixed form
  stream +=
      "\x1dk\x04"
      "ABC123\x00"s;
  stream += "\x1dkI\x08{BABC123";
  // GS ( k QR code store data with a payload containing a GS V cut
  stream +=
      "\x1d(k\x08\x00"
      "1P0\x1dV\x00xy"s;
  // GS ( L graphics, GS 8 L large graphics, GS * download image
  stream +=
      "\x1d(L\x04\x00"
      "0p\x0a\x0a"s;
  stream +=
      "\x1d"
      "8L\x03\x00\x00\x00"
      "\x1bi\x0a"s;
  stream += "\x1d*\x01\x01" + std::string(8, '\x1b');
  // ESC & user-defined characters: y=2, chars 0x41..0x42, widths 2 and 1
  stream +=
      "\x1b&\x02\x41\x42\x02"
      "\x1bi\x0a\x0a\x01\x1bm"s;
  stream += "after\n" + kCut;
  h.Feed(stream);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text == "before\nafter");
  CHECK(h.decoder.stats().payload_bytes_skipped > 800);
}

TEST_CASE("real-time status requests are commands, not text") {
  Harness h;
  h.Feed(
      "A\x10\x04\x01"
      "B\x10\x04\x07\x01"
      "C\x10\x05\x02"
      "D\x10\x14\x01\x00\x01"s
      "E\x1dr\x01"
      "F\x1d"
      "a\xff"
      "G\n" +
      kCut);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text == "ABCDEFG");
}

TEST_CASE("unknown commands skip only their command byte") {
  Harness h;
  h.Feed("x\x1b\x7fy\x1d\xeez\x1c\x99w\x10Zq\n" + kCut);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text == "xyzwZq");
  CHECK(h.decoder.stats().unknown_commands == 4);
}

TEST_CASE("a barcode cut short by a control byte does not swallow what follows") {
  Harness h;
  h.Feed(
      "\x1dk\x04"
      "ABC"
      "\nTOTAL 1.00\n" +
      kCut);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text == "TOTAL 1.00");
  CHECK(h.decoder.stats().aborted_commands == 1);
}

TEST_CASE("a command truncated at the end of a stream does not eat the next stream") {
  Harness h;
  // a raster image that promises 64 KB but the connection ends after 10 bytes
  h.Feed("first\n" + Raster(255, 255, 'x').substr(0, 18));
  h.decoder.ResetStream();
  h.Feed("second\n" + kCut);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text == "first\nsecond");
}

TEST_CASE("headers declaring absurd payloads are treated as garbage") {
  DecoderLimits limits;
  limits.max_payload_bytes = 1000;
  Harness h(limits);
  h.Feed(
      "\x1d"
      "8L\xff\xff\xff\x7f"
      "ok\n"s +
      kCut);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text.find("ok") != std::string::npos);
}

TEST_CASE("the idle timeout ends a receipt that has no cut") {
  Harness h;
  h.Feed("no cut here\n");
  h.decoder.CheckIdle(h.out);
  CHECK(h.out.empty());
  h.clock.Advance(4999ms);
  h.decoder.CheckIdle(h.out);
  CHECK(h.out.empty());
  h.clock.Advance(1ms);
  h.decoder.CheckIdle(h.out);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text == "no cut here");
  CHECK(h.out[0].end == ReceiptEnd::kIdle);
  // nothing pending: later checks emit nothing
  h.clock.Advance(10s);
  h.decoder.CheckIdle(h.out);
  CHECK(h.out.size() == 1);
}

TEST_CASE("an idle gap also abandons a half-received command") {
  Harness h;
  h.Feed("text\n" + Raster(100, 100, 'x').substr(0, 50));
  h.clock.Advance(6s);
  h.decoder.CheckIdle(h.out);
  REQUIRE(h.out.size() == 1);
  h.Feed("next\n" + kCut);
  REQUIRE(h.out.size() == 2);
  CHECK(h.out[1].text == "next");
}

TEST_CASE("Flush emits pending text") {
  Harness h;
  h.Feed("pending\n");
  h.decoder.Flush(h.out);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].end == ReceiptEnd::kFlush);
}

TEST_CASE("very long lines and receipts are capped") {
  DecoderLimits limits;
  limits.max_line_bytes = 40;
  limits.max_receipt_bytes = 2000;
  Harness h(limits);
  h.Feed(std::string(100000, 'A') + "\nshort\n" + kCut);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].truncated);
  CHECK(h.out[0].text == std::string(40, 'A') + "\nshort");
  h.out.clear();
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "line " + std::to_string(i) + "\n";
  h.Feed(many + kCut);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].truncated);
  CHECK(h.out[0].text.size() <= 2000);
  CHECK(h.out[0].text.rfind("line 0\n", 0) == 0);
}

TEST_CASE("multi-byte characters are never split by the line cap") {
  DecoderLimits limits;
  limits.max_line_bytes = 41;
  Harness h(limits);
  h.Feed("\x1bt\x10" + std::string(100, '\x80') + "\n" + kCut);  // euro signs, 3 bytes each
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].text.size() == 39);
}

TEST_CASE("chunking does not change the result") {
  const std::string stream = kInit +
                             "\x1bt\x13"
                             "Caf\x82 \xd5 1,00\n" +
                             Raster(4, 4, '\x1d') +
                             "\x1dk\x02"
                             "12345\x00"
                             "x\n"s +
                             kCut + "y\n" + kPartialCut;
  Harness whole, bytewise;
  whole.Feed(stream);
  bytewise.FeedBytewise(stream);
  REQUIRE(whole.out.size() == 2);
  REQUIRE(bytewise.out.size() == 2);
  for (size_t i = 0; i < 2; ++i) CHECK(whole.out[i].text == bytewise.out[i].text);
  CHECK(whole.out[0].text == "Café € 1,00\nx");
}

TEST_CASE("pure garbage never grows memory beyond the caps") {
  DecoderLimits limits;
  limits.max_receipt_bytes = 4096;
  Harness h(limits);
  std::string garbage;
  unsigned state = 12345;
  for (int i = 0; i < 200000; ++i) {
    state = state * 1103515245u + 12345u;
    garbage.push_back(static_cast<char>(state >> 16));
  }
  h.Feed(garbage);
  h.decoder.Flush(h.out);
  for (const auto& r : h.out) CHECK(r.text.size() <= 4096);
  CHECK(h.decoder.stats().bytes == garbage.size());
}

}  // namespace
}  // namespace tillbridge::drivers

namespace tillbridge::drivers {
namespace {

TEST_CASE("a receipt that starts in the same chunk as the previous cut still ends by idle") {
  Harness h;
  h.Feed("first\n" + kCut + "second, no cut\n");
  REQUIRE(h.out.size() == 1);
  h.clock.Advance(5s);
  h.decoder.CheckIdle(h.out);
  REQUIRE(h.out.size() == 2);
  CHECK(h.out[1].text == "second, no cut");
  CHECK(h.out[1].end == ReceiptEnd::kIdle);
}

}  // namespace
}  // namespace tillbridge::drivers
