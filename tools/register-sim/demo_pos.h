// The bundled demo POS: a register database in SQLite (schema in
// examples/demo-pos/schema.sql). DemoPos plays the POS: it writes tickets the
// way a register would. The register simulator drives it, and tests use it
// to ring up sales that the agent's "demo" profile then reads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace tillbridge::tools {

struct DemoProduct {
  std::string sku;
  std::string description;
  std::int64_t unit_price_cents = 0;
  bool sold_by_weight = false;
};

struct DemoCustomer {
  std::int64_t id = 0;
  std::string name;
  std::string phone;  // as typed at the counter; may be empty or invalid
};

struct DemoLine {
  std::string sku;
  std::int64_t qty_milli = 1000;
};

// What a cashier rings up.
struct DemoBasket {
  std::vector<DemoLine> lines;
  std::int64_t cashier_id = 1;
  std::optional<std::int64_t> customer_id;
  std::vector<std::string> coupons;
  std::string payment = "card";  // cash, card or gift_card
};

struct DemoTicket {
  std::int64_t id = 0;
  std::string status;
  std::int64_t subtotal_cents = 0;
  std::int64_t tax_cents = 0;
  std::int64_t total_cents = 0;
};

// Sales tax the demo register adds to every ticket, in basis points (8 %).
inline constexpr std::int64_t kDemoTaxBasisPoints = 800;

// One writer connection to a demo POS database. Not thread-safe. Each
// method is one SQLite transaction.
class DemoPos {
 public:
  // Opens `path`, creating the file and applying the schema (idempotent).
  // Times written come from `clock`, which must outlive the object.
  static Result<std::unique_ptr<DemoPos>> Open(const std::string& path, const Clock& clock);
  ~DemoPos();
  DemoPos(const DemoPos&) = delete;
  DemoPos& operator=(const DemoPos&) = delete;

  // A paid sale.
  Result<DemoTicket> RingUpSale(const DemoBasket& basket);
  // A basket parked at the counter (status held, no payment).
  Result<DemoTicket> HoldBasket(const DemoBasket& basket);
  // A held basket paid: same ticket id, status paid.
  Result<DemoTicket> CompleteHeld(std::int64_t ticket_id, const std::string& payment);
  // A held basket thrown away (status discarded).
  Status DiscardHeld(std::int64_t ticket_id);
  // A paid sale refunded in full / cancelled after the fact.
  Status Refund(std::int64_t ticket_id);
  Status Void(std::int64_t ticket_id);

  // Ids of tickets in `status`, oldest first.
  Result<std::vector<std::int64_t>> TicketsWithStatus(const std::string& status);
  Result<std::vector<DemoProduct>> Products();
  Result<std::vector<DemoCustomer>> Customers();

  // The demo schema (examples/demo-pos/schema.sql), compiled in.
  static const char* Schema();

 private:
  struct Connection;
  explicit DemoPos(std::unique_ptr<Connection> connection, const Clock& clock);
  Result<DemoTicket> Insert(const DemoBasket& basket, bool paid);
  Status SetStatus(std::int64_t ticket_id, const std::string& from, const std::string& to);

  std::unique_ptr<Connection> connection_;
  const Clock& clock_;
};

}  // namespace tillbridge::tools
