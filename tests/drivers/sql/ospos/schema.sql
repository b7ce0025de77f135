-- The OSPOS test fixture: a subset of the Open Source Point of Sale 3.4.1
-- schema (as a fresh install leaves it, after all of OSPOS's migrations), made
-- for Tillbridge's tests of the `ospos` profile. It holds only the tables and
-- columns that drivers/sql/profiles/ospos.profile reads ([requires] and its
-- queries) and that the tests write, with OSPOS's column types, NULL-ness,
-- defaults and keys, so the profile meets the same values, rounding and time
-- handling as on a real install. It is not the OSPOS schema: tables the agent
-- never reads (employees, stock, taxes per line, ...) and their foreign keys
-- are left out, and the tests write no row that needs them.
--
-- The sql_db_setup test fixture (prepare_test_databases.sh) loads this file
-- into a template database and dumps it; each test copies the dump. OSPOS
-- declares its tables `utf8`, which MariaDB creates as utf8mb3.

CREATE TABLE ospos_app_config (
  `key`   VARCHAR(50)  NOT NULL,
  `value` VARCHAR(500) NOT NULL,
  PRIMARY KEY (`key`)
) ENGINE = InnoDB DEFAULT CHARSET = utf8;

-- Customers, employees and suppliers are all people.
CREATE TABLE ospos_people (
  person_id    INT(10)      NOT NULL AUTO_INCREMENT,
  first_name   VARCHAR(255) NOT NULL,
  last_name    VARCHAR(255) NOT NULL,
  gender       INT(1)       DEFAULT NULL,
  phone_number VARCHAR(255) NOT NULL,
  email        VARCHAR(255) NOT NULL,
  address_1    VARCHAR(255) NOT NULL,
  address_2    VARCHAR(255) NOT NULL,
  city         VARCHAR(255) NOT NULL,
  state        VARCHAR(255) NOT NULL,
  zip          VARCHAR(255) NOT NULL,
  country      VARCHAR(255) NOT NULL,
  comments     TEXT         NOT NULL,
  PRIMARY KEY (person_id),
  KEY email (email),
  KEY first_name (first_name, last_name, email, phone_number)
) ENGINE = InnoDB DEFAULT CHARSET = utf8;

-- A customer is a person with customer-only fields; sales point here.
CREATE TABLE ospos_customers (
  person_id      INT(10)      NOT NULL,
  account_number VARCHAR(255) DEFAULT NULL,
  taxable        TINYINT(1)   NOT NULL DEFAULT 1,
  package_id     INT(11)      DEFAULT NULL,
  points         INT(11)      DEFAULT NULL,
  employee_id    INT(10)      NOT NULL,
  consent        TINYINT(4)   NOT NULL DEFAULT 0,
  PRIMARY KEY (person_id),
  KEY account_number (account_number),
  CONSTRAINT ospos_customers_person FOREIGN KEY (person_id) REFERENCES ospos_people (person_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8;

CREATE TABLE ospos_items (
  item_id               INT(10)       NOT NULL AUTO_INCREMENT,
  name                  VARCHAR(255)  NOT NULL,
  category              VARCHAR(255)  NOT NULL,
  item_number           VARCHAR(255)  DEFAULT NULL,
  description           VARCHAR(255)  NOT NULL,
  cost_price            DECIMAL(15,2) NOT NULL,
  unit_price            DECIMAL(15,2) NOT NULL,
  allow_alt_description TINYINT(1)    NOT NULL,
  is_serialized         TINYINT(1)    NOT NULL,
  PRIMARY KEY (item_id),
  KEY item_number (item_number)
) ENGINE = InnoDB DEFAULT CHARSET = utf8;

-- One row per sale, suspended sale, quote, work order and return.
-- sale_status: 0 completed, 1 suspended, 2 cancelled.
-- sale_type:   0 POS, 1 invoice, 2 work order, 3 quote, 4 return.
-- sale_time is a TIMESTAMP in the shop's local time as the session sees it.
CREATE TABLE ospos_sales (
  sale_id           INT(10)     NOT NULL AUTO_INCREMENT,
  sale_time         TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP,
  customer_id       INT(10)     DEFAULT NULL,
  employee_id       INT(10)     NOT NULL DEFAULT 0,
  comment           TEXT        NOT NULL,
  quote_number      VARCHAR(32) DEFAULT NULL,
  work_order_number VARCHAR(32) DEFAULT NULL,
  sale_status       TINYINT(1)  NOT NULL DEFAULT 0,
  sale_type         TINYINT(1)  NOT NULL DEFAULT 0,
  PRIMARY KEY (sale_id),
  KEY customer_id (customer_id),
  KEY employee_id (employee_id),
  KEY sale_time (sale_time),
  CONSTRAINT ospos_sales_customer FOREIGN KEY (customer_id) REFERENCES ospos_customers (person_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8;

-- discount_type: 0 percent of the line, 1 fixed amount off the line.
CREATE TABLE ospos_sales_items (
  sale_id            INT(10)       NOT NULL DEFAULT 0,
  item_id            INT(10)       NOT NULL DEFAULT 0,
  description        VARCHAR(255)  DEFAULT NULL,
  serialnumber       VARCHAR(30)   DEFAULT NULL,
  line               INT(3)        NOT NULL DEFAULT 0,
  quantity_purchased DECIMAL(15,3) NOT NULL DEFAULT 0.000,
  item_cost_price    DECIMAL(15,2) NOT NULL,
  item_unit_price    DECIMAL(15,2) NOT NULL,
  discount           DECIMAL(15,2) NOT NULL DEFAULT 0.00,
  discount_type      TINYINT(1)    NOT NULL DEFAULT 0,
  item_location      INT(11)       NOT NULL,
  print_option       TINYINT(1)    NOT NULL DEFAULT 0,
  PRIMARY KEY (sale_id, item_id, line),
  KEY sale_id (sale_id),
  KEY item_id (item_id),
  CONSTRAINT ospos_sales_items_sale FOREIGN KEY (sale_id) REFERENCES ospos_sales (sale_id),
  CONSTRAINT ospos_sales_items_item FOREIGN KEY (item_id) REFERENCES ospos_items (item_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8;

-- payment_type is the tender's label ("Cash", "Debit Card",
-- "Gift Card:<number>", ...); cash_refund is the change handed back.
CREATE TABLE ospos_sales_payments (
  payment_id      INT(11)       NOT NULL AUTO_INCREMENT,
  sale_id         INT(10)       NOT NULL,
  payment_type    VARCHAR(40)   NOT NULL,
  payment_amount  DECIMAL(15,2) NOT NULL,
  cash_refund     DECIMAL(15,2) NOT NULL DEFAULT 0.00,
  cash_adjustment TINYINT(4)    NOT NULL DEFAULT 0,
  employee_id     INT(11)       DEFAULT NULL,
  payment_time    TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (payment_id),
  KEY payment_sale (sale_id, payment_type),
  CONSTRAINT ospos_sales_payments_sale FOREIGN KEY (sale_id) REFERENCES ospos_sales (sale_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8;

-- Reward points of a completed sale (OSPOS writes a row when
-- customer_reward_enable is on and the customer has a package): earned =
-- paid total x the package's points_percent / 100, used = paid with the
-- 'Reward Points' tender. The customer's balance is ospos_customers.points.
CREATE TABLE ospos_sales_reward_points (
  id      INT(11) NOT NULL AUTO_INCREMENT,
  sale_id INT(11) NOT NULL,
  earned  FLOAT   NOT NULL,
  used    FLOAT   NOT NULL,
  PRIMARY KEY (id),
  KEY sale_id (sale_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8;

-- Tax totals of a completed sale, one row per tax. tax_type 1: added on top
-- of the prices; 0: included in them (VAT).
CREATE TABLE ospos_sales_taxes (
  sales_taxes_id  INT(11)       NOT NULL AUTO_INCREMENT,
  sale_id         INT(10)       NOT NULL,
  tax_type        SMALLINT(2)   NOT NULL,
  tax_group       VARCHAR(32)   NOT NULL,
  sale_tax_basis  DECIMAL(15,4) NOT NULL,
  sale_tax_amount DECIMAL(15,4) NOT NULL,
  print_sequence  TINYINT(1)    NOT NULL DEFAULT 0,
  name            VARCHAR(255)  NOT NULL,
  tax_rate        DECIMAL(15,4) NOT NULL,
  PRIMARY KEY (sales_taxes_id),
  KEY print_sequence (sale_id, print_sequence, tax_group)
) ENGINE = InnoDB DEFAULT CHARSET = utf8;

-- What a fresh install has that the profile and the tests rely on: the
-- administrator, person 1, who rings up the tests' sales and whom OSPOS names
-- John Doe, and no currency code (the agent then uses pos.currency).
INSERT INTO ospos_people (person_id, first_name, last_name, gender, phone_number, email,
                          address_1, address_2, city, state, zip, country, comments)
VALUES (1, 'John', 'Doe', NULL, '', '', '', '', '', '', '', '', '');
INSERT INTO ospos_app_config (`key`, `value`) VALUES ('currency_code', '');
