"""The sync state store: what HubSpot last accepted, per record.

One row per (object type, source key): the HubSpot id, a hash of the last payload
HubSpot accepted, the association it carries, and the last error. It lives in its own
database (`MOULIN_STATE_URL`), never in the App du Moulin's: the source stays
read-only. Each HubSpot batch is recorded as soon as HubSpot answers, so a crash loses
at most one batch of bookkeeping — and since every write is an upsert by a unique id
property, redoing that batch creates nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    select,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url

from moulin_sync.lib.urls import redacted, sqlalchemy_url

STATE_URL_VARIABLE = "MOULIN_STATE_URL"

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


class SyncState:
    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(sqlalchemy_url(url), pool_pre_ping=True)
        try:
            metadata.create_all(self.engine)
        except Exception as exc:
            raise StateStoreError(
                f"{STATE_URL_VARIABLE}: cannot open the sync state store at {redacted(url)} "
                f"({type(exc).__name__}). Check that the database exists and is reachable."
            ) from None

    def close(self) -> None:
        self.engine.dispose()

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
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return pl.DataFrame([tuple(row) for row in rows], schema=STATE_SCHEMA, orient="row")

    def hubspot_ids(self, object_type: str, source_keys: Iterable[str]) -> dict[str, str]:
        """HubSpot ids of the given records (those that have one)."""
        keys = list(source_keys)
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
                found.update({key: hubspot_id for key, hubspot_id in connection.execute(query)})
        return found

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
        with self.engine.connect() as connection:
            rows = [
                (key, hubspot_id, month, synced.isoformat() if synced else None)
                for key, hubspot_id, month, synced in connection.execute(query)
            ]
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
        with self.engine.begin() as connection:
            connection.execute(statement, rows)
