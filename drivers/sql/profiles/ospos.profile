# Open Source Point of Sale (OSPOS) 3.x on MariaDB / MySQL; checked against
# the 3.4.1 schema. Table prefix "ospos_" (the installer's default); if your
# install uses another prefix, copy this file, change the table names and
# point pos.profile at the copy.
#
# OSPOS facts this profile relies on (app/Config/Constants.php):
#   sale_status: 0 completed, 1 suspended, 2 cancelled (rows are never deleted)
#   sale_type:   0 POS, 1 invoice, 2 work order, 3 quote, 4 return
# A suspended sale keeps its sale_id when completed later (OSPOS updates the
# same row), quotes and work orders are stored suspended, and a return is a
# completed sale of type 4 with negative quantities and payments.
# Sale times are the shop's local time: set pos.time_zone to the zone in
# OSPOS's Configuration > Locale.
[profile]
name = ospos
description = Open Source Point of Sale 3.x on MariaDB / MySQL
connector = mysql
amounts = major
times = local

[requires]
ospos_sales = sale_id, sale_time, customer_id, employee_id, sale_status, sale_type, quote_number, work_order_number
ospos_sales_items = sale_id, item_id, line, quantity_purchased, item_unit_price, discount, discount_type, description
ospos_sales_payments = sale_id, payment_type, payment_amount, cash_refund
ospos_sales_taxes = sale_id, tax_type, sale_tax_amount
ospos_people = person_id, first_name, last_name, phone_number
ospos_items = item_id, name, item_number, category
ospos_app_config = key, value
ospos_customers = person_id, points
ospos_sales_reward_points = sale_id, earned

[sales]
query =
    SELECT s.sale_id AS id,
           CASE
             WHEN s.sale_status = 2 THEN 'voided'
             WHEN s.sale_status = 1 AND (s.sale_type IN (2, 3) OR s.quote_number IS NOT NULL
                                         OR s.work_order_number IS NOT NULL) THEN 'ignore'
             WHEN s.sale_status = 1 THEN 'held'
             WHEN s.sale_type = 4 THEN 'refunded'
             ELSE 'completed'
           END AS state,
           s.sale_time AS occurred_at,
           (SELECT ROUND(COALESCE(SUM(i.quantity_purchased * i.item_unit_price
                     - CASE WHEN i.discount_type = 0
                            THEN i.quantity_purchased * i.item_unit_price * i.discount / 100
                            ELSE i.discount END), 0), 2)
              FROM ospos_sales_items i WHERE i.sale_id = s.sale_id) AS subtotal,
           (SELECT COALESCE(SUM(t.sale_tax_amount), 0)
              FROM ospos_sales_taxes t WHERE t.sale_id = s.sale_id) AS tax,
           -- tax_type 1 is added on top of the prices; 0 (VAT) is included in them
           (SELECT ROUND(COALESCE(SUM(i.quantity_purchased * i.item_unit_price
                     - CASE WHEN i.discount_type = 0
                            THEN i.quantity_purchased * i.item_unit_price * i.discount / 100
                            ELSE i.discount END), 0), 2)
              FROM ospos_sales_items i WHERE i.sale_id = s.sale_id)
           + (SELECT COALESCE(SUM(t.sale_tax_amount), 0)
                FROM ospos_sales_taxes t WHERE t.sale_id = s.sale_id AND t.tax_type = 1) AS total,
           (SELECT NULLIF(TRIM(c.value), '')
              FROM ospos_app_config c WHERE c.`key` = 'currency_code') AS currency,
           TRIM(CONCAT(e.first_name, ' ', e.last_name)) AS cashier,
           NULLIF(TRIM(p.phone_number), '') AS customer_phone,
           -- reward points: OSPOS adds the whole points of `earned` to the
           -- customer's balance
           (SELECT FLOOR(SUM(r.earned))
              FROM ospos_sales_reward_points r WHERE r.sale_id = s.sale_id) AS points_earned,
           cu.points AS points_balance
      FROM ospos_sales s
      LEFT JOIN ospos_people e ON e.person_id = s.employee_id
      LEFT JOIN ospos_people p ON p.person_id = s.customer_id
      LEFT JOIN ospos_customers cu ON cu.person_id = s.customer_id
id_type = integer
subtotal = subtotal
tax = tax
total = total
currency = currency
cashier = cashier
customer_phone = customer_phone
points_earned = points_earned
points_balance = points_balance

[lines]
query =
    SELECT i.sale_id AS sale_id,
           i.line AS line_no,
           COALESCE(NULLIF(it.item_number, ''), CAST(i.item_id AS CHAR)) AS sku,
           COALESCE(NULLIF(it.name, ''), i.description) AS description,
           it.category AS category,
           i.quantity_purchased AS quantity,
           i.item_unit_price AS unit_price,
           ROUND(i.quantity_purchased * i.item_unit_price
                 - CASE WHEN i.discount_type = 0
                        THEN i.quantity_purchased * i.item_unit_price * i.discount / 100
                        ELSE i.discount END, 2) AS total
      FROM ospos_sales_items i
      LEFT JOIN ospos_items it ON it.item_id = i.item_id
line_no = line_no
sku = sku
description = description
category = category
total = total

[payments]
# The tendered amount less the change handed back; gift card payments are
# named "Gift Card:<number>", of which only "Gift Card" is kept.
query =
    SELECT p.sale_id AS sale_id,
           SUBSTRING_INDEX(p.payment_type, ':', 1) AS type,
           p.payment_amount - p.cash_refund AS amount
      FROM ospos_sales_payments p

# OSPOS records no coupon codes.
[coupons]
