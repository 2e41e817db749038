"""Bookkeeping of a write: what HubSpot answered goes to the state store at once, and to
the report the write asset shows."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from moulin_sync.hubspot.streams.fingerprints import render
from moulin_sync.hubspot.streams.spec import StreamSpec
from moulin_sync.hubspot.sync.plan import SyncPlan
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
    "merged_in",
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
    # Records of someone else's (a form's contact) holding the email the source gave one
    # of ours: merged into ours.
    merged_in: int = 0
    archived: int = 0
    deleted: int = 0  # GDPR-deleted
    associations_changed: int = 0
    links_found_again: int = 0  # association targets found under a new id (merged)
    # (source key, reason, month): refused, or valid and waiting for their link target.
    rejected: list[tuple[str, str, str | None]] = field(default_factory=list)
    waiting: int = 0
    waits: list[tuple[str, str, str | None]] = field(default_factory=list)
    # (source key, reason, month): written all the same, with what the source should fix.
    warned: list[tuple[str, str, str | None]] = field(default_factory=list)
    stopped: str | None = None
    seconds: float = 0.0
    # Records counted by (month, counter): each month's own figures.
    by_month: Counter[tuple[str | None, str]] = field(default_factory=Counter)
    _by_month: dict[int, _Months] = field(default_factory=dict, repr=False, compare=False)

    def rejections(self, month: str | None = None) -> pl.DataFrame:
        """What was refused (quarantined at the source, or by HubSpot), in `month` or in
        all; never the waiting records, which are valid."""
        return self._of_month(self.rejected, month)

    def waiting_records(self, month: str | None = None) -> pl.DataFrame:
        return self._of_month(self.waits, month)

    def warnings(self, month: str | None = None) -> pl.DataFrame:
        """Records written with a warning (each once), those HubSpot gave first."""
        return self._of_month(self.warned, month).unique(
            "source_key", keep="first", maintain_order=True
        )

    def month_counts(self, month: str) -> dict[str, int]:
        """Created, updated, unchanged, rejected and waiting records of one month."""
        counts = {name: self.by_month[month, name] for name in ("created", "updated", "unchanged")}
        waiting = self.waiting_records(month).height
        return counts | {"rejected": self.rejections(month).height, "waiting": waiting}

    def _of_month(self, rows: list[tuple[str, str, str | None]], month: str | None) -> pl.DataFrame:
        """(source_key, reason) of `rows` in `month`, or in all. The report of a run of
        many months asks for each month's: the list is made a frame once (as long as it
        does not grow), and split by month once."""
        months = self._by_month.get(id(rows))
        if months is None or months.rows != len(rows):
            months = _Months.split(rows)
            self._by_month[id(rows)] = months
        return months.whole if month is None else months.month(month)


_ROWS_SCHEMA = {"source_key": pl.String, "reason": pl.String, "partition_key": pl.String}


@dataclass(frozen=True)
class _Months:
    """A report's list of (source key, reason, month) as a frame, and by month."""

    rows: int
    whole: pl.DataFrame
    by_month: dict[str | None, pl.DataFrame]

    @classmethod
    def split(cls, rows: list[tuple[str, str, str | None]]) -> _Months:
        frame = pl.DataFrame(rows, schema=_ROWS_SCHEMA, orient="row")
        parts = frame.partition_by("partition_key", as_dict=True, include_key=False)
        by_month = {key[0]: part for key, part in parts.items()}
        return cls(len(rows), frame.drop("partition_key"), by_month)

    def month(self, month: str) -> pl.DataFrame:
        return self.by_month.get(month, self.whole.head(0))


class Ledger:
    """Records every answer of a stream's write (batches run in several threads)."""

    def __init__(
        self, state: SyncState, spec: StreamSpec, read_at: dt.datetime | None = None
    ) -> None:
        self.state = state
        self.read_at = read_at  # when the source was read for what is written
        self.stream = spec.name
        self.link_columns = [link.resolved for link in spec.links]
        self.report = SyncReport(spec.name)
        self._lock = threading.Lock()

    def count(self, name: Counted, n: int, records: Sequence[Record] = ()) -> None:
        """Add `n` to a counter; `records` (when they are what is counted) to their
        months' figures too."""
        with self._lock:
            setattr(self.report, name, getattr(self.report, name) + n)
            self.report.by_month.update((r.partition_key, name) for r in records)

    def counted(self, name: Counted, records: Sequence[Record]) -> None:
        self.count(name, len(records), records)

    def accepted(self, records: Sequence[Record], counts_as: Counted | None = None) -> None:
        """HubSpot holds these records now, with these ids and values."""
        if counts_as is not None:
            self.counted(counts_as, records)
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
            self.read_at,
        )

    def rejected(self, refused: Sequence[tuple[Record, str]]) -> None:
        """HubSpot refused these records, for these reasons: kept, retried next run."""
        if not refused:
            return
        self.state.record_rejected(
            self.stream, [Rejected(r.source_key, why, r.partition_key) for r, why in refused]
        )
        with self._lock:
            self.report.rejected.extend((r.source_key, why, r.partition_key) for r, why in refused)

    def planned(self, plan: SyncPlan) -> None:
        """What the plan settles before any write: unchanged (by month), rejected and
        waiting records."""
        report = self.report
        report.unchanged, report.waiting = plan.unchanged.height, plan.waiting.height
        if "partition_key" in plan.unchanged.columns:
            months = plan.unchanged["partition_key"].value_counts().iter_rows()
            report.by_month.update({(month, "unchanged"): n for month, n in months})
        self.quarantined(plan.rejected)
        self.quarantined(plan.waiting, waiting=True)
        with self._lock:
            self.report.warned.extend(plan.warned.iter_rows())

    def warned(self, records: Sequence[tuple[Record, str]]) -> None:
        """Written all the same, with a problem the source should fix."""
        with self._lock:
            # Ahead of the payloads' warnings: rarer, and news to whoever reads the sample.
            self.report.warned[:0] = [(r.source_key, why, r.partition_key) for r, why in records]

    def quarantined(self, frame: pl.DataFrame, *, waiting: bool = False) -> None:
        """Report every quarantined (or `waiting`) row; write only those the store lacks
        (a waiting record is kept with its reason and retried, as a rejected one)."""
        if frame.is_empty():
            return
        month = "partition_key" if "partition_key" in frame.columns else pl.lit(None, pl.String)
        rows = frame.select("source_key", "reason", month).iter_rows()
        with self._lock:
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
            self.counted("merged", [r for r, _ in folded])

    def erased(self, source_keys: Sequence[str], *, deleted: bool) -> None:
        """Erased in HubSpot (GDPR): deleted for good, or archived."""
        self.state.record_erased(self.stream, source_keys, DELETED if deleted else ARCHIVED)
        self.count("deleted" if deleted else "archived", len(source_keys))
