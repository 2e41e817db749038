-- App du Moulin source schema (postgresql).
-- GENERATED from moulin_sync/source/schema.py; do not edit by hand.
-- Regenerate with: python -m moulin_sync.sources.app_du_moulin.schema --write docs/ddl
-- All timestamps are UTC.
-- orders.customer_id has no foreign key on purpose: it may reference a
-- customer that no longer exists.

CREATE TABLE pickup_points (
	id INTEGER NOT NULL,
	name TEXT NOT NULL,
	address TEXT,
	postcode TEXT,
	city TEXT,
	active BOOLEAN NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE companies (
	id BIGINT NOT NULL,
	name TEXT NOT NULL,
	siret TEXT,
	vat_number TEXT,
	sector TEXT,
	address TEXT,
	postcode TEXT,
	city TEXT,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE customers (
	id BIGINT NOT NULL,
	email TEXT,
	first_name TEXT,
	last_name TEXT,
	phone TEXT,
	address TEXT,
	postcode TEXT,
	city TEXT,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	marketing_consent BOOLEAN NOT NULL,
	last_pickup_point_id INTEGER,
	notes TEXT,
	deleted_at TIMESTAMP WITH TIME ZONE,
	anonymized_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id),
	FOREIGN KEY(last_pickup_point_id) REFERENCES pickup_points (id)
);

CREATE TABLE company_contacts (
	customer_id BIGINT NOT NULL,
	company_id BIGINT NOT NULL,
	role TEXT,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (customer_id),
	FOREIGN KEY(customer_id) REFERENCES customers (id),
	FOREIGN KEY(company_id) REFERENCES companies (id)
);

CREATE TABLE orders (
	id BIGINT NOT NULL,
	order_number TEXT NOT NULL,
	customer_id BIGINT NOT NULL,
	company_id BIGINT,
	ordered_at TIMESTAMP WITH TIME ZONE NOT NULL,
	paid_at TIMESTAMP WITH TIME ZONE,
	status TEXT NOT NULL,
	amount_eur NUMERIC(12, 2) NOT NULL,
	channel TEXT NOT NULL,
	pickup_point_id INTEGER,
	notes TEXT,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (order_number),
	FOREIGN KEY(company_id) REFERENCES companies (id),
	FOREIGN KEY(pickup_point_id) REFERENCES pickup_points (id)
);

CREATE INDEX ix_orders_ordered_at ON orders (ordered_at);

CREATE INDEX ix_orders_updated_at ON orders (updated_at);

CREATE INDEX ix_orders_customer_id ON orders (customer_id);

CREATE INDEX ix_customers_updated_at ON customers (updated_at);

CREATE INDEX ix_customers_email ON customers (email);

CREATE INDEX ix_customers_deleted_at ON customers (deleted_at);

CREATE INDEX ix_customers_anonymized_at ON customers (anonymized_at);

CREATE INDEX ix_companies_updated_at ON companies (updated_at);

CREATE INDEX ix_company_contacts_updated_at ON company_contacts (updated_at);
