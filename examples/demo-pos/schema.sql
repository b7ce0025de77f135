-- The Tillbridge demo POS: the database of a small shop's register, in
-- SQLite. tools/register-sim creates it and rings up sales into it; the
-- agent reads it through the built-in "demo" profile
-- (drivers/sql/profiles/demo.profile). Every statement is idempotent, so the
-- file can be applied to an existing database.
--
-- A ticket is one customer's basket. Its status moves:
--   open -> paid                 rung up and paid
--   open -> held -> paid         parked at the counter, completed later
--   open -> held -> discarded    parked and never completed
--   paid -> refunded | voided    money returned / sale cancelled afterwards
-- Money is integer cents; times are UTC ISO 8601 ("2026-01-31T17:05:09.123Z").

PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS cashiers (
  cashier_id INTEGER PRIMARY KEY,
  name       TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS customers (
  customer_id INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  phone       TEXT                -- as typed at the counter; may be invalid
);

CREATE TABLE IF NOT EXISTS products (
  sku              TEXT PRIMARY KEY,
  description      TEXT NOT NULL,
  unit_price_cents INTEGER NOT NULL,
  sold_by_weight   INTEGER NOT NULL DEFAULT 0  -- quantities in grams / 1000
);

CREATE TABLE IF NOT EXISTS tickets (
  ticket_id      INTEGER PRIMARY KEY AUTOINCREMENT,
  status         TEXT NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'held', 'paid', 'refunded', 'voided', 'discarded')),
  opened_at      TEXT NOT NULL,
  closed_at      TEXT,              -- when paid
  updated_at     TEXT NOT NULL,     -- last status change
  cashier_id     INTEGER NOT NULL REFERENCES cashiers (cashier_id),
  customer_id    INTEGER REFERENCES customers (customer_id),
  currency       TEXT NOT NULL DEFAULT 'USD',
  subtotal_cents INTEGER NOT NULL DEFAULT 0,
  tax_cents      INTEGER NOT NULL DEFAULT 0,
  total_cents    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS ticket_lines (
  ticket_id        INTEGER NOT NULL REFERENCES tickets (ticket_id),
  line_no          INTEGER NOT NULL,
  sku              TEXT NOT NULL,
  description      TEXT NOT NULL,
  qty_milli        INTEGER NOT NULL,  -- 1 item = 1000, 0.250 kg = 250
  unit_price_cents INTEGER NOT NULL,
  line_total_cents INTEGER NOT NULL,
  PRIMARY KEY (ticket_id, line_no)
);

CREATE TABLE IF NOT EXISTS ticket_payments (
  payment_id   INTEGER PRIMARY KEY,
  ticket_id    INTEGER NOT NULL REFERENCES tickets (ticket_id),
  method       TEXT NOT NULL CHECK (method IN ('cash', 'card', 'gift_card')),
  amount_cents INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ticket_payments_by_ticket ON ticket_payments (ticket_id);

CREATE TABLE IF NOT EXISTS ticket_coupons (
  ticket_id INTEGER NOT NULL REFERENCES tickets (ticket_id),
  code      TEXT NOT NULL,
  PRIMARY KEY (ticket_id, code)
);

INSERT OR IGNORE INTO cashiers (cashier_id, name) VALUES
  (1, 'Alex Morgan'), (2, 'Sam Lee'), (3, 'Jordan Diaz');

INSERT OR IGNORE INTO customers (customer_id, name, phone) VALUES
  (1, 'Maria Keller',  '(415) 555-0134'),
  (2, 'Tom Becker',    '415.555.0199'),
  (3, 'Priya Shah',    '+44 20 7946 0958'),
  (4, 'Lena Fischer',  '+49 30 1234567'),
  (5, 'Chris Walker',  '12345'),           -- mistyped at the counter
  (6, 'Ana Souza',     NULL);

INSERT OR IGNORE INTO products (sku, description, unit_price_cents, sold_by_weight) VALUES
  ('4006381333931', 'Coffee beans 250g',     850, 0),
  ('4006381333948', 'Paper filters x100',    225, 0),
  ('0012345678905', 'Oat milk 1l',           299, 0),
  ('0036000291452', 'Croissant',             175, 0),
  ('0049000050103', 'Sparkling water 0.5l',  149, 0),
  ('2000000000015', 'Cheddar (per kg)',     1890, 1),
  ('2000000000022', 'Apples (per kg)',       349, 1),
  ('5901234123457', 'Ceramic mug',          1200, 0);
