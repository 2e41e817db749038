"""The sync state store: what HubSpot last accepted, per record of each stream.

It lives in its own database (`MOULIN_STATE_URL`), never in the App du Moulin's: the
source stays read-only. Each HubSpot batch is recorded as soon as HubSpot answers, so a
crash loses at most one batch of bookkeeping — and since every write is an upsert by a
unique id property, redoing that batch creates nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import (
    Numeric,
    Row,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from moulin_sync.hubspot.sync.migrate import upgrade_to_head
from moulin_sync.hubspot.sync.state_db import (
    RETRY_DELAYS_S,
    STATE_URL_VARIABLE,
    Retrying,
    StateStoreError,
    connect,
    require_existing,
    sync_records,
)
from moulin_sync.hubspot.sync.state_marks import SyncMarks, aware
from moulin_sync.lib.urls import redacted

__all__ = ["STATE_SCHEMA", "Accepted", "Merged", "Rejected", "StateStoreError", "SyncState"]

SYNCED = "synced"
REJECTED = "rejected"
ARCHIVED = "archived"
DELETED = "deleted"  # GDPR-deleted in HubSpot: gone for good, never written again
# A person merged it into another of our records in HubSpot; its id is the survivor's.
MERGED = "merged"

STATE_SCHEMA = {
    "source_key": pl.String,
    "hubspot_id": pl.String,
    "payload_hash": pl.String,
    "link_key": pl.String,
    "status": pl.String,
    "last_error": pl.String,
    "partition_key": pl.String,
}
# Keys per query when reading some records by key.
_KEYS_PER_QUERY = 500
# A record read with the whole stream costs about a third of one looked up by key.
WHOLE_READ_GAIN = 3


@dataclass(frozen=True)
class Accepted:
    """A record HubSpot accepted: its id and the hash of what it now holds."""

    source_key: str
    hubspot_id: str
    payload_hash: str | None  # None: HubSpot holds other values, the next run updates it
    link_key: str | None = None
    partition_key: str | None = None
    fingerprints: str | None = None  # of the values now ours in HubSpot


@dataclass(frozen=True)
class Rejected:
    source_key: str
    reason: str
    partition_key: str | None = None


@dataclass(frozen=True)
class Merged:
    """A record a person merged in HubSpot into another of ours, `into` (its id)."""

    source_key: str
    into: str
    reason: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SyncState(SyncMarks):
    """The store at `url` (SQLite or PostgreSQL); a context manager that closes it."""

    def __init__(
        self,
        url: str,
        *,
        retry_delays_s: Sequence[float] = RETRY_DELAYS_S,
        create: bool = True,
    ) -> None:
        """`create=False`: a store that is not there yet is an error, not made empty
        (a reader such as the deal id export has nothing to read before a first sync)."""
        self.url = url
        if not create:
            require_existing(url)
        self.engine = connect(url)
        self._retrying = Retrying(self.engine, url, retry_delays_s)
        try:
            # Its schema brought to this release's (a store at head: one query).
            self._retrying("open", lambda: upgrade_to_head(self.engine, create=create))
        except StateStoreError:
            raise
        except Exception as exc:
            raise StateStoreError(
                f"{STATE_URL_VARIABLE}: cannot open the sync state store at {redacted(url)} "
                f"({type(exc).__name__}). Check that the database exists and is reachable."
            ) from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> SyncState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Reading ---------------------------------------------------------------

    def load(
        self,
        stream: str,
        partitions: Sequence[str] | None = None,
        columns: Sequence[str] = tuple(STATE_SCHEMA),
        *,
        source_keys: Iterable[str] | None = None,
    ) -> pl.DataFrame:
        """The stored records of `stream` (of those months, of those source keys only,
        when given), one row per source key."""
        c = sync_records.c
        query = select(*(c[name] for name in columns)).where(c.stream == stream)
        if partitions is not None:
            query = query.where(sync_records.c.partition_key.in_(list(partitions)))
        keys = None if source_keys is None else list(dict.fromkeys(source_keys))

        def read() -> list[tuple]:
            with self.engine.connect() as connection:
                if keys is None:
                    return [tuple(row) for row in connection.execute(query)]
                return [tuple(row) for row in _by_keys(connection, query, c.source_key, keys)]

        rows = self._retrying(f"read the {stream} records", read)
        return pl.DataFrame(rows, schema={c: STATE_SCHEMA[c] for c in columns}, orient="row")

    def records_of(self, stream: str, source_keys: pl.Series) -> pl.DataFrame:
        """The stored records of these source keys (of those the store holds): what a
        plan needs. Looked up by key when they are few next to the stream's records (a
        night's two months of a long history); else the stream is read whole and kept to
        them, a whole read costing a third of a lookup per record."""
        keys = source_keys.cast(pl.String).unique(maintain_order=True)
        if keys.len() * WHOLE_READ_GAIN < self.count(stream):
            return self.load(stream, source_keys=keys.to_list())
        return self.load(stream).filter(pl.col("source_key").is_in(keys.implode()))

    def count(self, stream: str) -> int:
        """How many records of `stream` the store holds."""
        query = (
            select(func.count()).select_from(sync_records).where(sync_records.c.stream == stream)
        )

        def read() -> int:
            with self.engine.connect() as connection:
                return int(connection.execute(query).scalar_one())

        return self._retrying(f"count the {stream} records", read)

    def id_table_version(self, stream: str) -> str:
        """A mark that changes whenever `id_table(stream)` does, for a fraction of its read:
        how many records have an id, the latest sync (every accepted, merged or erased
        record sets it) and the sum of the ids (a record HubSpot moved to another id keeps
        its sync time)."""
        c = sync_records.c
        query = select(
            func.count(), func.max(c.synced_at), func.sum(cast(c.hubspot_id, Numeric))
        ).where(and_(c.stream == stream, c.hubspot_id.is_not(None)))

        def read() -> str:
            with self.engine.connect() as connection:
                count, latest, ids = connection.execute(query).one()
            return f"{count}:{latest}:{ids}"

        return self._retrying(f"read the {stream} ids' version", read)

    def held(self, stream: str, partitions: Sequence[str] | None = None) -> pl.DataFrame:
        """(source_key, hubspot_id, status, partition_key) of the records of `stream` (of
        those months only, when given): which HubSpot record holds each, if any."""
        return self.load(
            stream, partitions, ("source_key", "hubspot_id", "status", "partition_key")
        )

    def hubspot_ids(self, stream: str, source_keys: Iterable[str]) -> dict[str, str]:
        """HubSpot ids of the given records (those that have one)."""
        keys = list(source_keys)

        c = sync_records.c
        query = select(c.source_key, c.hubspot_id).where(
            and_(c.stream == stream, c.hubspot_id.is_not(None))
        )

        def read() -> dict[str, str]:
            with self.engine.connect() as connection:
                return dict(_by_keys(connection, query, c.source_key, keys))

        return self._retrying(f"read the {stream} ids", read)

    def fingerprints_of(self, stream: str, source_keys: Iterable[str]) -> dict[str, str | None]:
        """What moulin-sync last wrote into each of these records (stored text)."""
        keys = list(source_keys)

        c = sync_records.c
        query = select(c.source_key, c.fingerprints).where(c.stream == stream)

        def read() -> dict[str, str | None]:
            with self.engine.connect() as connection:
                return dict(_by_keys(connection, query, c.source_key, keys))

        return self._retrying(f"read what was last written of {stream}", read)

    def written_of(
        self, stream: str, source_keys: Iterable[str]
    ) -> dict[str, tuple[str | None, str | None]]:
        """(HubSpot id, fingerprint text) of what moulin-sync last wrote into each record."""
        keys = list(source_keys)

        c = sync_records.c
        query = select(c.source_key, c.hubspot_id, c.fingerprints).where(c.stream == stream)

        def read() -> dict[str, tuple[str | None, str | None]]:
            with self.engine.connect() as connection:
                rows = _by_keys(connection, query, c.source_key, keys)
                return {key: (hubspot_id, text) for key, hubspot_id, text in rows}

        return self._retrying(f"read what was last written of {stream}", read)

    def rows_of(self, stream: str, source_keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Everything stored of these records, by source key (to explain one)."""
        keys = list(source_keys)
        c = sync_records.c
        query = select(sync_records).where(c.stream == stream)

        def read() -> dict[str, dict[str, Any]]:
            with self.engine.connect() as connection:
                rows = [
                    dict(row._mapping) for row in _by_keys(connection, query, c.source_key, keys)
                ]
            return {row["source_key"]: row for row in rows}

        return self._retrying(f"read {len(keys)} {stream} record(s)", read)

    def id_table(self, stream: str) -> pl.DataFrame:
        """(source_key, hubspot_id, partition_key, synced_at) of every record of `stream`
        HubSpot holds, by source key: what the App du Moulin links its rows to; when it
        was synced as Python's `isoformat` writes the stored time."""
        c = sync_records.c
        held = and_(c.stream == stream, c.hubspot_id.is_not(None))
        schema = dict.fromkeys(
            ("source_key", "hubspot_id", "partition_key", "synced_at"), pl.String
        )
        if self.engine.dialect.name == "sqlite":
            frame = self._sqlite_id_table(stream, held, schema)
        else:
            query = select(c.source_key, c.hubspot_id, c.partition_key, c.synced_at).where(held)

            def read() -> list[tuple]:
                with self.engine.connect() as connection:
                    return [
                        (key, hubspot_id, month, synced.isoformat() if synced else None)
                        for key, hubspot_id, month, synced in connection.execute(query)
                    ]

            rows = self._retrying(f"read the {stream} ids", read)
            frame = pl.DataFrame(rows, schema=schema, orient="row")
        return frame.sort(pl.col("source_key").cast(pl.Int64, strict=False), "source_key")

    def _sqlite_id_table(
        self, stream: str, held: Any, schema: dict[str, pl.DataType]
    ) -> pl.DataFrame:
        """`id_table`'s rows from SQLite as its driver gives them: made into SQLAlchemy
        rows and datetimes only to be written back as text, they took two fifths more.
        SQLite keeps a time as SQLAlchemy wrote it, "2026-12-01 06:00:00.000000";
        `isoformat` writes it with a "T", and without the microseconds when they are 0."""
        c = sync_records.c
        synced = cast(c.synced_at, Text).label("synced_at")
        query = select(c.source_key, c.hubspot_id, c.partition_key, synced).where(held)
        sql = str(
            query.compile(dialect=self.engine.dialect, compile_kwargs={"literal_binds": True})
        )

        def read() -> list[tuple]:
            with self.engine.connect() as connection:
                cursor = connection.connection.cursor()
                try:
                    return cursor.execute(sql).fetchall()
                finally:
                    cursor.close()

        rows = self._retrying(f"read the {stream} ids", read)
        text = pl.col("synced_at").str.replace(" ", "T", literal=True)
        frame = pl.DataFrame(rows, schema=schema, orient="row")
        return frame.with_columns(text.str.replace(r"\.000000$", ""))

    # Writing ---------------------------------------------------------------

    def record_accepted(self, stream: str, records: Sequence[Accepted]) -> None:
        rows = [
            {
                "source_key": r.source_key,
                "hubspot_id": r.hubspot_id,
                "payload_hash": r.payload_hash,
                "link_key": r.link_key,
                "partition_key": r.partition_key,
                "fingerprints": r.fingerprints,
            }
            for r in records
        ]
        self._upsert(stream, SYNCED, rows, last_error=None, synced_at=_now(), error_at=None)

    def record_rejected(self, stream: str, records: Sequence[Rejected]) -> None:
        """Keep the reason; keep the HubSpot id and hash of the last accepted payload."""
        rows = [
            {"source_key": r.source_key, "last_error": r.reason, "partition_key": r.partition_key}
            for r in records
        ]
        self._upsert(stream, REJECTED, rows, error_at=_now())

    def record_merged(self, stream: str, records: Sequence[Merged]) -> None:
        """Records folded by a person into another of ours: never written again, and
        what links to them links to the survivor."""
        rows = [
            {"source_key": r.source_key, "hubspot_id": r.into, "last_error": r.reason}
            for r in records
        ]
        self._upsert(stream, MERGED, rows, synced_at=_now())

    def record_moved(
        self, stream: str, moves: Sequence[tuple[str, str]], *, values_unknown: bool = False
    ) -> None:
        """(source key, new id) of records HubSpot now holds under another id: a merge
        kept another record. What HubSpot last accepted (hash, month, links) is kept,
        unless the survivor's values are unknown (a record not ours): then the hash is
        cleared, so the stream's next write puts our values on it."""
        rows = [{"source_key": key, "hubspot_id": hubspot_id} for key, hubspot_id in moves]
        cleared = {"payload_hash": None, "fingerprints": None} if values_unknown else {}
        self._upsert(stream, SYNCED, rows, **cleared)

    def record_lost(self, stream: str, records: Sequence[Rejected]) -> None:
        """Records HubSpot has nowhere any more (a person deleted them): created again by
        the stream's next write."""
        rows = [{"source_key": r.source_key, "last_error": r.reason} for r in records]
        self._upsert(
            stream, REJECTED, rows, hubspot_id=None, payload_hash=None, fingerprints=None,
            error_at=_now(),
        )  # fmt: skip

    def read_times(self, stream: str, source_keys: Iterable[str]) -> dict[str, dt.datetime]:
        """{source key: when the source was read for what HubSpot holds} of those records
        whose read time is known."""
        keys = list(dict.fromkeys(source_keys))
        c = sync_records.c
        query = select(c.source_key, c.source_read_at).where(
            and_(c.stream == stream, c.source_read_at.is_not(None))
        )

        def read() -> dict[str, dt.datetime]:
            with self.engine.connect() as connection:
                rows = _by_keys(connection, query, c.source_key, keys)
            return {key: aware(at) for key, at in rows}

        return self._retrying(f"read when the {stream} records were read", read)

    def record_read_at(self, stream: str, source_keys: Sequence[str], read_at: dt.datetime) -> None:
        """These records hold what the source held at `read_at` (kept when a newer read's
        values are there already)."""
        if not source_keys:
            return
        c = sync_records.c
        statement = (
            update(sync_records)
            .where(
                and_(
                    c.stream == stream,
                    c.source_key == bindparam("key"),
                    or_(c.source_read_at.is_(None), c.source_read_at < bindparam("read_at")),
                )
            )
            .values(source_read_at=bindparam("read_at"))
        )
        rows = [{"key": key, "read_at": read_at} for key in source_keys]

        def write() -> None:
            with self.engine.begin() as connection:
                connection.execute(statement, rows)

        self._retrying(f"record when {len(rows)} {stream} record(s) were read", write)

    def keys_of(self, stream: str, hubspot_ids: Iterable[str]) -> dict[str, str]:
        """{HubSpot id: source key} of the records of `stream` stored with those ids."""
        ids = list(hubspot_ids)

        c = sync_records.c
        query = select(c.hubspot_id, c.source_key).where(c.stream == stream)

        def read() -> dict[str, str]:
            with self.engine.connect() as connection:
                return dict(_by_keys(connection, query, c.hubspot_id, ids))

        return self._retrying(f"read the {stream} keys", read)

    def record_erased(self, stream: str, source_keys: Sequence[str], status: str) -> None:
        """Records erased in HubSpot, `ARCHIVED` (the id kept: a later GDPR delete needs
        it) or `DELETED` (nothing kept but the key): no run writes them again."""
        rows = [{"source_key": key} for key in source_keys]
        gone = {"hubspot_id": None} if status == DELETED else {}
        self._upsert(
            stream, status, rows, payload_hash=None, link_key=None, last_error=None,
            fingerprints=None, synced_at=_now(), **gone,
        )  # fmt: skip

    def _upsert(self, stream: str, status: str, rows: list[dict[str, Any]], **same: Any) -> None:
        """Insert or update `rows` of `stream` as `status`, with the `same` values in
        each: the columns a row names are set, the others kept."""
        if not rows:
            return
        rows = [{"stream": stream, "status": status, **same, **row} for row in rows]
        insert = self._insert(sync_records)
        changed = [name for name in rows[0] if name not in ("stream", "source_key")]
        statement = insert.on_conflict_do_update(
            index_elements=["stream", "source_key"],
            set_={name: getattr(insert.excluded, name) for name in changed},
        )

        def write() -> None:
            with self.engine.begin() as connection:
                connection.execute(statement, rows)

        self._retrying(f"record {len(rows)} {stream} record(s) HubSpot answered for", write)

    def _insert(self, table: Any) -> Any:
        """An INSERT of the store's dialect (both have ON CONFLICT DO UPDATE)."""
        if self.engine.dialect.name == "postgresql":
            return postgresql_insert(table)
        return sqlite_insert(table)


def _by_keys(connection: Connection, query: Select, column: Any, keys: Sequence[str]) -> list[Row]:
    """`query`'s rows whose `column` is among `keys`, asked `_KEYS_PER_QUERY` keys at a time."""
    rows: list[Row] = []
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        rows += connection.execute(
            query.where(column.in_(keys[start : start + _KEYS_PER_QUERY]))
        ).all()
    return rows
