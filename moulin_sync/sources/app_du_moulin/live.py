"""The App du Moulin's change feed for live sync: one indexed query per watched table.

Each table is read past a cursor on its change time: the rows changed after the cursor's
time, and those changed at that very time whose ids the cursor has not seen (several
rows share a second; a look that stopped at its limit mid-second goes on from there):

    stamp >= :at AND NOT (stamp = :at AND id IN :seen) AND stamp <= :horizon
    ORDER BY stamp, id LIMIT :limit

(the same rows as `stamp > :at OR (stamp = :at AND id NOT IN :seen)`, written as one
range of the index). `horizon` leaves out a time in the future (a clock gone wrong), which
would otherwise carry the cursor past every later change: the nightly run syncs that row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, inspect, text
from sqlalchemy.engine import Connection

from moulin_sync.sources.app_du_moulin.reader import SourceReader
from moulin_sync.sources.app_du_moulin.schema import SQLITE_TIMESTAMP_FORMAT
from moulin_sync.sources.spec import LiveChanges

# A change dated this far ahead of our clock is a clock gone wrong, not a change to follow.
FUTURE_MARGIN = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Watched:
    """A table (or one of its change columns) live sync follows, and whose records hang
    on its rows: a customer's (`customer`, a column naming them) or a company's."""

    name: str  # its key in the cursor
    table: str
    stamp: str  # the column dating a change
    key: str  # the row's id
    customer: str | None = None
    company: str | None = None

    @property
    def index_name(self) -> str:
        return f"ix_{self.table}_{self.stamp}"

    def index_ddl(self) -> str:
        return f"CREATE INDEX {self.index_name} ON {self.table} ({self.stamp})"


WATCHED: tuple[Watched, ...] = (
    Watched("customers", "customers", "updated_at", "id", customer="id"),
    # An erasure is a change of its own: the App du Moulin may not touch `updated_at`.
    Watched("erasures", "customers", "deleted_at", "id", customer="id"),
    Watched("anonymizations", "customers", "anonymized_at", "id", customer="id"),
    # An order's deal, and its customer's and company's totals.
    Watched("orders", "orders", "updated_at", "id", customer="customer_id", company="company_id"),
    Watched("companies", "companies", "updated_at", "id", company="id"),
    # A B2B link: the contact, its company and their association (the customer's read
    # holds the company they work for).
    Watched(
        "company_links", "company_contacts", "updated_at", "customer_id", customer="customer_id"
    ),
)

# The indexes the feed needs in the App du Moulin (docs/operations.md): one per watched
# column. moulin-sync never creates them there; preflight names a missing one.
INDEXES: tuple[tuple[str, str], ...] = tuple(
    dict.fromkeys((w.index_name, w.index_ddl()) for w in WATCHED)
)


def _as_utc(value: Any) -> dt.datetime | None:
    """A change time as the database gives it (SQLite's UTC text, PostgreSQL's
    timestamptz) as an aware UTC datetime; None when it cannot be read."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    try:
        parsed = dt.datetime.strptime(str(value), SQLITE_TIMESTAMP_FORMAT)
    except ValueError:
        return None
    return parsed.replace(tzinfo=dt.UTC)


