"""The App du Moulin source schema, declared once.

moulin-sync only ever *reads* this database; the tables are declared here so that
the demo-data generator, the tests and the DBA-facing DDL files
(`docs/ddl/*.sql`, generated from this module) agree on one shape.

The DDL is deliberately permissive, like the real back-office database: no CHECK
constraints on statuses or amounts, and no foreign key on `orders.customer_id`, so
that the dirt real data carries (unknown statuses, orders of customers that no
longer exist) can be represented and must be handled by the reader.

Type mapping per dialect (all timestamps are UTC):

| logical    | SQLite                         | PostgreSQL                 |
|------------|--------------------------------|----------------------------|
| timestamp  | TEXT `'YYYY-MM-DD HH:MM:SS'`   | TIMESTAMP WITH TIME ZONE   |
| boolean    | INTEGER 0/1                    | BOOLEAN                    |
| amount     | NUMERIC(12, 2)                 | NUMERIC(12, 2)             |
| id         | INTEGER (rowid alias)          | BIGINT / INTEGER           |

Regenerate the DDL files after editing this module:
`python -m moulin_sync.sources.app_du_moulin.schema --write docs/ddl`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
    create_engine,
    inspect,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Dialect, Engine, make_url
from sqlalchemy.schema import CreateIndex, CreateTable

SQLITE_TIMESTAMP_FORMAT: Final[str] = "%Y-%m-%d %H:%M:%S"
"""How SQLite stores every timestamp column (TEXT, UTC, no offset)."""

TABLE_NAMES: Final[tuple[str, ...]] = (
    "pickup_points",
    "companies",
    "customers",
    "company_contacts",
    "orders",
)
"""The five source tables, in an order where every foreign key points backwards."""

# SQLite gets INTEGER so that the primary key is an alias of the rowid: a BIGINT
# primary key would need a separate index and make bulk loads and the file larger.
_Id = BigInteger().with_variant(Integer(), "sqlite")
# SQLite has no timestamp type; ISO-like UTC text sorts and compares correctly.
_Timestamp = DateTime(timezone=True).with_variant(Text(), "sqlite")
# No CHECK constraint (create_constraint=False): a dirty 2 must stay representable.
_Bool = Boolean(create_constraint=False).with_variant(Integer(), "sqlite")
_Amount = Numeric(12, 2)

metadata: Final[MetaData] = MetaData()


def _postal_address() -> tuple[Column, ...]:
    return (Column("address", Text()), Column("postcode", Text()), Column("city", Text()))


def _timestamps() -> tuple[Column, ...]:
    """When the row was created and last changed (the App du Moulin keeps both)."""
    return (
        Column("created_at", _Timestamp, nullable=False),
        Column("updated_at", _Timestamp, nullable=False),
    )


pickup_points: Final[Table] = Table(
    "pickup_points",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=False),
    Column("name", Text(), nullable=False),
    *_postal_address(),
    Column("active", _Bool, nullable=False),
    *_timestamps(),
)

companies: Final[Table] = Table(
    "companies",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=False),
    Column("name", Text(), nullable=False),
    Column("siret", Text(), comment="14 digits, Luhn-valid; NULL when unknown"),
    Column("vat_number", Text(), comment="FR + 2-digit key + SIREN; NULL when unknown"),
    Column("sector", Text()),
    *_postal_address(),
    *_timestamps(),
)

customers: Final[Table] = Table(
    "customers",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=False),
    Column("email", Text()),
    Column("first_name", Text()),
    Column("last_name", Text()),
    Column("phone", Text()),
    *_postal_address(),
    *_timestamps(),
    Column("marketing_consent", _Bool, nullable=False),
    Column("last_pickup_point_id", Integer(), ForeignKey("pickup_points.id")),
    Column("notes", Text()),
    Column("deleted_at", _Timestamp, comment="GDPR: account deleted, data kept"),
    Column("anonymized_at", _Timestamp, comment="GDPR: PII wiped, names 'Anonyme'"),
)

company_contacts: Final[Table] = Table(
    "company_contacts",
    metadata,
    Column(
        "customer_id",
        _Id,
        ForeignKey("customers.id"),
        primary_key=True,
        autoincrement=False,
        comment="one company per contact",
    ),
    Column("company_id", _Id, ForeignKey("companies.id"), nullable=False),
    Column("role", Text()),
    *_timestamps(),
)

orders: Final[Table] = Table(
    "orders",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=False),
    Column("order_number", Text(), nullable=False, unique=True),
    # Deliberately no foreign key: the real database holds orders whose customer row
    # is gone, and the generator reproduces that dirt.
    Column("customer_id", _Id, nullable=False, comment="no FK: may dangle"),
    Column("company_id", _Id, ForeignKey("companies.id"), comment="set on B2B orders"),
    Column("ordered_at", _Timestamp, nullable=False),
    Column("paid_at", _Timestamp),
    Column("status", Text(), nullable=False, comment="see vocabulary.ORDER_STATUSES; not checked"),
    Column("amount_eur", _Amount, nullable=False, comment="incl. VAT"),
    Column("channel", Text(), nullable=False, comment="web, app, shop or b2b"),
    Column("pickup_point_id", Integer(), ForeignKey("pickup_points.id")),
    Column("notes", Text()),
    *_timestamps(),
)

# Declared apart from the tables so a bulk load can create them after the rows are in.
INDEXES: Final[tuple[Index, ...]] = (
    Index("ix_orders_ordered_at", orders.c.ordered_at),
    Index("ix_orders_updated_at", orders.c.updated_at),
    Index("ix_orders_customer_id", orders.c.customer_id),
    Index("ix_customers_updated_at", customers.c.updated_at),
    Index("ix_customers_email", customers.c.email),
    # What live sync's change feed reads past its cursor (sources/app_du_moulin/live.py).
    Index("ix_customers_deleted_at", customers.c.deleted_at),
    Index("ix_customers_anonymized_at", customers.c.anonymized_at),
    Index("ix_companies_updated_at", companies.c.updated_at),
    Index("ix_company_contacts_updated_at", company_contacts.c.updated_at),
)

_DIALECTS: Final[dict[str, Dialect]] = {
    "sqlite": sqlite.dialect(),
    "postgresql": postgresql.dialect(),
}


def _dialect(name: str) -> Dialect:
    try:
        return _DIALECTS[name]
    except KeyError:
        raise ValueError(f"unsupported dialect {name!r}: use sqlite or postgresql") from None


def _tidy(statement: str) -> str:
    # SQLAlchemy leaves trailing spaces after each column; the shipped files should be clean.
    return "\n".join(line.rstrip() for line in statement.strip().splitlines())


def table_statements(dialect_name: str) -> list[str]:
    """`CREATE TABLE` statements (with keys and the unique order number), in FK order."""
    dialect = _dialect(dialect_name)
    return [
        _tidy(str(CreateTable(metadata.tables[name]).compile(dialect=dialect)))
        for name in TABLE_NAMES
    ]


def index_statements(dialect_name: str) -> list[str]:
    """`CREATE INDEX` statements, to run after a bulk load."""
    dialect = _dialect(dialect_name)
    return [_tidy(str(CreateIndex(index).compile(dialect=dialect))) for index in INDEXES]


def render_ddl(dialect_name: str) -> str:
    """The full DDL script for one dialect, as shipped in `docs/ddl/<dialect>.sql`."""
    header = (
        f"-- App du Moulin source schema ({dialect_name}).\n"
        "-- GENERATED from moulin_sync/source/schema.py; do not edit by hand.\n"
        "-- Regenerate with: python -m moulin_sync.sources.app_du_moulin.schema --write docs/ddl\n"
        "-- All timestamps are UTC"
        + (" (TEXT 'YYYY-MM-DD HH:MM:SS')" if dialect_name == "sqlite" else "")
        + ".\n"
        "-- orders.customer_id has no foreign key on purpose: it may reference a\n"
        "-- customer that no longer exists.\n"
    )
    statements = table_statements(dialect_name) + index_statements(dialect_name)
    return header + "\n" + "".join(f"{statement};\n\n" for statement in statements).rstrip() + "\n"


def normalize_url(url: str | URL) -> URL:
    """Parse a SQLAlchemy-style URL, pinning PostgreSQL to psycopg2 (the installed driver)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg2")
    if backend == "sqlite":
        return parsed.set(drivername="sqlite")
    raise ValueError(
        f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: "
        "use sqlite:///path.db or postgresql://user@host:port/db"
    )


