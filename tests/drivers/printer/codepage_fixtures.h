// Test fixtures for the code page round trip: text in many scripts encoded by
// the npm receipt encoder (tests/js/printer/make-codepage-receipts.mjs, run
// once per process with node), and the encoder's own code page tables.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace tillbridge::testing {

// One printed line: the text given to the encoder and what a decoder should
// read back. `status` is "exact", "substituted" (the encoder printed '?' for
// characters it has no byte for; `expected` has the '?'), "control" (the
// encoder sent a character as a control byte; no expectation) or
// "wrong-number" (the encoder selected the page by a number Epson gives
// another page; skipped).
struct EncodedLine {
  std::string text;
  std::string expected;
  std::string status;
};

// One ESC/POS stream, ended by a cut.
struct CodePageStream {
  std::string file;
  std::string mode;  // "auto": the encoder chose pages; "page": one page
  std::string page;  // the encoder's page name ("page" mode)
  int esc_t = -1;    // the ESC t number selected ("page" mode)
  std::string bytes;
  std::vector<EncodedLine> lines;
};

// The encoder's table for one page number: code points for 0x80..0xFF.
struct EncoderTable {
  int number = 0;
  std::string page;
  std::array<char32_t, 128> points{};
};

struct CodePageFixtures {
  std::vector<CodePageStream> streams;
  std::vector<EncoderTable> escpos_tables;  // by Epson's ESC t number
  std::vector<EncoderTable> star_tables;    // by Star's ESC GS t number
};

// Generated on first use; fails the test when node or the encoder package is
// missing (run scripts/install-deps.sh test).
const CodePageFixtures& EncodedCodePageText();

}  // namespace tillbridge::testing
