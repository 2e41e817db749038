"""What a sync would do, decided from payloads and the state store alone (no API call).

The same plan drives the write step and `moulin-sync plan`, so the dry run and the run
cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from moulin_sync.hubspot.streams.fingerprints import fingerprint_text
from moulin_sync.hubspot.streams.hashing import stable_hash
from moulin_sync.hubspot.streams.payloads import Payloads
from moulin_sync.hubspot.streams.spec import RECORD_NOUNS, StreamSpec
from moulin_sync.hubspot.sync.state import ARCHIVED, DELETED, MERGED, REJECTED, SYNCED
from moulin_sync.settings import GdprErasure

WAITS = "waiting for {} to reach HubSpot"  # what it waits for: "contact 1234"


@dataclass(frozen=True)
class SyncPlan:
    stream: str
    create: pl.DataFrame  # not in HubSpot yet (as far as the state store knows)
    update: pl.DataFrame  # in HubSpot, changed since HubSpot last accepted it (or failed)
    unchanged: pl.DataFrame
    erase: pl.DataFrame  # erased at the source (GDPR), not yet as erased in HubSpot
    # Quarantined (source_key, reason, partition_key, recorded) and valid-but-waiting for
    # an association target not in HubSpot yet; `recorded`: the state store already holds
    # that reason.
    rejected: pl.DataFrame
    waiting: pl.DataFrame
    merged: pl.DataFrame  # merged by a person into another of our records: left alone
    # Records written (or left unchanged) all the same, with what the source should fix:
    # source_key, reason, partition_key.
    warned: pl.DataFrame

    def counts(self) -> dict[str, int]:
        return {
            "create": self.create.height,
            "update": self.update.height,
            "unchanged": self.unchanged.height,
            "erase": self.erase.height,
            "rejected": self.rejected.height,
            "waiting": self.waiting.height,
            "merged": self.merged.height,
        }


def plan_sync(
    spec: StreamSpec,
    payloads: Payloads,
    state: pl.DataFrame,
    *,
    links: Mapping[str, Mapping[str, str]] | None = None,
    erasure: GdprErasure = "delete",
    owner_ids: Mapping[str, str] | None = None,
    lookups: Mapping[str, Mapping[str, str]] | None = None,
) -> SyncPlan:
    """Split payloads into create / update / unchanged, and erasures to do.

    `links` maps each link column (e.g. `company_key`) to {source key: HubSpot id}; the
    resolved id becomes a `<column>_id` column and part of the hash, so a record is
    re-sent when its association target changes or first appears in HubSpot. Records
    whose required link cannot be resolved wait for a later run. A stream enriching
    another's records (`spec.enriches`) is planned on `owner_ids`: see `plan_enrichment`.
    `lookups` maps a link column with a `Lookup` to {looked-up value: HubSpot id}: the
    targets found in HubSpot for the records the target stream does not hold
    (`lookups.looked_up`).
    """
    if spec.enriches is not None:
        return plan_enrichment(spec, payloads, state, owner_ids or {})
    erasure = spec.erasure_policy(erasure)
    records, waiting = _resolve_links(spec, payloads.records, links or {}, lookups or {})
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
    same = (
        (pl.col("accepted_hash") == pl.col("payload_hash")) & (pl.col("state_status") == SYNCED)
    ).fill_null(False)
    erased = _to_erase(spec, payloads.erased, known, erasure)
    month = ["partition_key"] if "partition_key" in waiting.columns else []
    fingerprints = fingerprint_text(spec, joined.columns)
    return SyncPlan(
        stream=spec.name,
        create=joined.filter(~has_id).with_columns(fingerprints),
        update=joined.filter(has_id & ~same).with_columns(fingerprints),
        unchanged=joined.filter(has_id & same),
        erase=erased,
        rejected=_mark_recorded(payloads.quarantine, state),
        waiting=_mark_recorded(
            waiting.select("source_key", *month, reason=pl.format(WAITS, pl.col("waits_for"))),
            state,
        ),
        merged=merged.select("source_key"),
        warned=_warned(payloads.warnings, joined),
    )


def plan_enrichment(
    spec: StreamSpec, payloads: Payloads, state: pl.DataFrame, owner_ids: Mapping[str, str]
) -> SyncPlan:
    """The plan of a stream adding properties to another stream's records, keyed by the
    owner's source keys (`owner_ids`: {owner source key: HubSpot id}): each record is
    updated on its owner's record, never created, erased nor archived; one whose owner
    is not in HubSpot waits. A record whose owner moved (merged) is written again."""
    assert spec.enriches is not None
    owner = pl.col("source_key").replace_strict(
        dict(owner_ids), default=None, return_dtype=pl.String
    )
    records = payloads.records.with_columns(hubspot_id=owner)
    noun = RECORD_NOUNS.get(spec.object_type, spec.object_type)
    waiting = records.filter(pl.col("hubspot_id").is_null()).select(
        "source_key",
        *(["partition_key"] if "partition_key" in records.columns else []),
        reason=pl.format(WAITS, pl.format(f"{noun} {{}}", "source_key")),
    )
    known = state.select(
        "source_key",
        pl.col("hubspot_id").alias("written_on"),
        pl.col("payload_hash").alias("accepted_hash"),
        pl.col("status").alias("state_status"),
    )
    ready = records.filter(pl.col("hubspot_id").is_not_null()).join(
        known, on="source_key", how="left"
    )
    same = (
        (pl.col("accepted_hash") == pl.col("payload_hash"))
        & (pl.col("state_status") == SYNCED)
        & (pl.col("written_on") == pl.col("hubspot_id"))
    ).fill_null(False)
    update = ready.filter(~same).with_columns(fingerprint_text(spec, ready.columns))
    return SyncPlan(
        stream=spec.name,
        create=update.head(0),
        update=update,
        unchanged=ready.filter(same),
        erase=pl.DataFrame(schema={"source_key": pl.String, "hubspot_id": pl.String}),
        rejected=_mark_recorded(payloads.quarantine, state),
        waiting=_mark_recorded(waiting, state),
        merged=pl.DataFrame(schema={"source_key": pl.String}),
        warned=_warned(payloads.warnings, ready),
    )


def _warned(warnings: pl.DataFrame, planned: pl.DataFrame) -> pl.DataFrame:
    """The payloads' warnings of the records planned (not waiting, not merged)."""
    if "partition_key" not in warnings.columns:
        warnings = warnings.with_columns(partition_key=pl.lit(None, pl.String))
    return warnings.select("source_key", "reason", "partition_key").join(
        planned.select("source_key"), on="source_key", how="semi"
    )


