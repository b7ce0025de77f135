# Profile of the bundled demo POS (examples/demo-pos/schema.sql), a small
# SQLite register database written by tools/register-sim.
[profile]
name = demo
description = Tillbridge demo POS (SQLite)
connector = sqlite
amounts = minor
times = utc

[requires]
tickets = ticket_id, status, opened_at, closed_at, cashier_id, customer_id, subtotal_cents, tax_cents, total_cents, currency
ticket_lines = ticket_id, line_no, sku, description, qty_milli, unit_price_cents, line_total_cents
ticket_payments = ticket_id, method, amount_cents
ticket_coupons = ticket_id, code
cashiers = cashier_id, name
customers = customer_id, phone

[sales]
query =
    SELECT t.ticket_id AS id,
           t.status AS state,
           COALESCE(t.closed_at, t.opened_at) AS occurred_at,
           t.updated_at AS updated_at,
           t.subtotal_cents AS subtotal,
           t.tax_cents AS tax,
           t.total_cents AS total,
           t.currency AS currency,
           c.name AS cashier,
           cu.phone AS customer_phone
      FROM tickets t
      LEFT JOIN cashiers c ON c.cashier_id = t.cashier_id
      LEFT JOIN customers cu ON cu.customer_id = t.customer_id
updated_at = updated_at
subtotal = subtotal
tax = tax
total = total
currency = currency
cashier = cashier
customer_phone = customer_phone

[states]
completed = paid
refunded = refunded
voided = voided, discarded
held = held
ignore = open

[lines]
query =
    SELECT ticket_id AS sale_id, line_no, sku, description,
           qty_milli / 1000.0 AS quantity, unit_price_cents AS unit_price,
           line_total_cents AS total
      FROM ticket_lines
line_no = line_no
sku = sku
description = description
total = total

[payments]
query =
    SELECT ticket_id AS sale_id, method AS type, amount_cents AS amount
      FROM ticket_payments

[coupons]
query =
    SELECT ticket_id AS sale_id, code FROM ticket_coupons
