// Rings up many completed OSPOS sales with real SQL, the way OSPOS writes
// them (a sales row, its line, its cash payment and, for the customer's
// sales, its reward points), in multi-sale
// transactions. Survives the server going away: it reconnects and uses the
// transaction's tag (sales.comment = 'burst-<n>') to tell whether the commit
// it lost sight of happened, so the database ends with exactly `count` sales.
#pragma once

#include <atomic>
#include <string>

#include "common/status.h"

namespace tillbridge::drivers::testing {

class OsposBurst {
 public:
  OsposBurst(std::string database, int count, int per_transaction)
      : database_(std::move(database)), count_(count), per_transaction_(per_transaction) {}

  // Adds the item and the customer the sales use. Call once before Run.
  Status Prepare();
  // Writes all sales; blocks. Returns an error only when the server stays
  // unreachable for a minute.
  Status Run();
  // Sales committed so far.
  int committed() const { return committed_.load(); }
  // Times the writer had to reconnect.
  int reconnects() const { return reconnects_.load(); }

  // The total (minor units) that sale `sale_id` of a burst has.
  static std::int64_t TotalFor(std::int64_t sale_id) { return (1 + sale_id % 3) * 225; }
  // The reward points that sale `sale_id` earns when it has the customer.
  static std::int64_t PointsFor(std::int64_t sale_id) { return 1 + sale_id % 3; }

 private:
  std::string database_;
  int count_;
  int per_transaction_;
  std::atomic<int> committed_{0};
  std::atomic<int> reconnects_{0};
};

}  // namespace tillbridge::drivers::testing
