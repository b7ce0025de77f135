-- Completes the suspended sale of samples.sql at 11:26 the way OSPOS 3.4.1
-- does (Sales::postComplete -> Sale::save_value with the recalled sale_id):
-- it deletes the sale's detail rows, UPDATEs the same ospos_sales row (new
-- sale_time, status completed) and writes the lines, tax totals and tenders
-- again. The sale keeps its id. Written for Tillbridge's tests; run after
-- samples.sql. (OSPOS also clears ospos_sales_items_taxes, per-line taxes that
-- the agent does not read and that a suspended sale does not have.)
SET @suspended := (SELECT MIN(sale_id) FROM ospos_sales
                    WHERE sale_status = 1 AND sale_type = 0 AND comment = 'back after the bank');
SET @honey := (SELECT item_id FROM ospos_items WHERE item_number = '8712345000029');

START TRANSACTION;
DELETE FROM ospos_sales_payments WHERE sale_id = @suspended;
DELETE FROM ospos_sales_items WHERE sale_id = @suspended;
DELETE FROM ospos_sales_taxes WHERE sale_id = @suspended;
UPDATE ospos_sales SET sale_time = '2025-06-10 11:26:00', sale_status = 0, sale_type = 0
 WHERE sale_id = @suspended;
-- 2 x 4.75 honey less 20 % = 7.60, 6.25 % sales tax 0.48, total 8.08: 5.00 on a
-- gift card, the rest by debit card.
INSERT INTO ospos_sales_items (sale_id, item_id, description, serialnumber, line,
                               quantity_purchased, item_cost_price, item_unit_price,
                               discount, discount_type, item_location, print_option)
VALUES (@suspended, @honey, '', '', 1, 2, 2.20, 4.75, 20, 0, 1, 0);
INSERT INTO ospos_sales_taxes (sale_id, tax_type, tax_group, sale_tax_basis, sale_tax_amount,
                               name, tax_rate)
VALUES (@suspended, 1, '6.25% Sales Tax', 7.60, 0.48, 'Sales Tax', 6.25);
INSERT INTO ospos_sales_payments (sale_id, payment_type, payment_amount, cash_refund,
                                  cash_adjustment, employee_id, payment_time)
VALUES (@suspended, 'Gift Card:GC-20417', 5.00, 0, 0, 1, '2025-06-10 11:26:00'),
       (@suspended, 'Debit Card', 3.08, 0, 0, 1, '2025-06-10 11:26:00');
COMMIT;