class ChangeReader:
    """The feed's queries on one connection to the App du Moulin (read only)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = SourceReader(url).dialect == "sqlite"

    def bound(self, moment: dt.datetime | str) -> Any:
        """A time as the database compares it (SQLite: its UTC text)."""
        if isinstance(moment, str):
            try:
                moment = dt.datetime.fromisoformat(moment)
            except ValueError:
                return moment  # a malformed SQLite time, compared as the text it is
        if self.sqlite:
            return moment.astimezone(dt.UTC).strftime(SQLITE_TIMESTAMP_FORMAT)
        return moment

    def stored(self, value: Any) -> str:
        """A change time as the cursor keeps it (ISO text, UTC)."""
        moment = _as_utc(value)
        if moment is not None:
            return moment.isoformat()
        return str(value)

    def present(self, connection: Connection, watched: Watched, horizon: Any) -> list[Any]:
        """[latest change time, ids changed then] of a table, up to `horizon`."""
        latest = connection.execute(
            text(f"SELECT max({watched.stamp}) FROM {watched.table} WHERE {watched.stamp} <= :h"),
            {"h": horizon},
        ).scalar()
        if latest is None:
            return [None, []]
        ids = connection.execute(
            text(f"SELECT {watched.key} FROM {watched.table} WHERE {watched.stamp} = :at"),
            {"at": latest},
        ).scalars()
        return [self.stored(latest), sorted(int(i) for i in ids)]

    def since(
        self,
        connection: Connection,
        watched: Watched,
        at: str | None,
        seen: Sequence[int],
        horizon: Any,
        limit: int,
    ) -> list[tuple[int, Any, int | None, int | None]]:
        """(id, change time, customer id, company id) of the rows changed past the cursor."""
        columns = ", ".join(
            [watched.key, watched.stamp, watched.customer or "NULL", watched.company or "NULL"]
        )
        where = f"{watched.stamp} <= :horizon"
        values: dict[str, Any] = {"horizon": horizon, "limit": limit}
        if at is not None:
            where += (
                f" AND {watched.stamp} >= :at"
                f" AND NOT ({watched.stamp} = :at AND {watched.key} IN :seen)"
            )
            values |= {"at": self.bound(at), "seen": [int(i) for i in seen] or [-1]}
        query = (
            f"SELECT {columns} FROM {watched.table} WHERE {where} "
            f"ORDER BY {watched.stamp}, {watched.key} LIMIT :limit"
        )
        statement = text(query)
        if at is not None:
            statement = statement.bindparams(bindparam("seen", expanding=True))
        rows = connection.execute(statement, values).all()
        return [(int(r[0]), r[1], _int(r[2]), _int(r[3])) for r in rows]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def start(url: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """A cursor at the source's present: each table's latest change time and its ids."""
    feed = ChangeReader(url)
    horizon = feed.bound((now or dt.datetime.now(dt.UTC)) + FUTURE_MARGIN)
    engine = SourceReader(url).read_only_engine()
    try:
        with engine.connect() as connection:
            return {w.name: feed.present(connection, w, horizon) for w in WATCHED}
    finally:
        engine.dispose()


def changes(
    url: str, cursor: Mapping[str, Any], limit: int, now: dt.datetime | None = None
) -> LiveChanges:
    """What changed past `cursor` (at most `limit` rows a table), and the cursor after it.
    A table the cursor does not know yet starts at its present (nothing of its past)."""
    feed = ChangeReader(url)
    moment = now or dt.datetime.now(dt.UTC)
    horizon = feed.bound(moment + FUTURE_MARGIN)
    customers: set[int] = set()
    companies: set[int] = set()
    oldest: dt.datetime | None = None
    after: dict[str, Any] = {}
    counts: dict[str, int] = {}
    complete = True
    engine = SourceReader(url).read_only_engine()
    try:
        with engine.connect() as connection:
            for watched in WATCHED:
                if watched.name not in cursor:
                    after[watched.name] = feed.present(connection, watched, horizon)
                    continue
                at, seen = cursor[watched.name]
                rows = feed.since(connection, watched, at, seen, horizon, limit)
                after[watched.name] = advance([at, list(seen)], [(r[0], r[1]) for r in rows], feed)
                counts[watched.name] = len(rows)
                complete = complete and len(rows) < limit
                for _, stamp, customer, company in rows:
                    if customer is not None:
                        customers.add(customer)
                    if company is not None:
                        companies.add(company)
                    when = _as_utc(stamp)
                    if when is not None and (oldest is None or when < oldest):
                        oldest = when
    finally:
        engine.dispose()
    return LiveChanges(
        customer_ids=sorted(customers),
        company_ids=sorted(companies),
        oldest=oldest,
        cursor=after,
        complete=complete,
        counts=counts,
    )


def advance(cursor: list[Any], rows: Sequence[tuple[int, Any]], feed: ChangeReader) -> list[Any]:
    """A table's cursor past `rows` (id, change time), sorted by time then id: the last
    time, and every id seen at it (those the cursor held too, when the time is the same)."""
    if not rows:
        return cursor
    last = feed.stored(rows[-1][1])
    ids = {i for i, stamp in rows if feed.stored(stamp) == last}
    if cursor[0] is not None and feed.stored(cursor[0]) == last:
        ids |= set(cursor[1])
    return [last, sorted(ids)]


def missing_indexes(url: str) -> list[str]:
    """The `CREATE INDEX` statements of the feed's indexes the source lacks: an index led
    by the watched column, whatever its name, will do."""
    engine = SourceReader(url).read_only_engine()
    try:
        with engine.connect() as connection:
            found = inspect(connection)
            led_by = {
                (table, (index.get("column_names") or [None])[0])
                for table in {w.table for w in WATCHED}
                for index in found.get_indexes(table)
            }
    finally:
        engine.dispose()
    wanted = dict.fromkeys((w.table, w.stamp, w.index_ddl()) for w in WATCHED)
    return [ddl for table, stamp, ddl in wanted if (table, stamp) not in led_by]
