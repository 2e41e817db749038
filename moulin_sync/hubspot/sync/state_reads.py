"""The state store's reads of some records by key, and of the id table the App du Moulin
links its rows to (a mixin of `SyncState`, sharing its connection and its patience with
an unreachable database)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import polars as pl
from sqlalchemy import Numeric, Row, Select, Text, and_, cast, func, select
from sqlalchemy.engine import Connection, Engine

from moulin_sync.hubspot.sync.state_db import sync_records
from moulin_sync.hubspot.sync.state_marks import aware

# Keys per query when reading some records by key.
_KEYS_PER_QUERY = 500


class RecordReads:
    """What the store holds of some records of a stream, by source key or HubSpot id."""

    # SyncState's: its engine and its retries.
    engine: Engine
    _retrying: Callable[[str, Callable[[], Any]], Any]

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

    def hubspot_ids(self, stream: str, source_keys: Iterable[str]) -> dict[str, str]:
        """HubSpot ids of the given records (those that have one)."""
        keys = list(source_keys)

        c = sync_records.c
        query = select(c.source_key, c.hubspot_id).where(
            and_(c.stream == stream, c.hubspot_id.is_not(None))
        )

        def read() -> dict[str, str]:
            with self.engine.connect() as connection:
                return dict(by_keys(connection, query, c.source_key, keys))

        return self._retrying(f"read the {stream} ids", read)

    def fingerprints_of(self, stream: str, source_keys: Iterable[str]) -> dict[str, str | None]:
        """What moulin-sync last wrote into each of these records (stored text)."""
        keys = list(source_keys)

        c = sync_records.c
        query = select(c.source_key, c.fingerprints).where(c.stream == stream)

        def read() -> dict[str, str | None]:
            with self.engine.connect() as connection:
                return dict(by_keys(connection, query, c.source_key, keys))

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
                rows = by_keys(connection, query, c.source_key, keys)
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
                    dict(row._mapping) for row in by_keys(connection, query, c.source_key, keys)
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
                rows = by_keys(connection, query, c.source_key, keys)
            return {key: aware(at) for key, at in rows}

        return self._retrying(f"read when the {stream} records were read", read)

    def keys_of(self, stream: str, hubspot_ids: Iterable[str]) -> dict[str, str]:
        """{HubSpot id: source key} of the records of `stream` stored with those ids."""
        ids = list(hubspot_ids)

        c = sync_records.c
        query = select(c.hubspot_id, c.source_key).where(c.stream == stream)

        def read() -> dict[str, str]:
            with self.engine.connect() as connection:
                return dict(by_keys(connection, query, c.hubspot_id, ids))

        return self._retrying(f"read the {stream} keys", read)


def by_keys(connection: Connection, query: Select, column: Any, keys: Sequence[str]) -> list[Row]:
    """`query`'s rows whose `column` is among `keys`, asked `_KEYS_PER_QUERY` keys at a time."""
    rows: list[Row] = []
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        rows += connection.execute(
            query.where(column.in_(keys[start : start + _KEYS_PER_QUERY]))
        ).all()
    return rows
