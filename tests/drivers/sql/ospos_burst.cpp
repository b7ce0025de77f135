#include "tests/drivers/sql/ospos_burst.h"

#include <chrono>
#include <memory>
#include <thread>

#include "tests/drivers/sql/sql_test_util.h"

namespace tillbridge::drivers::testing {
namespace {

Result<std::unique_ptr<PosWriter>> ConnectWithRetry(const std::string& database) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    auto writer = PosWriter::Connect(PosWriter::Kind::kMariaDb, database);
    if (writer.ok()) return writer;
    if (std::chrono::steady_clock::now() > deadline) return writer.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace

Status OsposBurst::Prepare() {
  auto writer = PosWriter::Connect(PosWriter::Kind::kMariaDb, database_);
  if (!writer.ok()) return writer.status();
  for (const char* sql :
       {"INSERT INTO ospos_items (name, category, description, cost_price, unit_price, "
        "allow_alt_description, is_serialized, item_number) VALUES ('Paper filters x100', "
        "'Accessories', '', 1.00, 2.25, 0, 0, '4006381333948')",
        "INSERT INTO ospos_people (first_name, last_name, gender, phone_number, email, "
        "address_1, address_2, city, state, zip, country, comments) VALUES ('Burst', 'Buyer', "
        "1, '(212) 555-0147', '', '', '', '', '', '', '', '')",
        "INSERT INTO ospos_customers (person_id, account_number, taxable, package_id, points, "
        "employee_id, consent) VALUES (LAST_INSERT_ID(), NULL, 1, NULL, 0, 1, 1)"}) {
    TB_RETURN_IF_ERROR((*writer)->Execute(sql));
  }
  return Status::Ok();
}

Status OsposBurst::Run() {
  auto connected = ConnectWithRetry(database_);
  if (!connected.ok()) return connected.status();
  std::unique_ptr<PosWriter> writer = std::move(connected).value();
  const int transactions = (count_ + per_transaction_ - 1) / per_transaction_;
  for (int t = 0; t < transactions; ++t) {
    const int in_this = std::min(per_transaction_, count_ - t * per_transaction_);
    const std::string tag = "burst-" + std::to_string(t);
    std::string values;
    for (int i = 0; i < in_this; ++i) {
      // Every third sale has the customer with a phone number.
      values += std::string(i ? ", " : "") + "(NOW(), " +
                (i % 3 == 0 ? "(SELECT MAX(person_id) FROM ospos_customers)" : "NULL") + ", 1, '" +
                tag + "', 0, 0)";
    }
    const std::string statements[] = {
        "START TRANSACTION",
        "INSERT INTO ospos_sales (sale_time, customer_id, employee_id, comment, sale_status, "
        "sale_type) VALUES " +
            values,
        "INSERT INTO ospos_sales_items (sale_id, item_id, description, serialnumber, line, "
        "quantity_purchased, item_cost_price, item_unit_price, discount, discount_type, "
        "item_location, print_option) SELECT s.sale_id, (SELECT MAX(item_id) FROM ospos_items), "
        "'', '', 1, 1 + s.sale_id % 3, 1.00, 2.25, 0, 0, 1, 0 FROM ospos_sales s "
        "WHERE s.sale_id >= LAST_INSERT_ID() AND s.comment = '" +
            tag + "'",
        // Before the payments, whose auto-increment id moves LAST_INSERT_ID().
        "INSERT INTO ospos_sales_reward_points (sale_id, earned, used) SELECT s.sale_id, "
        "1 + s.sale_id % 3, 0 FROM ospos_sales s WHERE s.sale_id >= LAST_INSERT_ID() AND "
        "s.customer_id IS NOT NULL AND s.comment = '" +
            tag + "'",
        "INSERT INTO ospos_sales_payments (sale_id, payment_type, payment_amount, cash_refund, "
        "cash_adjustment, employee_id) SELECT s.sale_id, 'Cash', (1 + s.sale_id % 3) * 2.25, 0, 0, "
        "1 FROM ospos_sales s WHERE s.sale_id >= LAST_INSERT_ID() AND s.comment = '" +
            tag + "'",
        "COMMIT"};
    bool done = false;
    while (!done) {
      Status status;
      for (const auto& sql : statements) {
        status = writer->Execute(sql);
        if (!status.ok()) break;
      }
      if (status.ok()) {
        done = true;
        break;
      }
      // Lost the server (restart). Reconnect and find out whether the
      // transaction committed before it went.
      ++reconnects_;
      auto again = ConnectWithRetry(database_);
      if (!again.ok()) return again.status();
      writer = std::move(again).value();
      auto present =
          writer->QueryText("SELECT COUNT(*) FROM ospos_sales WHERE comment = '" + tag + "'");
      if (!present.ok()) continue;
      if (*present == std::to_string(in_this)) {
        done = true;
      } else if (*present != "0") {
        return Status::Internal("transaction " + tag + " is half there: " + *present + " sales");
      }
    }
    committed_ += in_this;
  }
  return Status::Ok();
}

}  // namespace tillbridge::drivers::testing
