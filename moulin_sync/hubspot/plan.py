"""What a sync would do, decided from payloads and the state store alone (no API call).

The same plan drives the write step and `moulin-sync plan`, so the dry run and the run
cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from moulin_sync.hubspot.state import ARCHIVED, MERGED, REJECTED, SYNCED
from moulin_sync.hubspot.transforms import Payloads, blake2b_hex

# For each link column of a payload frame: which object type its keys belong to.
LINK_TARGETS = {"company_key": "companies", "contact_key": "contacts"}


@dataclass(frozen=True)
class SyncPlan:
    object_type: str
    create: pl.DataFrame  # not in HubSpot yet (as far as the state store knows)
    update: pl.DataFrame  # in HubSpot, changed since HubSpot last accepted it (or failed)
    unchanged: pl.DataFrame
    archive: pl.DataFrame  # erased at the source (GDPR), still live in HubSpot
    # Quarantined (source_key, reason, recorded) and valid-but-waiting for an association
    # target not in HubSpot yet; `recorded`: the state store already holds that reason.
    rejected: pl.DataFrame
    waiting: pl.DataFrame
    merged: pl.DataFrame  # merged by a person into another of our records: left alone

    def counts(self) -> dict[str, int]:
        return {
            "create": self.create.height,
            "update": self.update.height,
            "unchanged": self.unchanged.height,
            "archive": self.archive.height,
            "rejected": self.rejected.height,
            "waiting": self.waiting.height,
            "merged": self.merged.height,
        }


def plan_sync(
    object_type: str,
    payloads: Payloads,
    state: pl.DataFrame,
    *,
    links: Mapping[str, Mapping[str, str]] | None = None,
    required_links: tuple[str, ...] = (),
    archive_erased: bool = True,
) -> SyncPlan:
    """Split payloads into create / update / unchanged, and erasures into archive.

    `links` maps each link column (e.g. `company_key`) to {source key: HubSpot id}; the
    resolved id becomes a `<column>_id` column and part of the hash, so a record is
    re-sent when its association target changes or first appears in HubSpot.
    Records whose `required_links` cannot be resolved wait for a later run.
    """
    links = links or {}
    records = payloads.records
    resolved_columns = []
    for column, mapping in links.items():
        resolved = f"{column}_id"
        resolved_columns.append(resolved)
        records = records.with_columns(
            pl.col(column)
            .replace_strict(dict(mapping), default=None, return_dtype=pl.String)
            .alias(resolved)
        )
    # A record waits when it names a target (a contact, a company) not in HubSpot yet.
    unresolved = pl.lit(False)
    for column in required_links:
        unresolved = unresolved | (pl.col(column).is_not_null() & pl.col(f"{column}_id").is_null())
    waiting = records.filter(unresolved)
    records = records.filter(~unresolved)
    if resolved_columns:
        combined = records.select(
            pl.concat_str(
                ["payload_hash", *resolved_columns], separator="|", ignore_nulls=False
            ).fill_null(
                pl.concat_str(
                    ["payload_hash", *(pl.col(c).fill_null("") for c in resolved_columns)],
                    separator="|",
                )
            )
        ).to_series()
        records = records.with_columns(blake2b_hex(combined).alias("payload_hash"))

    known = state.select(
        "source_key",
        "hubspot_id",
        pl.col("payload_hash").alias("accepted_hash"),
        pl.col("link_key").alias("accepted_link"),
        pl.col("status").alias("state_status"),
    )
    joined = records.join(known, on="source_key", how="left")
    merged = joined.filter(pl.col("state_status") == MERGED)
    joined = joined.filter((pl.col("state_status") != MERGED).fill_null(True))
    has_id = pl.col("hubspot_id").is_not_null()
    same = (pl.col("accepted_hash") == pl.col("payload_hash")) & (pl.col("state_status") == SYNCED)
    erased = payloads.erased.join(known, on="source_key", how="inner").filter(
        pl.col("hubspot_id").is_not_null() & (pl.col("state_status") != ARCHIVED)
    )
    return SyncPlan(
        object_type=object_type,
        create=joined.filter(~has_id),
        update=joined.filter(has_id & ~same.fill_null(False)),
        unchanged=joined.filter(has_id & same.fill_null(False)),
        archive=erased.select("source_key", "hubspot_id") if archive_erased else erased.head(0),
        rejected=_mark_recorded(payloads.quarantine, state),
        waiting=_mark_recorded(
            waiting.select("source_key", *_partition_column(waiting)).with_columns(
                reason=pl.lit("waiting for its association target to reach HubSpot")
            ),
            state,
        ),
        merged=merged.select("source_key"),
    )


def _mark_recorded(rejected: pl.DataFrame, state: pl.DataFrame) -> pl.DataFrame:
    """Add `recorded`: the state store already holds the row as rejected for this very
    reason, so the write step need not write it again (thousands of rows every night)."""
    held = state.filter(pl.col("status") == REJECTED).select(
        "source_key", pl.col("last_error").alias("held_reason")
    )
    return (
        rejected.join(held, on="source_key", how="left")
        .with_columns(recorded=(pl.col("held_reason") == pl.col("reason")).fill_null(False))
        .drop("held_reason")
    )


def _partition_column(frame: pl.DataFrame) -> list[str]:
    return ["partition_key"] if "partition_key" in frame.columns else []
