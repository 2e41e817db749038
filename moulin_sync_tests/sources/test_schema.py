"""The App du Moulin schema: shipped DDL is current, applies to both databases, stays permissive."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from moulin_sync.sources.app_du_moulin.schema import (
    INDEXES,
    TABLE_NAMES,
    create_schema,
    make_engine,
    normalize_url,
    render_ddl,
)
from moulin_sync.sources.app_du_moulin.vocabulary import ORDER_CHANNELS, ORDER_STATUSES, values

DDL_DIR = Path(__file__).resolve().parents[2] / "docs" / "ddl"
INDEX_NAMES = {
    "ix_orders_ordered_at",
    "ix_orders_updated_at",
    "ix_orders_customer_id",
    "ix_customers_updated_at",
    "ix_customers_email",
    # What live sync's change feed reads by.
    "ix_customers_deleted_at",
    "ix_customers_anonymized_at",
    "ix_companies_updated_at",
    "ix_company_contacts_updated_at",
}
# A dirty order: unknown customer, unknown status, negative amount. The source must accept it.
DIRTY_ORDER = (
    "INSERT INTO orders (id, order_number, customer_id, ordered_at, status, amount_eur, "
    "channel, created_at, updated_at) VALUES (1, 'M-2099-0000001', 999999, "
    "'2099-01-01 00:00:00', 'lost', -3.5, 'fax', '2099-01-01 00:00:00', '2099-01-01 00:00:00')"
)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_shipped_ddl_files_are_up_to_date(dialect: str) -> None:
    shipped = (DDL_DIR / f"{dialect}.sql").read_text(encoding="utf-8")
    assert shipped == render_ddl(dialect), (
        "ddl/*.sql is stale: run python -m moulin_sync.sources.app_du_moulin.schema --write docs/ddl"
    )


def test_vocabularies() -> None:
    assert values(ORDER_STATUSES) == (
        "pending",
        "paid",
        "ready",
        "picked_up",
        "delivered",
        "cancelled",
        "refunded",
    )
    assert values(ORDER_CHANNELS) == ("web", "app", "shop", "b2b")
    assert {index.name for index in INDEXES} == INDEX_NAMES


def test_sqlite_ddl_applies_and_keeps_orders_customer_id_unchecked(tmp_path: Path) -> None:
    path = tmp_path / "ddl.db"
    with sqlite3.connect(path) as connection:
        connection.executescript((DDL_DIR / "sqlite.sql").read_text(encoding="utf-8"))
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute(DIRTY_ORDER)
        tables = {
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        indexes = {
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='index'")
        }
        columns = {r[1]: r[2] for r in connection.execute("PRAGMA table_info(customers)")}
    assert tables == set(TABLE_NAMES)
    assert indexes >= INDEX_NAMES
    assert columns["created_at"] == "TEXT"
    assert columns["marketing_consent"] == "INTEGER"
    assert columns["id"] == "INTEGER", "rowid alias keeps bulk loads fast"


def test_create_schema_on_sqlite_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'schema.db'}"
    create_schema(url)
    create_schema(url)
    engine = make_engine(url)
    try:
        inspector = inspect(engine)
        assert set(inspector.get_table_names()) == set(TABLE_NAMES)
        names = {i["name"] for t in TABLE_NAMES for i in inspector.get_indexes(t)}
        assert names >= INDEX_NAMES
        assert inspector.get_pk_constraint("company_contacts")["constrained_columns"] == [
            "customer_id"
        ]
    finally:
        engine.dispose()


def test_create_schema_without_indexes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bare.db'}"
    create_schema(url, indexes=False)
    engine = make_engine(url)
    try:
        assert not {i["name"] for i in inspect(engine).get_indexes("orders")} & INDEX_NAMES
    finally:
        engine.dispose()


def test_urls_are_normalised_to_installed_drivers() -> None:
    assert normalize_url("postgresql://u@h:5432/db").drivername == "postgresql+psycopg2"
    assert normalize_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg2"
    assert normalize_url("sqlite:///relative.db").database == "relative.db"
    assert normalize_url("sqlite:////abs/path.db").database == "/abs/path.db"
    with pytest.raises(ValueError, match="unsupported database URL"):
        normalize_url("mysql://u:secret@h/db")
    with pytest.raises(ValueError) as error:
        normalize_url("mysql://u:secret@h/db")
    assert "secret" not in str(error.value)


@pytest.mark.postgres
def test_postgresql_ddl_applies_and_accepts_dirty_orders(postgres_database: str) -> None:
    url = make_url(postgres_database)
    connection = psycopg2.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, dbname=url.database
    )
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute((DDL_DIR / "postgresql.sql").read_text(encoding="utf-8"))
            cursor.execute(DIRTY_ORDER.replace("00:00:00'", "00:00:00+00'"))
            cursor.execute(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name = 'orders' AND column_name IN ('ordered_at', 'amount_eur') "
                "ORDER BY column_name"
            )
            assert cursor.fetchall() == [("numeric",), ("timestamp with time zone",)]
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_%'")
            assert {row[0] for row in cursor.fetchall()} == INDEX_NAMES
    finally:
        connection.close()
    create_schema(postgres_database)  # idempotent over the DDL file's tables


@pytest.mark.postgres
def test_create_schema_on_postgresql(postgres_database: str) -> None:
    create_schema(postgres_database)
    engine = make_engine(postgres_database)
    try:
        inspector = inspect(engine)
        assert set(inspector.get_table_names()) >= set(TABLE_NAMES)
        foreign = inspector.get_foreign_keys("orders")
        assert {tuple(fk["constrained_columns"]) for fk in foreign} == {
            ("company_id",),
            ("pickup_point_id",),
        }
    finally:
        engine.dispose()