def _to_erase(
    spec: StreamSpec, erased: pl.DataFrame, known: pl.DataFrame, erasure: GdprErasure
) -> pl.DataFrame:
    """(source_key, hubspot_id) of the erased records HubSpot still holds as the policy
    would not leave them: live, or archived when the policy is to delete for good."""
    if erasure == "ignore":
        return pl.DataFrame(schema={"source_key": pl.String, "hubspot_id": pl.String})
    # A record merged into another of ours holds the survivor's id: never erased here.
    done = [DELETED, MERGED] if erasure == "delete" and spec.gdpr_deletable else [
        DELETED, MERGED, ARCHIVED
    ]  # fmt: skip
    return (
        erased.select("source_key")
        .join(known, on="source_key", how="inner")
        .filter(pl.col("hubspot_id").is_not_null() & ~pl.col("state_status").is_in(done))
        .select("source_key", "hubspot_id")
    )


def _resolve_links(
    spec: StreamSpec,
    records: pl.DataFrame,
    links: Mapping[str, Mapping[str, str]],
    lookups: Mapping[str, Mapping[str, str]],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(records ready to plan, records waiting): each link column resolved into its
    `<column>_id` (by the target stream's records, else by a lookup), and the resolved ids
    made part of the hash."""
    resolved = []
    names_target: dict[str, pl.Expr] = {}
    for link in spec.links:
        if link.column not in links and link.lookup is None:
            continue
        resolved.append(link.resolved)
        found = pl.col(link.column).replace_strict(
            dict(links.get(link.column, {})), default=None, return_dtype=pl.String
        )
        names_target[link.column] = pl.col(link.column).is_not_null()
        if link.lookup is not None:
            # Not looked up (a dry run): such a record waits, never goes without its target.
            value = pl.col(link.lookup.column)
            by_lookup = value.replace_strict(
                dict(lookups.get(link.column, {})), default=None, return_dtype=pl.String
            )
            found = pl.coalesce(found, by_lookup)
            names_target[link.column] = names_target[link.column] | value.is_not_null()
        records = records.with_columns(found.alias(link.resolved))
    # A record waits when it names a target (a contact, a company) not in HubSpot yet,
    # unless another of its targets lets it go without that one.
    by_column = {link.column: link for link in spec.links}
    unresolved = pl.lit(False)
    waits_for = []
    for link in spec.links:
        if link.required and link.resolved in resolved:
            missing = names_target[link.column] & pl.col(link.resolved).is_null()
            if link.unless is not None and by_column[link.unless].resolved in resolved:
                missing = missing & pl.col(by_column[link.unless].resolved).is_null()
            unresolved = unresolved | missing
            noun = RECORD_NOUNS.get(link.stream, link.stream)
            target = pl.format(f"{noun} {{}}", link.column)
            if link.lookup is not None:
                by_value = pl.format(f"{noun} {{}}", link.lookup.column)  # "contact a@b.fr"
                target = pl.when(pl.col(link.column).is_not_null()).then(target).otherwise(by_value)
            waits_for.append(pl.when(missing).then(target))
    waiting = records.filter(unresolved).with_columns(
        waits_for=pl.coalesce(waits_for) if waits_for else pl.lit(None, pl.String)
    )
    records = records.filter(~unresolved)
    if resolved:
        records = records.with_columns(
            stable_hash(_with_links("payload_hash", resolved)).alias("payload_hash")
        )
    return records, waiting


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
