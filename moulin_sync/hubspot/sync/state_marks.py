"""What the state store remembers of streams beyond their records: which months were
synced from which state of the source, and what the drift checks found (a mixin of
`SyncState`, sharing its connection and its patience with an unreachable database)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.engine import Engine

from moulin_sync.hubspot.streams import fingerprints
from moulin_sync.hubspot.sync.state_db import drift_checks, sync_records, synced_months


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back a naive datetime for what was written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class SyncMarks:
    """Months synced and drift found, per stream."""

    # SyncState's: its engine, its retries, its dialect's INSERT, what was written.
    engine: Engine
    _retrying: Callable[[str, Callable[[], Any]], Any]
    _insert: Callable[[Any], Any]
    fingerprints_of: Callable[[str, Any], dict[str, str | None]]

    # Months ----------------------------------------------------------------

    def months_synced(self, stream: str) -> dict[str, dt.datetime]:
        """{month: how recent the source was} of each month of `stream` synced so far."""
        query = select(synced_months.c.partition_key, synced_months.c.source_as_of).where(
            synced_months.c.stream == stream
        )

        def read() -> dict[str, dt.datetime]:
            with self.engine.connect() as connection:
                return {month: aware(as_of) for month, as_of in connection.execute(query).all()}

        return self._retrying(f"read the months of {stream} synced", read)

    def record_months_synced(
        self,
        stream: str,
        months: Sequence[str],
        source_as_of: dt.datetime,
        *,
        only_later: bool = False,
    ) -> None:
        """These months of `stream` hold what the source held at `source_as_of`
        (`only_later`: unless a month is recorded as of a later time already)."""
        rows = [
            {"stream": stream, "partition_key": month, "source_as_of": source_as_of}
            for month in months
        ]
        if not rows:
            return
        insert = self._insert(synced_months)
        statement = insert.on_conflict_do_update(
            index_elements=["stream", "partition_key"],
            set_={"source_as_of": insert.excluded.source_as_of},
            where=(synced_months.c.source_as_of < insert.excluded.source_as_of)
            if only_later
            else None,
        )

        def write() -> None:
            with self.engine.begin() as connection:
                connection.execute(statement, rows)

        self._retrying(f"record {len(rows)} month(s) of {stream} synced", write)

    # Drift -----------------------------------------------------------------

    def drifted(self, stream: str) -> dict[str, tuple[str, str]]:
        """{source key: (HubSpot id, "name,name")} of the records the last drift checks
        found changed in HubSpot by someone else."""
        c = sync_records.c
        query = select(c.source_key, c.hubspot_id, c.drift).where(
            and_(c.stream == stream, c.drift.is_not(None), c.hubspot_id.is_not(None))
        )

        def read() -> dict[str, tuple[str, str]]:
            with self.engine.connect() as connection:
                return {key: (i, names) for key, i, names in connection.execute(query).all()}

        return self._retrying(f"read the drifted {stream} records", read)

    def record_drift(self, stream: str, found: Mapping[str, str | None]) -> None:
        """Each record's drifted properties as a check found them (None: none left)."""
        self._set(stream, [{"key": key, "names": names} for key, names in found.items()])

    def restore_drifted(self, stream: str, drifted: Mapping[str, Sequence[str]]) -> None:
        """Forget that HubSpot holds our values of these properties, so the next run
        sends them again (the records planned as changed)."""
        written = self.fingerprints_of(stream, drifted)
        rows = []
        for key, names in drifted.items():
            kept = {
                name: fp
                for name, fp in (fingerprints.parse(written.get(key)) or {}).items()
                if name not in names
            }
            rows.append({"key": key, "kept": fingerprints.render(kept), "hash": None})
        self._set(stream, rows, fingerprints="kept", payload_hash="hash")

    def drift_checked_to(self, stream: str) -> dt.datetime | None:
        query = select(drift_checks.c.checked_to).where(drift_checks.c.stream == stream)

        def read() -> dt.datetime | None:
            with self.engine.connect() as connection:
                moment = connection.execute(query).scalar_one_or_none()
            return aware(moment) if moment is not None else None

        return self._retrying(f"read when {stream} was last checked for drift", read)

    def record_drift_checked(self, stream: str, checked_to: dt.datetime) -> None:
        insert = self._insert(drift_checks)
        statement = insert.on_conflict_do_update(
            index_elements=["stream"], set_={"checked_to": insert.excluded.checked_to}
        )

        def write() -> None:
            with self.engine.begin() as connection:
                connection.execute(statement, [{"stream": stream, "checked_to": checked_to}])

        self._retrying(f"record when {stream} was checked for drift", write)

    def _set(self, stream: str, rows: list[dict[str, Any]], **columns: str) -> None:
        """Set columns of existing records: `rows` of {"key": source key, param: value},
        `columns` {column: param} (by default `drift` from "names")."""
        if not rows:
            return
        columns = columns or {"drift": "names"}
        c = sync_records.c
        statement = (
            update(sync_records)
            .where(and_(c.stream == stream, c.source_key == bindparam("key")))
            .values({name: bindparam(param) for name, param in columns.items()})
        )

        def write() -> None:
            with self.engine.begin() as connection:
                connection.execute(statement, rows)

        self._retrying(f"record the drift of {len(rows)} {stream} record(s)", write)
