#include "tools/register-sim/demo_pos.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include <mutex>

namespace tillbridge::tools {

using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Poco::Data::Keywords::use;

struct DemoPos::Connection {
  explicit Connection(const std::string& path) : session("SQLite", path) {}
  Poco::Data::Session session;
};

namespace {

// Splits the schema into statements: ';' ends one unless inside quotes;
// "--" comments are dropped.
std::vector<std::string> SplitStatements(const std::string& script) {
  std::vector<std::string> statements;
  std::string current;
  bool quoted = false;
  for (size_t i = 0; i < script.size(); ++i) {
    const char c = script[i];
    if (!quoted && c == '-' && i + 1 < script.size() && script[i + 1] == '-') {
      while (i < script.size() && script[i] != '\n') ++i;
      current += '\n';
      continue;
    }
    if (c == '\'') quoted = !quoted;
    if (c == ';' && !quoted) {
      if (current.find_first_not_of(" \t\r\n") != std::string::npos) statements.push_back(current);
      current.clear();
      continue;
    }
    current += c;
  }
  if (current.find_first_not_of(" \t\r\n") != std::string::npos) statements.push_back(current);
  return statements;
}

Status Error(const std::string& what, const Poco::Exception& error) {
  return Status::Unavailable("demo POS: " + what + ": " + error.displayText());
}

std::int64_t RoundedTax(std::int64_t subtotal) {
  const std::int64_t scaled = subtotal * kDemoTaxBasisPoints;
  return (scaled + (scaled >= 0 ? 5000 : -5000)) / 10000;
}

}  // namespace

DemoPos::DemoPos(std::unique_ptr<Connection> connection, const Clock& clock)
    : connection_(std::move(connection)), clock_(clock) {}

DemoPos::~DemoPos() = default;

Result<std::unique_ptr<DemoPos>> DemoPos::Open(const std::string& path, const Clock& clock) {
  static std::once_flag registered;
  std::call_once(registered, [] { Poco::Data::SQLite::Connector::registerConnector(); });
  try {
    auto connection = std::make_unique<Connection>(path);
    // A busy reader or a second simulator must not make a write fail at once.
    connection->session.setConnectionTimeout(10);
    for (const auto& statement : SplitStatements(Schema())) {
      Poco::Data::Statement run(connection->session);
      run << statement;
      run.execute();
    }
    return std::unique_ptr<DemoPos>(new DemoPos(std::move(connection), clock));
  } catch (const Poco::Exception& error) {
    return Error("cannot open " + path, error);
  }
}

Result<DemoTicket> DemoPos::Insert(const DemoBasket& basket, bool paid) {
  if (basket.lines.empty()) return Status::InvalidArgument("demo POS: a basket needs lines");
  auto& session = connection_->session;
  const std::string when = FormatRfc3339(clock_.NowMillis());
  try {
    session.begin();
    DemoTicket ticket;
    std::vector<std::tuple<std::string, std::string, std::int64_t, std::int64_t, std::int64_t>>
        rows;
    for (const DemoLine& line : basket.lines) {
      std::string sku = line.sku;
      std::string description;
      Poco::Int64 price = -1;
      session << "SELECT description, unit_price_cents FROM products WHERE sku = ?",
          into(description), into(price), use(sku), now;
      if (price < 0) {
        session.rollback();
        return Status::InvalidArgument("demo POS: unknown product " + line.sku);
      }
      const std::int64_t scaled = line.qty_milli * price;
      const std::int64_t total = (scaled + (scaled >= 0 ? 500 : -500)) / 1000;
      rows.emplace_back(line.sku, description, line.qty_milli, price, total);
      ticket.subtotal_cents += total;
    }
    ticket.tax_cents = RoundedTax(ticket.subtotal_cents);
    ticket.total_cents = ticket.subtotal_cents + ticket.tax_cents;
    ticket.status = paid ? "paid" : "held";

    std::string status = ticket.status;
    std::string opened = when;
    Poco::Nullable<std::string> closed;
    if (paid) closed = when;
    Poco::Int64 cashier = basket.cashier_id;
    Poco::Nullable<Poco::Int64> customer;
    if (basket.customer_id) customer = static_cast<Poco::Int64>(*basket.customer_id);
    Poco::Int64 subtotal = ticket.subtotal_cents, tax = ticket.tax_cents,
                total = ticket.total_cents;
    session << "INSERT INTO tickets (status, opened_at, closed_at, updated_at, cashier_id, "
               "customer_id, subtotal_cents, tax_cents, total_cents) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        use(status), use(opened), use(closed), use(opened), use(cashier), use(customer),
        use(subtotal), use(tax), use(total), now;
    Poco::Int64 id = 0;
    session << "SELECT last_insert_rowid()", into(id), now;
    ticket.id = id;
    Poco::Int64 line_no = 0;
    for (auto& [sku, description, qty, price, line_total] : rows) {
      ++line_no;
      Poco::Int64 q = qty, p = price, t = line_total;
      session << "INSERT INTO ticket_lines (ticket_id, line_no, sku, description, qty_milli, "
                 "unit_price_cents, line_total_cents) VALUES (?, ?, ?, ?, ?, ?, ?)",
          use(id), use(line_no), use(sku), use(description), use(q), use(p), use(t), now;
    }
    for (std::string code : basket.coupons) {
      session << "INSERT OR IGNORE INTO ticket_coupons (ticket_id, code) VALUES (?, ?)", use(id),
          use(code), now;
    }
    if (paid) {
      std::string method = basket.payment;
      session << "INSERT INTO ticket_payments (ticket_id, method, amount_cents) VALUES (?, ?, ?)",
          use(id), use(method), use(total), now;
    }
    session.commit();
    return ticket;
  } catch (const Poco::Exception& error) {
    try {
      if (session.isTransaction()) session.rollback();
    } catch (const Poco::Exception&) {
    }
    return Error("ringing up a ticket", error);
  }
}

Result<DemoTicket> DemoPos::RingUpSale(const DemoBasket& basket) { return Insert(basket, true); }

Result<DemoTicket> DemoPos::HoldBasket(const DemoBasket& basket) { return Insert(basket, false); }

Result<DemoTicket> DemoPos::CompleteHeld(std::int64_t ticket_id, const std::string& payment) {
  auto& session = connection_->session;
  const std::string when = FormatRfc3339(clock_.NowMillis());
  try {
    session.begin();
    Poco::Int64 id = ticket_id;
    std::string status;
    Poco::Int64 subtotal = 0, tax = 0, total = 0;
    session << "SELECT status, subtotal_cents, tax_cents, total_cents FROM tickets "
               "WHERE ticket_id = ?",
        into(status), into(subtotal), into(tax), into(total), use(id), now;
    if (status != "held") {
      session.rollback();
      return Status::FailedPrecondition("demo POS: ticket " + std::to_string(ticket_id) +
                                        " is not held (" + (status.empty() ? "missing" : status) +
                                        ")");
    }
    std::string method = payment;
    std::string closed = when;
    session << "UPDATE tickets SET status = 'paid', closed_at = ?, updated_at = ? "
               "WHERE ticket_id = ?",
        use(closed), use(closed), use(id), now;
    session << "INSERT INTO ticket_payments (ticket_id, method, amount_cents) VALUES (?, ?, ?)",
        use(id), use(method), use(total), now;
    session.commit();
    return DemoTicket{ticket_id, "paid", subtotal, tax, total};
  } catch (const Poco::Exception& error) {
    try {
      if (session.isTransaction()) session.rollback();
    } catch (const Poco::Exception&) {
    }
    return Error("completing a held ticket", error);
  }
}

Status DemoPos::SetStatus(std::int64_t ticket_id, const std::string& from, const std::string& to) {
  auto& session = connection_->session;
  try {
    Poco::Int64 id = ticket_id;
    std::string from_status = from, to_status = to;
    std::string when = FormatRfc3339(clock_.NowMillis());
    Poco::Data::Statement update(session);
    update << "UPDATE tickets SET status = ?, updated_at = ? WHERE ticket_id = ? AND status = ?",
        use(to_status), use(when), use(id), use(from_status);
    const std::size_t changed = update.execute();
    if (changed != 1) {
      return Status::FailedPrecondition("demo POS: ticket " + std::to_string(ticket_id) +
                                        " is not " + from);
    }
    return Status::Ok();
  } catch (const Poco::Exception& error) {
    return Error("changing a ticket to " + to, error);
  }
}

Status DemoPos::DiscardHeld(std::int64_t ticket_id) {
  return SetStatus(ticket_id, "held", "discarded");
}
Status DemoPos::Refund(std::int64_t ticket_id) { return SetStatus(ticket_id, "paid", "refunded"); }
Status DemoPos::Void(std::int64_t ticket_id) { return SetStatus(ticket_id, "paid", "voided"); }

Result<std::vector<std::int64_t>> DemoPos::TicketsWithStatus(const std::string& status) {
  try {
    std::vector<Poco::Int64> ids;
    std::string wanted = status;
    connection_->session << "SELECT ticket_id FROM tickets WHERE status = ? ORDER BY ticket_id",
        into(ids), use(wanted), now;
    return std::vector<std::int64_t>(ids.begin(), ids.end());
  } catch (const Poco::Exception& error) {
    return Error("listing tickets", error);
  }
}

Result<std::vector<DemoProduct>> DemoPos::Products() {
  try {
    Poco::Data::Statement select(connection_->session);
    select
        << "SELECT sku, description, unit_price_cents, sold_by_weight FROM products ORDER BY sku";
    select.execute();
    Poco::Data::RecordSet rows(select);
    std::vector<DemoProduct> out;
    for (std::size_t r = 0; r < rows.rowCount(); ++r) {
      out.push_back(DemoProduct{
          rows.value(0, r).convert<std::string>(), rows.value(1, r).convert<std::string>(),
          rows.value(2, r).convert<Poco::Int64>(), rows.value(3, r).convert<Poco::Int64>() != 0});
    }
    return out;
  } catch (const Poco::Exception& error) {
    return Error("listing products", error);
  }
}

Result<std::vector<DemoCustomer>> DemoPos::Customers() {
  try {
    Poco::Data::Statement select(connection_->session);
    select << "SELECT customer_id, name, phone FROM customers ORDER BY customer_id";
    select.execute();
    Poco::Data::RecordSet rows(select);
    std::vector<DemoCustomer> out;
    for (std::size_t r = 0; r < rows.rowCount(); ++r) {
      out.push_back(DemoCustomer{
          rows.value(0, r).convert<Poco::Int64>(), rows.value(1, r).convert<std::string>(),
          rows.value(2, r).isEmpty() ? std::string() : rows.value(2, r).convert<std::string>()});
    }
    return out;
  } catch (const Poco::Exception& error) {
    return Error("listing customers", error);
  }
}

}  // namespace tillbridge::tools
