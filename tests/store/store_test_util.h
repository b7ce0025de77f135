// Builders shared by the store tests.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "store/model.h"
#include "store/store.h"
#include "tests/test_util.h"

namespace tillbridge::store::testing {

inline Transaction MakeSale(const std::string& pos_id, std::int64_t total_minor = 1299,
                            const std::string& phone = "") {
  Transaction txn;
  txn.source = "pos";
  txn.pos_id = pos_id;
  txn.kind = TransactionKind::kSale;
  txn.occurred_at = 1'795'953'600'000;
  txn.currency = "USD";
  txn.subtotal_minor = total_minor - 100;
  txn.tax_minor = 100;
  txn.total_minor = total_minor;
  txn.cashier = "c-7";
  txn.customer_phone = phone;
  txn.lines.push_back({"SKU-1", "Coffee beans 1kg", 1000, total_minor - 100, total_minor - 100});
  txn.lines.push_back({"SKU-2", "Paper bag", 2000, 0, 0});
  txn.payments.push_back({"card", total_minor});
  return txn;
}

inline std::unique_ptr<Store> OpenStore(const std::string& path, const Clock* clock = nullptr,
                                        FaultHook hook = {}) {
  StoreOptions options;
  options.path = path;
  options.store_id = "store-9";
  options.terminal_id = "lane-2";
  options.clock = clock;
  options.fault_hook = std::move(hook);
  auto store = Store::Open(options);
  REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  return std::move(store).value();
}

}  // namespace tillbridge::store::testing
