"""What a sync would do, decided from payloads and the state store alone (no API call).

The same plan drives the write step and `moulin-sync plan`, so the dry run and the run
cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from moulin_sync.hubspot.state import ARCHIVED, MERGED, REJECTED, SYNCED
from moulin_sync.hubspot.transforms import (
    COMPANY_PROPERTIES,
    CONTACT_PROPERTIES,
    DEAL_PROPERTIES,
    Payloads,
    blake2b_hex,
    legacy_payload_hashes,
    stable_hash,
)

# For each link column of a payload frame: which object type its keys belong to.
LINK_TARGETS = {"company_key": "companies", "contact_key": "contacts"}
# The properties each object type's payload hash covers, in the order hashed.
PROPERTIES = {
    "companies": COMPANY_PROPERTIES,
    "contacts": CONTACT_PROPERTIES,
    "deals": DEAL_PROPERTIES,
}
# Hashes stored before `stable_hash`: blake2b, 32 hex characters, no prefix.
LEGACY_HASH_CHARS = 32


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
    # Unchanged records whose stored hash is in the legacy format: (source_key,
    # payload_hash) to store instead, with no HubSpot write.
    rehash: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(
            schema={"source_key": pl.String, "payload_hash": pl.String}
        )
    )

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
        records = records.with_columns(
            stable_hash(_with_links("payload_hash", resolved_columns)).alias("payload_hash")
        )

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
    synced = pl.col("state_status") == SYNCED
    joined = joined.with_columns(
        same=((pl.col("accepted_hash") == pl.col("payload_hash")) & synced).fill_null(False)
    )
    joined = _accept_legacy_hashes(joined, PROPERTIES.get(object_type), resolved_columns)
    same = pl.col("same")
    erased = payloads.erased.join(known, on="source_key", how="inner").filter(
        pl.col("hubspot_id").is_not_null() & (pl.col("state_status") != ARCHIVED)
    )
    return SyncPlan(
        object_type=object_type,
        create=joined.filter(~has_id).drop("same", "legacy"),
        update=joined.filter(has_id & ~same).drop("same", "legacy"),
        unchanged=joined.filter(has_id & same).drop("same", "legacy"),
        archive=erased.select("source_key", "hubspot_id") if archive_erased else erased.head(0),
        rejected=_mark_recorded(payloads.quarantine, state),
        waiting=_mark_recorded(
            waiting.select(
                "source_key", *(["partition_key"] if "partition_key" in waiting.columns else [])
            ).with_columns(reason=pl.lit("waiting for its association target to reach HubSpot")),
            state,
        ),
        merged=merged.select("source_key"),
        rehash=joined.filter(has_id & pl.col("legacy")).select("source_key", "payload_hash"),
    )


def _with_links(hash_column: str, resolved_columns: list[str]) -> pl.Expr:
    """The text hashed for a record with links: its payload hash and the resolved ids."""
    return pl.concat_str(
        [hash_column, *resolved_columns], separator="|", ignore_nulls=False
    ).fill_null(
        pl.concat_str(
            [hash_column, *(pl.col(c).fill_null("") for c in resolved_columns)],
            separator="|",
        )
    )


def _accept_legacy_hashes(
    joined: pl.DataFrame, properties: tuple[str, ...] | None, resolved_columns: list[str]
) -> pl.DataFrame:
    """Set `same` (and `legacy`) for records whose stored hash is the legacy hash of
    this very payload, so upgrading moulin-sync re-sends nothing.

    The legacy hash is computed for those rows alone, and only while any are left: the
    write step stores their hash in the new format (`SyncPlan.rehash`).
    """
    candidates = (
        ~pl.col("same")
        & (pl.col("state_status") == SYNCED).fill_null(False)
        & (pl.col("accepted_hash").str.len_bytes() == LEGACY_HASH_CHARS).fill_null(False)
    )
    suspects = joined.filter(candidates)
    if suspects.is_empty() or properties is None or not set(properties).issubset(joined.columns):
        # Without the payload's columns the legacy hash cannot be checked: re-sent.
        return joined.with_columns(legacy=pl.lit(False))
    legacy = suspects.select("source_key", *resolved_columns).with_columns(
        legacy_payload_hashes(suspects, properties).alias("legacy_hash")
    )
    if resolved_columns:
        legacy = legacy.with_columns(
            blake2b_hex(
                legacy.select(_with_links("legacy_hash", resolved_columns)).to_series()
            ).alias("legacy_hash")
        )
    matching = legacy.filter(
        pl.col("legacy_hash") == suspects.get_column("accepted_hash")
    ).get_column("source_key")
    is_legacy = pl.col("source_key").is_in(matching.implode())
    return joined.with_columns(same=pl.col("same") | is_legacy, legacy=is_legacy)


def _mark_recorded(rejected: pl.DataFrame, state: pl.DataFrame) -> pl.DataFrame:
    """(source_key, reason, partition_key, recorded): `recorded` when the state store
    already holds the row as rejected for this very reason and month, so the write step
    need not write it again (thousands of rows every night)."""
    if "partition_key" not in rejected.columns:
        rejected = rejected.with_columns(partition_key=pl.lit(None, pl.String))
    held = state.filter(pl.col("status") == REJECTED).select(
        "source_key",
        pl.col("last_error").alias("held_reason"),
        pl.col("partition_key").alias("held_partition"),
    )
    same = (pl.col("held_reason") == pl.col("reason")) & pl.col("held_partition").eq_missing(
        pl.col("partition_key")
    )
    return (
        rejected.select("source_key", "reason", "partition_key")
        .join(held, on="source_key", how="left")
        .with_columns(recorded=same.fill_null(False))
        .drop("held_reason", "held_partition")
    )
