"""Payloads: what a stream's transform made, checked and hashed, ready to plan.

Four frames: the `records` to send (one String column per property, link columns, a
`payload_hash`), the `quarantine` (each row that cannot become a valid record, with a
reason a person understands: never sent, never silently dropped), the `erased` records
to take out of HubSpot (GDPR), and the `warnings`: records sent all the same, but with
something the source should fix (a contact without its unusable email). A monthly
stream's frames carry the `partition_key` of each row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

WARNINGS_SCHEMA = {"source_key": pl.String, "reason": pl.String}


def no_warnings() -> pl.DataFrame:
    return pl.DataFrame(schema=WARNINGS_SCHEMA)


@dataclass(frozen=True)
class Payloads:
    records: pl.DataFrame
    quarantine: pl.DataFrame  # source_key, reason (, partition_key)
    erased: pl.DataFrame  # source_key (, partition_key) of records to erase (GDPR)
    warnings: pl.DataFrame = field(default_factory=no_warnings)  # source_key, reason

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
            warnings=self.warnings.join(rejected.select("source_key"), on="source_key", how="anti"),
        )

    def only(self, keep: pl.Expr) -> Payloads:
        """The payloads of the rows `keep` selects (by `source_key`), in every frame."""
        return Payloads(
            self.records.filter(keep),
            self.quarantine.filter(keep),
            self.erased.filter(keep),
            self.warnings.filter(keep),
        )


def split_on_reason(
    frame: pl.DataFrame, *, erased: pl.DataFrame, keep: tuple[str, ...] = ()
) -> Payloads:
    """A transform's frame with a `reason` column (null: a valid record), and optionally
    a `warning` one (null: nothing to report), as Payloads."""
    warning = "warning" if "warning" in frame.columns else None
    valid = frame.filter(pl.col("reason").is_null())
    warnings = (
        valid.filter(pl.col(warning).is_not_null()).select(
            "source_key", pl.col(warning).alias("reason"), *keep
        )
        if warning
        else no_warnings()
    )
    return Payloads(
        records=valid.drop("reason", *([warning] if warning else [])),
        quarantine=frame.filter(pl.col("reason").is_not_null()).select(
            "source_key", "reason", *keep
        ),
        erased=erased,
        warnings=warnings,
    )
