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
# net: line prices exclude tax, which is added at the bottom (US style);
# gross: line prices include tax (European style)
prices = net
# yes when the POS's sale total includes the tip (mapped as [sales] tip)
tip_in_total = no

# Tables and columns `tillbridge doctor` checks before anything else.
# table = column, column, ...
[requires]

# One row per sale (ticket, receipt, order). Required fields:
#   id          sale id; increasing (new sales get higher ids) unless a
#               cursor column is mapped; the POS's id for the sale unless
#               pos_id is mapped
#   state       completed / refunded / voided / held / ignore, or your POS's
#               own values mapped in [states] below
#   occurred_at when the sale was made
# Optional fields (map them to use them): pos_id, total, subtotal, tax,
#   cashier, customer_phone, currency, coupon_codes (comma-separated),
#   updated_at (when the state last changed), tip, refund_of (the id of the
#   sale a refund returns), cursor (see below)
[sales]
# integer (bound as numbers, gaps watched) or text (UUIDs, "R-1042", ...)
id_type = integer
# Sale ids that do not grow (UUIDs): map cursor to a column that does, such
# as the commit or creation time, and new sales are found by (cursor, id).
# cursor_type = timestamp (any value the database compares), or integer.
# cursor = created_at
# cursor_type = timestamp
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

# Held (parked, suspended) baskets kept in a table of their own rather than
# as sales rows with state held. Required: id. Optional: occurred_at (when
# parked; without it, when the agent first saw the basket), total, tax,
# currency, cashier, customer_phone. Leave empty when held sales are rows of
# the [sales] query.
[held]
query =
