"""A drift check per stream: managed properties someone changed in HubSpot.

A warning, never blocking: the sync goes on. With `MOULIN_DRIFT=restore` the check also
marks the drifted values as no longer ours, so the next run writes them back; with
`report` (the default) they stay as the person left them, reported by every check until
the source changes them or someone puts them back.
"""

import datetime as dt

import polars as pl
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetIn,
    Definitions,
    MetadataValue,
    asset_check,
)

from moulin_sync.defs.hubspot.factory import payloads_key, records_key
from moulin_sync.defs.hubspot.resources import HubSpot, SyncStateStore
from moulin_sync.defs.resources import SyncSettings
from moulin_sync.hubspot.streams import STREAMS
from moulin_sync.hubspot.streams.payloads import Payloads
from moulin_sync.hubspot.streams.spec import StreamSpec
from moulin_sync.hubspot.sync.drift import Drift, find_drift
from moulin_sync.lib.metadata import table_sample

EXAMPLES = 20


def drift_check(spec: StreamSpec) -> AssetChecksDefinition:
    @asset_check(
        asset=records_key(spec),
        name="no_drift",
        additional_ins={"payloads": AssetIn(key=payloads_key(spec))},
        pool="hubspot_api",
        description=f"Warns when {spec.record_noun} properties moulin-sync manages were "
        "changed in HubSpot by someone else since moulin-sync wrote them (found by "
        "HubSpot's last-modified date, so only what changed is read). MOULIN_DRIFT "
        "decides: report (leave them) or restore (the next run writes ours back).",
    )
    def no_drift(
        context: AssetCheckExecutionContext,
        settings: SyncSettings,
        hubspot: HubSpot,
        state: SyncStateStore,
        payloads: Payloads,
    ) -> AssetCheckResult:
        client = hubspot.client()
        searches_before = _searches(client.calls)
        drift = find_drift(client, state.store, spec, dt.datetime.now(dt.UTC))
        searches = _searches(client.calls) - searches_before
        drifted = drift.records
        if drifted and settings.drift == "restore":
            state.store.restore_drifted(spec.name, drifted)
        context.log.info(
            f"{spec.name}: {drift.examined} record(s) modified in HubSpot compared, "
            f"{len(drifted)} drifted"
        )
        return AssetCheckResult(
            passed=not drifted,
            severity=AssetCheckSeverity.WARN,
            metadata=_metadata(spec, drift, payloads, settings.drift, searches),
        )

    return no_drift


def _searches(calls: dict[str, int]) -> int:
    return sum(n for call, n in calls.items() if call.endswith("/search"))


def _metadata(
    spec: StreamSpec, drift: Drift, payloads: Payloads, policy: str, searches: int
) -> dict[str, object]:
    changes = drift.changes
    per_property = changes.group_by("property").len().sort("len", descending=True)
    next_run = (
        "the next run writes moulin-sync's values back (MOULIN_DRIFT=restore)"
        if policy == "restore"
        else "left as they are, reported again until the source changes them "
        "(MOULIN_DRIFT=report; set restore to write ours back)"
    )
    return {
        "records_compared": drift.examined,
        "drifted_records": len(drift.records),
        "drifted_properties": changes.height,
        "by_property": MetadataValue.json(dict(per_property.iter_rows())),
        "examples": table_sample(_examples(spec, changes, payloads), rows=EXAMPLES),
        "modified_since": MetadataValue.text(
            "first check: drift is watched from now on"
            if drift.first
            else drift.since.isoformat(timespec="seconds")
        ),
        "search_calls": searches,
        "next_run": MetadataValue.text(next_run),
    }


def _examples(spec: StreamSpec, changes: pl.DataFrame, payloads: Payloads) -> pl.DataFrame:
    """(record, property, ours, HubSpot's) of drifted properties; ours as the App du
    Moulin holds it (the state store keeps fingerprints, not values), when the run read
    that record (a monthly stream reads the run's months)."""
    head = changes.head(EXAMPLES)
    records = payloads.records
    by_key = {
        row["source_key"]: row
        for row in records.filter(
            pl.col("source_key").is_in(head["source_key"].to_list())
        ).iter_rows(named=True)
    }
    ours = [
        (by_key[key].get(name) or "(empty)") if key in by_key else "(not read in this run)"
        for key, name in zip(head["source_key"], head["property"], strict=True)
    ]
    return head.select(
        pl.format(f"{spec.record_noun} {{}} (HubSpot {{}})", "source_key", "hubspot_id").alias(
            "record"
        ),
        "property",
        pl.Series("ours", ours, dtype=pl.String),
        pl.col("hubspot_value").replace("", "(empty)").alias("HubSpot's"),
    )


defs = Definitions(asset_checks=[drift_check(spec) for spec in STREAMS])
