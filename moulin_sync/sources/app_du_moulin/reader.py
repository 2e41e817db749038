"""Read the App du Moulin database into polars, never writing to it.

connectorx streams query results straight into Arrow, which is what makes a million
orders a one-second read. Both dialects are normalised to one set of polars types:
timestamps UTC-aware, booleans as booleans, amounts as Decimal(18, 2).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import bindparam, create_engine, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url

from moulin_sync.lib.urls import connectorx_url, redacted, sqlalchemy_url

SOURCE_URL_VARIABLE = "MOULIN_SOURCE_URL"
TABLES = ("pickup_points", "customers", "companies", "company_contacts", "orders")

UTC_DATETIME = pl.Datetime("us", "UTC")
AMOUNT = pl.Decimal(18, 2)

# The columns moulin-sync reads, and the type each is normalised to.
COLUMNS: dict[str, dict[str, pl.DataType]] = {
    "pickup_points": {
        "id": pl.Int64(),
        "name": pl.String(),
        "address": pl.String(),
        "postcode": pl.String(),
        "city": pl.String(),
        "active": pl.Boolean(),
        "created_at": UTC_DATETIME,
        "updated_at": UTC_DATETIME,
    },
    "customers": {
        "id": pl.Int64(),
        "email": pl.String(),
        "first_name": pl.String(),
        "last_name": pl.String(),
        "phone": pl.String(),
        "address": pl.String(),
        "postcode": pl.String(),
        "city": pl.String(),
        "created_at": UTC_DATETIME,
        "updated_at": UTC_DATETIME,
        "marketing_consent": pl.Boolean(),
        "last_pickup_point_id": pl.Int64(),
        "notes": pl.String(),
        "deleted_at": UTC_DATETIME,
        "anonymized_at": UTC_DATETIME,
    },
    "companies": {
        "id": pl.Int64(),
        "name": pl.String(),
        "siret": pl.String(),
        "vat_number": pl.String(),
        "sector": pl.String(),
        "address": pl.String(),
        "postcode": pl.String(),
        "city": pl.String(),
        "created_at": UTC_DATETIME,
        "updated_at": UTC_DATETIME,
    },
    "company_contacts": {
        "customer_id": pl.Int64(),
        "company_id": pl.Int64(),
        "role": pl.String(),
        "created_at": UTC_DATETIME,
        "updated_at": UTC_DATETIME,
    },
    "orders": {
        "id": pl.Int64(),
        "order_number": pl.String(),
        "customer_id": pl.Int64(),
        "company_id": pl.Int64(),
        "ordered_at": UTC_DATETIME,
        "paid_at": UTC_DATETIME,
        "status": pl.String(),
        "amount_eur": AMOUNT,
        "channel": pl.String(),
        "pickup_point_id": pl.Int64(),
        "notes": pl.String(),
        "created_at": UTC_DATETIME,
        "updated_at": UTC_DATETIME,
    },
}


class SourceError(RuntimeError):
    """The source database cannot be read; the message says which setting to fix."""


@dataclass(frozen=True)
class SourceReader:
    """The App du Moulin database at `url` (any SQLAlchemy-style SQLite or PostgreSQL URL)."""

    url: str

    @property
    def dialect(self) -> str:
        return make_url(self.url).get_backend_name()

    def check(self) -> None:
        """Fail early, with the fix, when the database is absent or lacks a table."""
        shown = redacted(self.url)
        if self.dialect == "sqlite":
            path = make_url(self.url).database or ""
            if not path or not Path(path).is_file():
                raise SourceError(
                    f"{SOURCE_URL_VARIABLE}: no SQLite database at {shown}. Set "
                    f"{SOURCE_URL_VARIABLE} to the App du Moulin database, or create a demo one "
                    f"with `moulin-sync demo-data --url {shown}`."
                )
        engine = create_engine(sqlalchemy_url(self.url))
        try:
            with engine.connect() as connection:
                present = set(inspect(connection).get_table_names())
        except Exception as exc:
            raise SourceError(
                f"{SOURCE_URL_VARIABLE}: cannot connect to {shown} "
                f"({type(exc).__name__}: {_first_line(exc, self.url)}). Check that the server is "
                f"running and that {SOURCE_URL_VARIABLE} names the right host, database and user."
            ) from None
        finally:
            engine.dispose()
        missing = [table for table in TABLES if table not in present]
        if missing:
            raise SourceError(
                f"{SOURCE_URL_VARIABLE}: {shown} is not an App du Moulin database "
                f"(missing tables: {', '.join(missing)}). Point {SOURCE_URL_VARIABLE} at the "
                "right database; the schema is in docs/source-schema.md."
            )

    def read_table(
        self, table: str, where: str | None = None, columns: list[str] | None = None
    ) -> pl.DataFrame:
        """All rows of `table` (optionally filtered, optionally only some columns),
        normalised to `COLUMNS[table]`."""
        columns = {
            name: dtype for name, dtype in COLUMNS[table].items() if not columns or name in columns
        }
        query = f"SELECT {', '.join(self._select(n, t) for n, t in columns.items())} FROM {table}"
        if where:
            query += f" WHERE {where}"
        return normalise(self._query(query + _order_by(table)), columns)

    def _select(self, name: str, dtype: pl.DataType) -> str:
        # SQLite's NUMERIC affinity stores 12.00 as the integer 12, and connectorx then
        # types the column from the first row it sees: read amounts as REAL throughout.
        if self.dialect == "sqlite" and isinstance(dtype, pl.Decimal):
            # Text ('NaN', 'douze euros') must stay unknown, not become 0.0.
            return (
                f"CASE WHEN typeof({name}) IN ('integer', 'real') "
                f"THEN CAST({name} AS REAL) END AS {name}"
            )
        return name

    def read_orders(self, start: dt.datetime, end: dt.datetime) -> pl.DataFrame:
        """Orders placed in [start, end) — a partition's time window."""
        return self.read_table(
            "orders",
            where=f"ordered_at >= {self._timestamp(start)} AND ordered_at < {self._timestamp(end)}",
        )

    def read_order_ids(
        self, start: dt.datetime, end: dt.datetime, among: Sequence[int]
    ) -> pl.Series:
        """Which of the orders `among` the window [start, end) selects, however their date
        reads: in SQLite a malformed date ('2026-07-32 25:61') is text that sorts into one
        window."""
        ids = ", ".join(str(int(i)) for i in among) or "NULL"
        return self.read_table(
            "orders",
            where=f"ordered_at >= {self._timestamp(start)} AND ordered_at < {self._timestamp(end)} "
            f"AND id IN ({ids})",
            columns=["id"],
        )["id"]

    def read_orders_outside(self, start: dt.datetime, end: dt.datetime) -> pl.DataFrame:
        """Orders placed before `start` or from `end` on: outside every partition."""
        return self.read_table(
            "orders",
            where=f"ordered_at < {self._timestamp(start)} OR ordered_at >= {self._timestamp(end)}",
        )

    def read_customer(self, customer_id: int) -> dict[str, pl.DataFrame]:
        """Customer `customer_id` as the streams need them: `read_customers` of one."""
        return self.read_customers([customer_id])

    def read_customers(self, customer_ids: Sequence[int]) -> dict[str, pl.DataFrame]:
        """Customers `customer_ids` as the streams need them, by table: the customers (and
        the customers sharing their emails), the companies they work for (and the links),
        every order placed by them or for those companies, and the pickup points. Ids
        may come from a person (a HubSpot button): they travel as bound parameters, never
        as SQL text."""
        who = {"customer_ids": [int(i) for i in customer_ids] or [-1]}
        engine = self._read_only_engine()
        try:
            with engine.connect() as connection:
                links = self._read_bound(
                    connection, "company_contacts", "customer_id IN :customer_ids", who
                )
                ids = sorted({int(i) for i in links["company_id"].drop_nulls()}) or [-1]
                firms = {"company_ids": ids}
                customers = self._read_bound(connection, "customers", "id IN :customer_ids", who)
                found = {
                    "customers": pl.concat(
                        [customers, self._email_peers(connection, customers)], how="vertical"
                    ),
                    "company_contacts": links,
                    "companies": self._read_bound(
                        connection, "companies", "id IN :company_ids", firms
                    ),
                    "orders": self._read_bound(
                        connection,
                        "orders",
                        "customer_id IN :customer_ids OR company_id IN :company_ids",
                        who | firms,
                    ),
                }
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(
                f"{SOURCE_URL_VARIABLE}: reading {redacted(self.url)} failed "
                f"({type(exc).__name__}: {_first_line(exc, self.url)})."
            ) from None
        finally:
            engine.dispose()
        return found | {"pickup_points": self.read_table("pickup_points")}

    def customers_of_companies(self, company_ids: Sequence[int]) -> list[int]:
        """The customers whose records hang on these companies: their contacts (the
        links) and whoever placed an order for them."""
        given = {"company_ids": [int(i) for i in company_ids] or [-1]}
        engine = self._read_only_engine()
        try:
            with engine.connect() as connection:
                statement = text(
                    "SELECT customer_id FROM company_contacts WHERE company_id IN :company_ids "
                    "UNION SELECT customer_id FROM orders WHERE company_id IN :company_ids"
                ).bindparams(bindparam("company_ids", expanding=True))
                found = connection.execute(statement, given).scalars().all()
        finally:
            engine.dispose()
        return sorted({int(i) for i in found if i is not None})

    def _email_peers(self, connection: Connection, customers: pl.DataFrame) -> pl.DataFrame:
        """The other customers carrying the customers' emails (case and spaces aside):
        which of them keeps an email in HubSpot is decided among all of them."""
        emails = sorted({e.strip().lower() for e in customers["email"].drop_nulls() if e.strip()})
        if not emails:
            return customers.head(0)
        given = {"emails": emails, "customer_ids": [int(i) for i in customers["id"]]}
        where = "lower(trim(email)) IN :emails AND id NOT IN :customer_ids"
        return self._read_bound(connection, "customers", where, given)

    def customer_of(self, *, order: str | None = None, email: str | None = None) -> int | None:
        """The customer who placed `order` (its id or its number), or whose email is
        `email` (case and spaces aside; the lowest id when several share it). Values come
        from a person: bound parameters, never SQL text."""
        if order is not None:
            where, given = "CAST(id AS TEXT) = :order OR order_number = :order", {"order": order}
            table = "orders"
        else:
            where = "lower(trim(email)) = :email"
            given, table = {"email": (email or "").strip().lower()}, "customers"
        engine = self._read_only_engine()
        try:
            with engine.connect() as connection:
                found = self._read_bound(connection, table, where, given)
        finally:
            engine.dispose()
        if found.is_empty():
            return None
        column = "customer_id" if table == "orders" else "id"
        return int(found[column].min())

    def read_only_engine(self) -> Engine:
        """An engine that cannot write the App du Moulin (SQLite: opened read only)."""
        return self._read_only_engine()

    def _read_only_engine(self) -> Engine:
        if self.dialect != "sqlite":
            return create_engine(sqlalchemy_url(self.url))
        path = make_url(self.url).database
        # Read only, as every read of the App du Moulin: a missing file is not created.
        return create_engine(
            "sqlite://", creator=lambda: sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        )

    def _read_bound(
        self, connection: Connection, table: str, where: str, parameters: dict[str, object]
    ) -> pl.DataFrame:
        """Rows of `table` matching `where`, whose values are bound `parameters`."""
        columns = COLUMNS[table]
        selected = ", ".join(self._select(n, t) for n, t in columns.items())
        query = f"SELECT {selected} FROM {table} WHERE {where}{_order_by(table)}"
        statement = text(query).bindparams(
            *(bindparam(name, expanding=isinstance(v, list)) for name, v in parameters.items())
        )
        result = connection.execute(statement, parameters)
        rows = [tuple(row) for row in result]
        frame = pl.DataFrame(
            rows, schema=list(result.keys()), orient="row", infer_schema_length=None
        )
        return normalise(frame, columns)

    def _query_sqlite_rows(self, query: str) -> pl.DataFrame:
        path = make_url(self.url).database
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            cursor = connection.execute(query)
            names = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
        # Every value as text or number, as SQLite holds it; `normalise` types them.
        return pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)

    def _timestamp(self, value: dt.datetime) -> str:
        # Values come from partition windows, never from user input, so a literal is safe.
        utc = value.astimezone(dt.UTC)
        if self.dialect == "sqlite":
            return f"'{utc:%Y-%m-%d %H:%M:%S}'"
        return f"TIMESTAMPTZ '{utc.isoformat()}'"

    def _query(self, query: str) -> pl.DataFrame:
        try:
            try:
                return pl.read_database_uri(query, connectorx_url(self.url), engine="connectorx")
            except RuntimeError:
                # connectorx guesses an SQLite column's type from its first value when the
                # declared type is not one it knows, and gives up on NULL or a type change.
                if self.dialect != "sqlite":
                    raise
                return self._query_sqlite_rows(query)
        except Exception as exc:
            raise SourceError(
                f"{SOURCE_URL_VARIABLE}: reading {redacted(self.url)} failed "
                f"({type(exc).__name__}: {_first_line(exc, self.url)})."
            ) from None


