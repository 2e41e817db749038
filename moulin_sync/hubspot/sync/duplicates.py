"""Records of a stream that HubSpot holds twice: several live records carrying one value
of the stream's unique key, read from HubSpot itself (never from our state store), so a
copy made by a person, an import or another tool shows too.

HubSpot refuses a second record with a unique value, but a portal whose property was
made before it was unique, an import that bypassed the check, or a property someone made
unique again after copies were in, can hold several: this finds them. Every record of
the type is read with the list API, 100 a call, the key property alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams.spec import StreamSpec

DUPLICATES_SCHEMA = {"key": pl.String, "records": pl.UInt32, "hubspot_ids": pl.String}


@dataclass(frozen=True)
class Duplicates:
    stream: str
    key_property: str
    read: int  # live records of the type read
    calls: int
    by_key: pl.DataFrame  # key, records, hubspot_ids ("12, 57"): the keys held twice or more

    @property
    def extra_records(self) -> int:
        """The records beyond one per key: what a clean-up would archive or merge."""
        return int(self.by_key["records"].sum() - self.by_key.height) if self.by_key.height else 0


def keyed_records(client: HubSpotClient, spec: StreamSpec) -> tuple[pl.DataFrame, int]:
    """(hubspot_id, key) of every live record of the stream's type that carries a key,
    and the calls it took."""
    key = spec.key_property
    assert key is not None, f"stream {spec.name} has no key of its own"
    rows: list[tuple[str, str]] = []
    pages = 0
    for n, found in enumerate(client.objects.every(spec.object_type, [key])):
        pages = n // 100 + 1
        value = (found.get("properties") or {}).get(key)
        if value:
            rows.append((str(found["id"]), str(value)))
    frame = pl.DataFrame(rows, schema={"hubspot_id": pl.String, "key": pl.String}, orient="row")
    return frame, max(pages, 1)


def duplicates_of(client: HubSpotClient, spec: StreamSpec) -> Duplicates:
    """The stream's keys HubSpot holds on more than one live record."""
    records, calls = keyed_records(client, spec)
    by_key = (
        records.with_columns(pl.col("hubspot_id").cast(pl.Int64).alias("order"))
        .sort("order")
        .group_by("key", maintain_order=True)
        .agg(pl.len().alias("records"), pl.col("hubspot_id").str.join(", ").alias("hubspot_ids"))
        .filter(pl.col("records") > 1)
        .sort("key")
        .select(list(DUPLICATES_SCHEMA))
        .cast(DUPLICATES_SCHEMA)  # type: ignore[arg-type]
    )
    return Duplicates(spec.name, spec.key_property or "", records.height, calls, by_key)
