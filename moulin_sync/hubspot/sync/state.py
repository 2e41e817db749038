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
    case,
    func,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

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
from moulin_sync.hubspot.sync.state_marks import SyncMarks
from moulin_sync.hubspot.sync.state_reads import RecordReads, by_keys
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


class SyncState(RecordReads, SyncMarks):
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
                return [tuple(row) for row in by_keys(connection, query, c.source_key, keys)]

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

    def held(self, stream: str, partitions: Sequence[str] | None = None) -> pl.DataFrame:
        """(source_key, hubspot_id, status, partition_key) of the records of `stream` (of
        those months only, when given): which HubSpot record holds each, if any."""
        return self.load(
            stream, partitions, ("source_key", "hubspot_id", "status", "partition_key")
        )

    # Writing ---------------------------------------------------------------

    def record_accepted(
        self, stream: str, records: Sequence[Accepted], read_at: dt.datetime | None = None
    ) -> None:
        """HubSpot holds these records; `read_at`: what it holds is what the source held
        then (a newer read's mark is kept)."""
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
        read = {} if read_at is None else {"source_read_at": read_at}
        self._upsert(stream, SYNCED, rows, last_error=None, synced_at=_now(), error_at=None, **read)

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
        set_ = {name: getattr(insert.excluded, name) for name in changed}
        if "source_read_at" in set_:
            held, new = sync_records.c.source_read_at, insert.excluded.source_read_at
            set_["source_read_at"] = case((or_(held.is_(None), held < new), new), else_=held)
        statement = insert.on_conflict_do_update(index_elements=["stream", "source_key"], set_=set_)

        def write() -> None:
            with self.engine.begin() as connection:
                connection.execute(statement, rows)

        self._retrying(f"record {len(rows)} {stream} record(s) HubSpot answered for", write)

    def _insert(self, table: Any) -> Any:
        """An INSERT of the store's dialect (both have ON CONFLICT DO UPDATE)."""
        if self.engine.dialect.name == "postgresql":
            return postgresql_insert(table)
        return sqlite_insert(table)
