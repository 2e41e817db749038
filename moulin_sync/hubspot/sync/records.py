"""The records of a plan, as the write path handles them one batch at a time."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

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

    def link_key(self, columns: Sequence[str]) -> str | None:
        """What the state store keeps of the record's associations."""
        return json.dumps({c: self.links.get(c) for c in columns}) if columns else None


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
    columns = set(frame.columns)
    resolved = [link.resolved for link in spec.links if link.resolved in columns]
    return [
        Record(
            source_key=row["source_key"],
            properties={name: row[name] for name in spec.property_names},
            payload_hash=row["payload_hash"],
            hubspot_id=row.get("hubspot_id"),
            links={column: row[column] for column in resolved},
            accepted_links=_parse_links(row.get("accepted_link")),
            partition_key=row.get("partition_key"),
        )
        for row in frame.iter_rows(named=True)
    ]


def batches(items: Sequence[Any], size: int = BATCH) -> list[list[Any]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def halves(items: list[Any]) -> list[list[Any]]:
    middle = len(items) // 2
    return [items[:middle], items[middle:]]
