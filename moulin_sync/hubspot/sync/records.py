"""The records of a plan, as the write path handles them one batch at a time."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from moulin_sync.hubspot.streams.fingerprints import Fingerprints, parse
from moulin_sync.hubspot.streams.spec import StreamSpec

BATCH = 100  # records per HubSpot batch call


@dataclass(eq=False)  # a record is itself: compared by identity
class Record:
    source_key: str
    properties: dict[str, str]
    payload_hash: str
    hubspot_id: str | None = None
    links: dict[str, str | None] = field(default_factory=dict)  # resolved column → target id
    # The association targets HubSpot last accepted, by resolved column (state store).
    accepted_links: dict[str, str | None] = field(default_factory=dict)
    partition_key: str | None = None
    # Fingerprints of the payload's non-empty values, and of what moulin-sync last wrote
    # into the record (None: unknown, or not ours — an adopted or re-found record).
    fingerprints: Fingerprints = field(default_factory=dict)
    written: Fingerprints | None = None
    # Every value to be sent again (another record was just merged into it, and a merge
    # keeps the latest of both records' values); what it wrote is still cleared.
    resend: bool = False

    def link_key(self, columns: Sequence[str]) -> str | None:
        """What the state store keeps of the record's associations."""
        return link_key(self.links, columns)


def link_key(links: Mapping[str, str | None], columns: Sequence[str]) -> str | None:
    """The state store's text of associations: target id by resolved column."""
    return json.dumps({c: links.get(c) for c in columns}) if columns else None


def _parse_links(text: str | None) -> dict[str, str | None]:
    if not text:
        return {}
    try:
        value: Any = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def records_of(frame: pl.DataFrame, spec: StreamSpec) -> list[Record]:
    """One `Record` per row of a plan's frame (create or update)."""
    present = set(frame.columns)
    resolved = [link.resolved for link in spec.links if link.resolved in present]
    optional = ["hubspot_id", "accepted_link", "partition_key", "fingerprints"]
    frame = frame.select(
        "source_key",
        "payload_hash",
        *(pl.col(c) if c in present else pl.lit(None, pl.String).alias(c) for c in optional),
        *spec.property_names,
        *resolved,
    )
    names, first_link = spec.property_names, 6 + len(spec.property_names)
    # Positional rows: a dict per row from polars costs more than the whole plan.
    return [
        Record(
            source_key=row[0],
            payload_hash=row[1],
            hubspot_id=row[2],
            accepted_links=_parse_links(row[3]),
            partition_key=row[4],
            fingerprints=parse(row[5]) or {},
            properties=dict(zip(names, row[6:first_link], strict=True)),
            links=dict(zip(resolved, row[first_link:], strict=True)),
        )
        for row in frame.iter_rows()
    ]


def batches(items: Sequence[Any], size: int = BATCH) -> list[list[Any]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def halves(items: list[Any]) -> list[list[Any]]:
    middle = len(items) // 2
    return [items[:middle], items[middle:]]
