// The consent evidence for audits: CSV export of every ledger row and the
// hash-chain check, behind `tillbridge consents export|verify`.
#pragma once

#include <ostream>

#include "common/status.h"
#include "store/store.h"

namespace tillbridge::agent {

// Writes one CSV row (RFC 4180: CRLF line ends, fields quoted when needed)
// per ledger entry, oldest first, after a header row. Phones are written in
// full (this is the audit record), with the disclosure's version, frequency,
// text and hash as the customer saw them.
Status WriteConsentsCsv(store::Store& store, std::ostream& out);

// Checks the ledger's hash chain and prints the verdict to `out`. Returns
// the process exit code: 0 intact, 1 broken (naming the first bad row, or
// saying that the chain head is damaged), 2 when the check could not run.
int VerifyConsentChain(store::Store& store, std::ostream& out);

}  // namespace tillbridge::agent
