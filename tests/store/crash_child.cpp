// Child process for crash_test: ingests sales (and consent changes) in a
// loop, continuing from the stored cursor, and prints "committed N" after
// each commit returns. The parent kills it with SIGKILL at random moments.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "store/consent_ledger.h"
#include "store/store.h"
#include "store/transaction_log.h"

using namespace tillbridge;
using namespace tillbridge::store;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s STORE_FILE\n", argv[0]);
    return 2;
  }
  StoreOptions options;
  options.path = argv[1];
  options.store_id = "crash-store";
  auto store = Store::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  auto cursor = (*store)->transactions().Cursor("pos");
  long next = cursor.ok() && cursor->has_value() ? std::stol(**cursor) + 1 : 1;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  for (;; ++next) {
    Transaction txn;
    txn.source = "pos";
    txn.pos_id = std::to_string(next);
    txn.occurred_at = 1'795'953'600'000 + next;
    txn.total_minor = next;
    txn.customer_phone = "+1415555" + std::to_string(1000 + next % 9000);
    txn.lines.push_back({"A", "first line", 1000, next, next});
    txn.lines.push_back({"B", "second line", 1000, 0, 0});
    txn.lines.push_back({"C", "third line", 1000, 0, 0});
    Status status = (*store)->transactions().Ingest("pos", {txn}, txn.pos_id);
    if (!status.ok()) {
      std::fprintf(stderr, "ingest: %s\n", status.ToString().c_str());
      return 1;
    }
    ConsentChange change;
    change.phone = txn.customer_phone;
    change.purpose = next % 2 ? ConsentPurpose::kMarketing : ConsentPurpose::kTransactional;
    change.granted = next % 3 != 0;
    change.method = "keypad";
    change.actor = "crash";
    change.occurred_at = txn.occurred_at;
    auto recorded = (*store)->consents().Record(change);
    if (!recorded.ok()) {
      std::fprintf(stderr, "consent: %s\n", recorded.status().ToString().c_str());
      return 1;
    }
    std::printf("committed %ld\n", next);
  }
}
