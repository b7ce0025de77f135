// The portable part of sync_test_util.h: generated sales and phones, used by
// the sync unit tests on every platform (the Windows build included).
#include "tests/sync/sync_test_util.h"

namespace tillbridge::testing {

std::string CustomerPhone(int index) {
  std::string digits = std::to_string(index % 10000);
  return "+1415555" + std::string(4 - digits.size(), '0') + digits;
}

std::vector<store::Transaction> MakeSales(std::int64_t first, std::int64_t count, int customers,
                                          UnixMillis occurred_at) {
  std::vector<store::Transaction> sales;
  sales.reserve(static_cast<size_t>(count));
  for (std::int64_t i = first; i < first + count; ++i) {
    store::Transaction sale;
    sale.source = "sim";
    sale.pos_id = std::to_string(i);
    sale.occurred_at = occurred_at;
    sale.subtotal_minor = 1000 + (i % 50) * 10;
    sale.tax_minor = 80;
    sale.total_minor = sale.subtotal_minor + sale.tax_minor;
    sale.cashier = "c" + std::to_string(i % 3);
    if (customers > 0) sale.customer_phone = CustomerPhone(static_cast<int>(i % customers));
    sale.lines.push_back({"SKU-" + std::to_string(i % 97), "Item " + std::to_string(i % 97), 1000,
                          sale.subtotal_minor, sale.subtotal_minor});
    sale.payments.push_back({"card", sale.total_minor});
    sales.push_back(std::move(sale));
  }
  return sales;
}

}  // namespace tillbridge::testing
