# Template for a POS that Tillbridge has no profile for. Copy this file, fill
# in the queries for your POS's database, and set pos.profile to the copy's
# path. docs/pos-profiles.md walks through it step by step; `tillbridge
# doctor` then checks every table, query and column against your database.
#
# Rules:
#  - Each query is one SELECT (or WITH ... SELECT) without ';'. The agent
#    wraps it as a subquery and adds the WHERE / ORDER BY / LIMIT itself:
#    do not filter by id, order or limit here.
#  - Continue a value on indented lines. Comments inside SQL use "--".
#  - A field is read from the column of the same name unless mapped with
#    "field = column". Optional fields are read only when mapped.
#  - Amounts are decimal currency units ("12.50") unless [profile] amounts =
#    minor ("1250"). Times are the POS's local time (converted with
#    pos.time_zone) unless [profile] times = utc or the value carries a zone.

[profile]
name = my-pos
description = My POS
# sqlite, mysql or postgresql (pos.connector in the config overrides it)
connector = postgresql
amounts = major
times = local

# Tables and columns `tillbridge doctor` checks before anything else.
# table = column, column, ...
[requires]

# One row per sale (ticket, receipt, order). Required fields:
#   id          increasing sale id (new sales get higher ids); the POS's id
#               for the sale unless pos_id is mapped
#   state       completed / refunded / voided / held / ignore, or your POS's
#               own values mapped in [states] below
#   occurred_at when the sale was made
# Optional fields (map them to use them): pos_id, total, subtotal, tax,
#   cashier, customer_phone, currency, coupon_codes (comma-separated),
#   updated_at (when the state last changed)
[sales]
# integer (bound as numbers, gaps watched) or text
id_type = integer
query =

# Map your POS's state values (comma-separated) when they are not the words
# above, e.g.  completed = 1, closed
[states]

# One row per sale line. Required: sale_id (matches [sales] id), quantity,
# unit_price. Optional: line_no (order of lines), sku, description, total
# (line total; default quantity x unit_price).
[lines]
query =

# One row per payment. Required: sale_id, type (cash, card, ...), amount.
[payments]
query =

# One row per coupon code used. Required: sale_id, code. Leave empty when
# the POS records none.
[coupons]
query =
