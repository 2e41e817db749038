"""The sync state store: what HubSpot last accepted, per record.

One row per (object type, source key): the HubSpot id, a hash of the last payload
HubSpot accepted, the association it carries, and the last error. It lives in its own
database (`MOULIN_STATE_URL`), never in the App du Moulin's: the source stays
read-only. Each HubSpot batch is recorded as soon as HubSpot answers, so a crash loses
at most one batch of bookkeeping — and since every write is an upsert by a unique id
property, redoing that batch creates nothing twice.

A store that is briefly unreachable (a SQLite file locked by another process, a
PostgreSQL restart or failover, connections cut) is waited for: every read and write is
retried with backoff for about 15 seconds before `StateStoreError` says which setting and
what failed. Every write is an idempotent upsert in one transaction, so a retry is safe.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    create_engine,
    event,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from moulin_sync.lib.urls import redacted, sqlalchemy_url

logger = logging.getLogger(__name__)
T = TypeVar("T")

STATE_URL_VARIABLE = "MOULIN_STATE_URL"
# Waits between attempts when the store is unreachable: 15.5 s in all, enough for a lock
# held by another process, a restart or a failover; then the run fails, saying so.
RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0)
# What "unreachable for a moment" looks like: locked, refused, cut, closed under us...
_TRANSIENT = (OperationalError, InterfaceError, DisconnectionError)
# ...unless waiting cannot help: a wrong database name, user or password fails at once.
_PERMANENT = ("does not exist", "authentication failed", "no password supplied")

SYNCED = "synced"
REJECTED = "rejected"
ARCHIVED = "archived"
MERGED = "merged"  # a person merged it into another of our records in HubSpot

metadata = MetaData()
sync_records = Table(
    "sync_records",
    metadata,
    Column("object_type", String(32), primary_key=True),
    Column("source_key", String(64), primary_key=True),
    Column("hubspot_id", String(32)),
    Column("payload_hash", String(64)),
    # What the record is associated with (e.g. its primary company's HubSpot id), so a
    # move can archive the old association.
    Column("link_key", Text()),
    Column("status", String(16), nullable=False),
    Column("last_error", Text()),
    Column("synced_at", DateTime(timezone=True)),
    Column("error_at", DateTime(timezone=True)),
    Column("partition_key", String(16)),
)

STATE_SCHEMA = {
    "source_key": pl.String,
    "hubspot_id": pl.String,
    "payload_hash": pl.String,
    "link_key": pl.String,
    "status": pl.String,
    "last_error": pl.String,
    "partition_key": pl.String,
}


class StateStoreError(RuntimeError):
    """The state store cannot be used; the message names the setting to fix."""


@dataclass(frozen=True)
class Accepted:
    """A record HubSpot accepted: its id and the hash of what it now holds."""

    source_key: str
    hubspot_id: str
    payload_hash: str
    link_key: str | None = None
    partition_key: str | None = None


@dataclass(frozen=True)
class Rejected:
    source_key: str
    reason: str
    partition_key: str | None = None


def _sqlite_write_ahead_log(connection: Any, _record: Any) -> None:
    """One commit per HubSpot batch: with a write-ahead log and `synchronous=NORMAL` a
    commit costs no fsync, and a commit that a power cut loses is only redone (every
    write is an upsert by a unique key). Readers in other processes are never blocked."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class SyncState:
    def __init__(self, url: str, *, retry_delays_s: Sequence[float] = RETRY_DELAYS_S) -> None:
        self.url = url
        self.retry_delays_s = tuple(retry_delays_s)
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(sqlalchemy_url(url), pool_pre_ping=True)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_write_ahead_log)
        try:
            self._retrying("open", lambda: metadata.create_all(self.engine))
        except StateStoreError:
            raise
        except Exception as exc:
            raise StateStoreError(
                f"{STATE_URL_VARIABLE}: cannot open the sync state store at {redacted(url)} "
                f"({type(exc).__name__}). Check that the database exists and is reachable."
            ) from None

    def close(self) -> None:
        self.engine.dispose()

    def _retrying(self, what: str, action: Callable[[], T]) -> T:
        """`action()`, retried with backoff while the store is unreachable; then a
        StateStoreError naming the setting (the password, if any, never shown)."""
        attempt = 0
        while True:
            try:
                return action()
            except _TRANSIENT as exc:
                if any(p in str(exc) for p in _PERMANENT):
                    raise
                if attempt >= len(self.retry_delays_s):
                    waited = sum(self.retry_delays_s)
                    raise StateStoreError(
                        f"{STATE_URL_VARIABLE}: the sync state store at {redacted(self.url)} "
                        f"could not {what} ({self._first_line(exc)}), still after "
                        f"{attempt + 1} attempts over {waited:.0f} s. Check that the database "
                        "is reachable and not locked by another process; the next run "
                        "continues from what was recorded (HubSpot writes are keyed, so "
                        "nothing is created twice)."
                    ) from None
                delay = self.retry_delays_s[attempt]
                logger.warning(
                    "sync state store %s: could not %s (%s); retry %d/%d in %.1f s",
                    redacted(self.url), what, self._first_line(exc), attempt + 1,
                    len(self.retry_delays_s), delay,
                )  # fmt: skip
                # Connections that saw the failure are of no further use.
                self.engine.dispose()
                time.sleep(delay)
                attempt += 1

    def _first_line(self, exc: BaseException) -> str:
        text = str(getattr(exc, "orig", None) or exc).strip()
        line = text.splitlines()[0] if text else type(exc).__name__
        password = make_url(self.url).password
        if password:
            line = line.replace(str(password), "***")
        return f"{type(getattr(exc, 'orig', None) or exc).__name__}: {line[:300]}"

    # Reading ---------------------------------------------------------------

    def load(self, object_type: str) -> pl.DataFrame:
        """Every stored record of `object_type`, one row per source key."""
        query = select(
            sync_records.c.source_key,
            sync_records.c.hubspot_id,
            sync_records.c.payload_hash,
            sync_records.c.link_key,
            sync_records.c.status,
            sync_records.c.last_error,
            sync_records.c.partition_key,
        ).where(sync_records.c.object_type == object_type)

        def read() -> list:
            with self.engine.connect() as connection:
                return list(connection.execute(query).all())

        rows = self._retrying(f"read the {object_type} records", read)
        return pl.DataFrame([tuple(row) for row in rows], schema=STATE_SCHEMA, orient="row")

    def hubspot_ids(self, object_type: str, source_keys: Iterable[str]) -> dict[str, str]:
        """HubSpot ids of the given records (those that have one)."""
        keys = list(source_keys)

        def read() -> dict[str, str]:
            found: dict[str, str] = {}
            with self.engine.connect() as connection:
                for start in range(0, len(keys), 500):
                    chunk = keys[start : start + 500]
                    query = select(sync_records.c.source_key, sync_records.c.hubspot_id).where(
                        and_(
                            sync_records.c.object_type == object_type,
                            sync_records.c.source_key.in_(chunk),
                            sync_records.c.hubspot_id.is_not(None),
                        )
                    )
                    found.update(dict(connection.execute(query).all()))
            return found

        return self._retrying(f"read the {object_type} ids", read)

    def deal_ids(self) -> pl.DataFrame:
        """Order → HubSpot deal id, for the App du Moulin to show and link each deal."""
        query = select(
            sync_records.c.source_key,
            sync_records.c.hubspot_id,
            sync_records.c.partition_key,
            sync_records.c.synced_at,
        ).where(
            and_(
                sync_records.c.object_type == "deals",
                sync_records.c.hubspot_id.is_not(None),
            )
        )

        def read() -> list[tuple]:
            with self.engine.connect() as connection:
                return [
                    (key, hubspot_id, month, synced.isoformat() if synced else None)
                    for key, hubspot_id, month, synced in connection.execute(query)
                ]

        rows = self._retrying("read the deal ids", read)
        schema = {
            "order_id": pl.String,
            "deal_id": pl.String,
            "month": pl.String,
            "synced_at": pl.String,
        }
        return pl.DataFrame(rows, schema=schema, orient="row").sort(
            pl.col("order_id").cast(pl.Int64, strict=False)
        )

    # Writing ---------------------------------------------------------------

    def record_accepted(self, object_type: str, records: Sequence[Accepted]) -> None:
        now = dt.datetime.now(dt.UTC)
        self._upsert(
            [
                {
                    "object_type": object_type,
                    "source_key": r.source_key,
                    "hubspot_id": r.hubspot_id,
                    "payload_hash": r.payload_hash,
                    "link_key": r.link_key,
                    "status": SYNCED,
                    "last_error": None,
                    "synced_at": now,
                    "error_at": None,
                    "partition_key": r.partition_key,
                }
                for r in records
            ],
            update=(
                "hubspot_id",
                "payload_hash",
                "link_key",
                "status",
                "last_error",
                "synced_at",
                "error_at",
                "partition_key",
            ),
        )

    def record_hashes(self, object_type: str, hashes: Sequence[tuple[str, str]]) -> None:
        """Store (source key, hash) for synced records whose payload HubSpot already
        holds, when only the hash's format changed: nothing else is touched."""
        if not hashes:
            return
        statement = (
            update(sync_records)
            .where(
                and_(
                    sync_records.c.object_type == object_type,
                    sync_records.c.source_key == bindparam("key"),
                    sync_records.c.status == SYNCED,
                )
            )
            .values(payload_hash=bindparam("hash"))
        )
        rows = [{"key": key, "hash": value} for key, value in hashes]

        def write() -> None:
            with self.engine.begin() as connection:
                connection.execute(statement, rows)

        self._retrying(f"store {len(rows)} {object_type} hash(es) in the new format", write)

    def record_rejected(self, object_type: str, records: Sequence[Rejected]) -> None:
        """Keep the reason; keep the HubSpot id and hash of the last accepted payload."""
        now = dt.datetime.now(dt.UTC)
        self._upsert(
            [
                {
                    "object_type": object_type,
                    "source_key": r.source_key,
                    "status": REJECTED,
                    "last_error": r.reason,
                    "error_at": now,
                    "partition_key": r.partition_key,
                }
                for r in records
            ],
            update=("status", "last_error", "error_at", "partition_key"),
        )

    def record_merged(self, object_type: str, records: Sequence[Rejected]) -> None:
        """Records folded by a person into another of ours: left alone from now on."""
        now = dt.datetime.now(dt.UTC)
        self._upsert(
            [
                {
                    "object_type": object_type,
                    "source_key": r.source_key,
                    "status": MERGED,
                    "hubspot_id": None,
                    "last_error": r.reason,
                    "synced_at": now,
                }
                for r in records
            ],
            update=("status", "hubspot_id", "last_error", "synced_at"),
        )

    def record_archived(self, object_type: str, source_keys: Sequence[str]) -> None:
        now = dt.datetime.now(dt.UTC)
        self._upsert(
            [
                {
                    "object_type": object_type,
                    "source_key": key,
                    "status": ARCHIVED,
                    "payload_hash": None,
                    "last_error": None,
                    "synced_at": now,
                }
                for key in source_keys
            ],
            update=("status", "payload_hash", "last_error", "synced_at"),
        )

    def _upsert(self, rows: list[dict], update: Sequence[str]) -> None:
        if not rows:
            return
        insert = (postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert)(
            sync_records
        )
        statement = insert.on_conflict_do_update(
            index_elements=["object_type", "source_key"],
            set_={name: getattr(insert.excluded, name) for name in update},
        )

        def write() -> None:
            with self.engine.begin() as connection:
                connection.execute(statement, rows)

        what = f"record {len(rows)} {rows[0]['object_type']} record(s) HubSpot answered for"
        self._retrying(what, write)
