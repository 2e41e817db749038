"""Payloads: what a stream's transform made, checked and hashed, ready to plan.

Three frames: the `records` to send (one String column per property, link columns, a
`payload_hash`), the `quarantine` (each row that cannot become a valid record, with a
reason a person understands: never sent, never silently dropped), and the `erased`
records to take out of HubSpot (GDPR). A monthly stream's three frames carry the
`partition_key` of each row.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Payloads:
    records: pl.DataFrame
    quarantine: pl.DataFrame  # source_key, reason (, partition_key)
    erased: pl.DataFrame  # source_key (, partition_key) of records to erase (GDPR)

    def reject(self, rejected: pl.DataFrame) -> Payloads:
        """Move the `rejected` records (source_key, reason) to the quarantine, each with
        its month when the stream has months."""
        if rejected.is_empty():
            return self
        if "partition_key" in self.records.columns and "partition_key" not in rejected.columns:
            rejected = rejected.join(
                self.records.select("source_key", "partition_key"), on="source_key", how="left"
            )
        return Payloads(
            records=self.records.join(rejected.select("source_key"), on="source_key", how="anti"),
            quarantine=pl.concat([self.quarantine, rejected], how="diagonal_relaxed"),
            erased=self.erased,
        )


def split_on_reason(
    frame: pl.DataFrame, *, erased: pl.DataFrame, keep: tuple[str, ...] = ()
) -> Payloads:
    """A transform's frame with a `reason` column (null: a valid record) as Payloads."""
    return Payloads(
        records=frame.filter(pl.col("reason").is_null()).drop("reason"),
        quarantine=frame.filter(pl.col("reason").is_not_null()).select(
            "source_key", "reason", *keep
        ),
        erased=erased,
    )