def make_engine(url: str | URL) -> Engine:
    """An engine for a source URL (SQLite or PostgreSQL via psycopg2)."""
    return create_engine(normalize_url(url))


def create_schema(url: str | URL, *, indexes: bool = True) -> None:
    """Create the five tables (and, unless told otherwise, their indexes) at `url`.

    Tables and indexes that already exist are left alone, so this is safe to call twice.
    """
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            # checkfirst: idempotent. Indexes are attached to the tables, so
            # create_all would build them too; they are created separately below.
            for name in TABLE_NAMES:
                table = metadata.tables[name]
                if not inspect(connection).has_table(name):
                    connection.execute(CreateTable(table))
            if indexes:
                for index in INDEXES:
                    index.create(connection, checkfirst=True)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Print the DDL, or write it into a folder (`--write docs/ddl`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", metavar="DIR", type=Path, help="write <dialect>.sql into DIR")
    args = parser.parse_args(argv)
    for name in _DIALECTS:
        ddl = render_ddl(name)
        if args.write:
            args.write.mkdir(parents=True, exist_ok=True)
            (args.write / f"{name}.sql").write_text(ddl, encoding="utf-8")
            print(f"wrote {args.write / f'{name}.sql'}")
        else:
            print(ddl)


if __name__ == "__main__":
    main()
