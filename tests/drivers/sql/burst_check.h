// Checks shared by the burst tests: the store holds each burst sale exactly
// once, with the right total and phone, and each reward of points once.
#pragma once

#include <doctest/doctest.h>

#include <set>

#include "store/transaction_log.h"
#include "tests/drivers/sql/ospos_burst.h"
#include "tests/drivers/sql/sql_test_util.h"

namespace tillbridge::drivers::testing {

inline void CheckEachSaleOnce(store::Store& store, int expected) {
  auto count = store.transactions().Count();
  REQUIRE(count.ok());
  CHECK(*count == expected);
  const auto events = OutboxEvents(store);
  CHECK(events.size() == static_cast<size_t>(expected));
  std::set<std::string> pos_ids;
  std::set<std::string> event_ids;
  int wrong_total = 0, wrong_type = 0, with_phone = 0;
  for (const auto& event : events) {
    pos_ids.insert(event.pos_id);
    event_ids.insert(event.event_id);
    wrong_type += event.type != "transaction.completed" || event.revision != 1;
    wrong_total += event.total != OsposBurst::TotalFor(std::stoll(event.pos_id));
    with_phone += event.phone == "+12125550147";
  }
  CHECK(pos_ids.size() == static_cast<size_t>(expected));
  CHECK(event_ids.size() == static_cast<size_t>(expected));
  CHECK(wrong_type == 0);
  CHECK(wrong_total == 0);
  CHECK(with_phone >= expected / 3);

  // One loyalty.accrued per sale of the customer, with its points.
  const auto accruals = OutboxAccruals(store);
  CHECK(accruals.size() == static_cast<size_t>(with_phone));
  std::set<std::string> accrued_sales;
  int wrong_points = 0;
  for (const auto& accrual : accruals) {
    accrued_sales.insert(accrual.transaction_pos_id);
    wrong_points += accrual.points != OsposBurst::PointsFor(std::stoll(accrual.transaction_pos_id));
  }
  CHECK(accrued_sales.size() == accruals.size());
  CHECK(wrong_points == 0);
}

}  // namespace tillbridge::drivers::testing
