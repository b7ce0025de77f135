-- Sample sales for the OSPOS tests (sql_ospos_test.cpp): a tea shop's morning
-- on 2025-06-10, rung up in OSPOS 3.4.1 (shop time America/New_York). Written
-- for Tillbridge's tests; runs on a fresh database made from either schema
-- the tests use, the fixture (schema.sql beside this file) or the full OSPOS
-- 3.4.1 schema, and needs only what both start with: person 1, the
-- administrator who rings up the sales (and, in the full schema, stock
-- location 1, where the lines are sold from).
--
-- The rows are what OSPOS writes for each sale (Sale::save_value): the
-- ospos_sales row, its lines, its tenders and, once completed, its tax totals.
-- Stock movements (ospos_inventory) are left out: the agent does not read them.
-- In a fresh database the ids come out as: items 1-3, customer person 2,
-- sales 1 (completed), 2 (suspended), 3 (return).

-- ------------------------------------------------------------------- setup
START TRANSACTION;
INSERT INTO ospos_items (name, category, item_number, description, cost_price, unit_price,
                         allow_alt_description, is_serialized)
VALUES ('Darjeeling first flush 100 g', 'Tea', '8712345000012', '', 3.10, 6.40, 0, 0);
SET @tea := LAST_INSERT_ID();
INSERT INTO ospos_items (name, category, item_number, description, cost_price, unit_price,
                         allow_alt_description, is_serialized)
VALUES ('Acacia honey 250 g', 'Pantry', '8712345000029', '', 2.20, 4.75, 0, 0);
SET @honey := LAST_INSERT_ID();
-- No barcode: the agent reports the item id as the SKU.
INSERT INTO ospos_items (name, category, item_number, description, cost_price, unit_price,
                         allow_alt_description, is_serialized)
VALUES ('Mesh tea strainer', 'Accessories', NULL, '', 1.60, 5.00, 0, 0);
SET @strainer := LAST_INSERT_ID();

-- A regular customer, with a phone number written the way a cashier types it.
INSERT INTO ospos_people (first_name, last_name, gender, phone_number, email, address_1,
                          address_2, city, state, zip, country, comments)
VALUES ('Priya', 'Raman', 1, '+44 20 7946 0321', 'priya.raman@example.org', '41 Harbor Lane',
        '', 'Boston', 'MA', '02110', 'United States', '');
SET @customer := LAST_INSERT_ID();
INSERT INTO ospos_customers (person_id, account_number, taxable, package_id, points,
                             employee_id, consent)
VALUES (@customer, NULL, 1, NULL, 0, 1, 1);
COMMIT;

-- ----------------------------------- 1. completed sale, 09:40, sales tax on top
-- 3 x 6.40 tea = 19.20; a strainer at 5.00 less 0.50 off = 4.50; subtotal 23.70,
-- 6.25 % sales tax 1.48, total 25.18. Paid with 30.00 cash, 4.82 change.
START TRANSACTION;
INSERT INTO ospos_sales (sale_time, customer_id, employee_id, comment, sale_status, sale_type)
VALUES ('2025-06-10 09:40:00', @customer, 1, '', 0, 0);
SET @completed := LAST_INSERT_ID();
INSERT INTO ospos_sales_items (sale_id, item_id, description, serialnumber, line,
                               quantity_purchased, item_cost_price, item_unit_price,
                               discount, discount_type, item_location, print_option)
VALUES (@completed, @tea, '', '', 1, 3, 3.10, 6.40, 0, 0, 1, 0),
       (@completed, @strainer, '', '', 2, 1, 1.60, 5.00, 0.50, 1, 1, 0);
INSERT INTO ospos_sales_taxes (sale_id, tax_type, tax_group, sale_tax_basis, sale_tax_amount,
                               name, tax_rate)
VALUES (@completed, 1, '6.25% Sales Tax', 23.70, 1.48, 'Sales Tax', 6.25);
INSERT INTO ospos_sales_payments (sale_id, payment_type, payment_amount, cash_refund,
                                  cash_adjustment, employee_id, payment_time)
VALUES (@completed, 'Cash', 30.00, 4.82, 0, 1, '2025-06-10 09:40:00');
COMMIT;

-- ----------------------------------------------------- 2. suspended sale, 10:50
-- 2 x 4.75 honey less 20 % = 7.60. Suspended: no tax rows, no payment yet.
START TRANSACTION;
INSERT INTO ospos_sales (sale_time, customer_id, employee_id, comment, sale_status, sale_type)
VALUES ('2025-06-10 10:50:00', @customer, 1, 'back after the bank', 1, 0);
SET @suspended := LAST_INSERT_ID();
INSERT INTO ospos_sales_items (sale_id, item_id, description, serialnumber, line,
                               quantity_purchased, item_cost_price, item_unit_price,
                               discount, discount_type, item_location, print_option)
VALUES (@suspended, @honey, '', '', 1, 2, 2.20, 4.75, 20, 0, 1, 0);
COMMIT;

-- ---------------------------------------------------------- 3. return, 10:58
-- One tea from sale 1 comes back: a completed sale of type 4 with a negative
-- quantity, negative tax (0.40) and 6.80 cash paid out.
START TRANSACTION;
INSERT INTO ospos_sales (sale_time, customer_id, employee_id, comment, sale_status, sale_type)
VALUES ('2025-06-10 10:58:00', @customer, 1, CONCAT('return from sale ', @completed), 0, 4);
SET @returned := LAST_INSERT_ID();
INSERT INTO ospos_sales_items (sale_id, item_id, description, serialnumber, line,
                               quantity_purchased, item_cost_price, item_unit_price,
                               discount, discount_type, item_location, print_option)
VALUES (@returned, @tea, '', '', 1, -1, 3.10, 6.40, 0, 0, 1, 0);
INSERT INTO ospos_sales_taxes (sale_id, tax_type, tax_group, sale_tax_basis, sale_tax_amount,
                               name, tax_rate)
VALUES (@returned, 1, '6.25% Sales Tax', -6.40, -0.40, 'Sales Tax', 6.25);
INSERT INTO ospos_sales_payments (sale_id, payment_type, payment_amount, cash_refund,
                                  cash_adjustment, employee_id, payment_time)
VALUES (@returned, 'Cash', -6.80, 0, 0, 1, '2025-06-10 10:58:00');
COMMIT;