def _order_by(table: str) -> str:
    return " ORDER BY " + ("customer_id" if table == "company_contacts" else "id")


def normalise(frame: pl.DataFrame, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    """Give every column its one polars type, whichever dialect it came from."""
    return frame.select(_cast(frame, name, dtype).alias(name) for name, dtype in columns.items())


def _cast(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Expr:
    if name not in frame.columns:
        return pl.lit(None, dtype=dtype)
    source = frame.schema[name]
    column = pl.col(name)
    if dtype == UTC_DATETIME:
        if source == pl.String:
            # SQLite stores 'YYYY-MM-DD HH:MM:SS' UTC text; a malformed value becomes null
            # here and is reported downstream rather than failing the whole read.
            return column.str.to_datetime(
                "%Y-%m-%d %H:%M:%S", time_zone="UTC", strict=False, time_unit="us"
            )
        if isinstance(source, pl.Datetime):
            if source.time_zone is None:
                return column.dt.replace_time_zone("UTC").dt.cast_time_unit("us")
            return column.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
        return pl.lit(None, dtype=dtype)
    if dtype == pl.Boolean and source != pl.Boolean:
        return column.cast(pl.Int64, strict=False) != 0
    if isinstance(dtype, pl.Decimal) and source in (pl.Float64, pl.Float32):
        # NaN and infinities cannot be amounts: they become null and are quarantined.
        return pl.when(column.is_finite()).then(column.round(2)).cast(dtype, strict=False)
    return column.cast(dtype, strict=False)


def _first_line(exc: BaseException, url: str) -> str:
    """The error's first line, with any password of the URL blotted out."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    password = make_url(url).password
    if password:
        text = text.replace(str(password), "***")
    return text[:300]
