// Star receipts made by two real encoders (receipt-printer-encoder in its
// star-line and star-prnt languages, node-thermal-printer's STAR type) for the
// printer tap's stream tests. tests/js/printer/make-star-receipts.mjs writes
// them; node runs it once per test process.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tests/drivers/printer/printer_fixtures.h"

namespace tillbridge::testing {

// One Star receipt file and what decoding it must yield.
struct StarReceiptFixture : ReceiptFixture {
  std::string encoder;                // "receipt-printer-encoder" or "node-thermal-printer"
  std::string language;               // "star-line" or "star-prnt"
  std::size_t receipts = 1;           // cuts in the file; 0 when it has none
  std::string second_receipt_number;  // the second receipt's, when receipts == 2
  std::vector<std::string> words;     // text the decoded receipts must contain
};

// The receipts from make-star-receipts.mjs, in file order; fails the test
// when node or the npm packages are missing (run scripts/install-deps.sh test).
const std::vector<StarReceiptFixture>& StarReceipts();

}  // namespace tillbridge::testing
