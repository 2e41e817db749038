"""Bookkeeping of a write: what HubSpot answered goes to the state store at once, and to
the report the write asset shows."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from moulin_sync.hubspot.streams.fingerprints import render
from moulin_sync.hubspot.streams.spec import StreamSpec
from moulin_sync.hubspot.sync.records import Record
from moulin_sync.hubspot.sync.state import (
    ARCHIVED,
    DELETED,
    Accepted,
    Merged,
    Rejected,
    SyncState,
)

# The report's counters that the write path adds to.
WriteCounter = Literal["created", "updated"]
Counted = Literal[
    "created",
    "updated",
    "adopted",
    "reresolved",
    "merged",
    "archived",
    "deleted",
    "associations_changed",
    "links_found_again",
]


@dataclass
class SyncReport:
    stream: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    adopted: int = 0
    reresolved: int = 0
    merged: int = 0
    archived: int = 0
    deleted: int = 0  # GDPR-deleted
    associations_changed: int = 0
    links_found_again: int = 0  # association targets found under a new id (merged)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    waiting: int = 0
    # Valid records waiting for their association target: (source key, reason).
    waits: list[tuple[str, str]] = field(default_factory=list)
    stopped: str | None = None
    seconds: float = 0.0

    def rejections(self) -> pl.DataFrame:
        """What was refused (quarantined at the source, or by HubSpot); never the
        waiting records, which are valid."""
        return pl.DataFrame(
            self.rejected, schema={"source_key": pl.String, "reason": pl.String}, orient="row"
        )

    def waiting_records(self) -> pl.DataFrame:
        return pl.DataFrame(
            self.waits, schema={"source_key": pl.String, "reason": pl.String}, orient="row"
        )


class Ledger:
    """Records every answer of a stream's write (batches run in several threads)."""

    def __init__(self, state: SyncState, spec: StreamSpec) -> None:
        self.state = state
        self.stream = spec.name
        self.link_columns = [link.resolved for link in spec.links]
        self.report = SyncReport(spec.name)
        self._lock = threading.Lock()

    def count(self, name: Counted, n: int) -> None:
        with self._lock:
            setattr(self.report, name, getattr(self.report, name) + n)

    def accepted(self, records: Sequence[Record], counts_as: Counted | None = None) -> None:
        """HubSpot holds these records now, with these ids and values."""
        if counts_as is not None:
            self.count(counts_as, len(records))
        self.state.record_accepted(
            self.stream,
            [
                Accepted(
                    source_key=r.source_key,
                    hubspot_id=str(r.hubspot_id),
                    payload_hash=r.payload_hash,
                    link_key=r.link_key(self.link_columns),
                    partition_key=r.partition_key,
                    fingerprints=render(r.fingerprints),
                )
                for r in records
            ],
        )

    def rejected(self, refused: Sequence[tuple[Record, str]]) -> None:
        """HubSpot refused these records, for these reasons: kept, retried next run."""
        if not refused:
            return
        self.state.record_rejected(
            self.stream, [Rejected(r.source_key, why, r.partition_key) for r, why in refused]
        )
        with self._lock:
            self.report.rejected.extend((r.source_key, why) for r, why in refused)

    def quarantined(self, frame: pl.DataFrame, *, waiting: bool = False) -> None:
        """Report every quarantined (or `waiting`) row; write only those the store lacks
        (a waiting record is kept with its reason and retried, as a rejected one)."""
        if frame.is_empty():
            return
        rows = frame.select("source_key", "reason").iter_rows()
        (self.report.waits if waiting else self.report.rejected).extend(rows)
        fresh = frame.filter(~pl.col("recorded"))
        self.state.record_rejected(
            self.stream,
            [
                Rejected(*row)
                for row in fresh.select("source_key", "reason", "partition_key").iter_rows()
            ],
        )

    def merged(self, folded: Sequence[tuple[Record, str]]) -> None:
        """A person merged these into another of our records (their ids now the
        survivors'): left alone from now on."""
        if folded:
            self.state.record_merged(
                self.stream, [Merged(r.source_key, str(r.hubspot_id), why) for r, why in folded]
            )
            self.count("merged", len(folded))

    def erased(self, source_keys: Sequence[str], *, deleted: bool) -> None:
        """Erased in HubSpot (GDPR): deleted for good, or archived."""
        self.state.record_erased(self.stream, source_keys, DELETED if deleted else ARCHIVED)
        self.count("deleted" if deleted else "archived", len(source_keys))
