"""A stream's write step: check the payloads against the portal, plan, write, report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace

import polars as pl

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams import link_target_types
from moulin_sync.hubspot.streams.payloads import Payloads
from moulin_sync.hubspot.streams.spec import StreamSpec
from moulin_sync.hubspot.sync.ledger import SyncReport
from moulin_sync.hubspot.sync.lookups import looked_up
from moulin_sync.hubspot.sync.plan import SyncPlan, plan_sync
from moulin_sync.hubspot.sync.portal import PortalSchema, refused_by_portal
from moulin_sync.hubspot.sync.progress import Report
from moulin_sync.hubspot.sync.state import ARCHIVED, MERGED, SyncState
from moulin_sync.hubspot.sync.stream_sync import StreamSync
from moulin_sync.settings import GdprErasure


def held_ids(records: pl.DataFrame, *, merged: bool = True) -> dict[str, str]:
    """{source key: HubSpot id} of a stream's records HubSpot holds (its state records).
    An archived record is no target (a deleted one has no id); one a person merged into
    another of ours stands for its survivor, unless `merged` is False."""
    gone = [ARCHIVED] if merged else [ARCHIVED, MERGED]
    known = records.drop_nulls("hubspot_id").filter(~pl.col("status").is_in(gone))
    return dict(known.select("source_key", "hubspot_id").iter_rows())


def link_ids(spec: StreamSpec, targets: Mapping[str, pl.DataFrame]) -> dict[str, dict[str, str]]:
    """For each link column, {source key: HubSpot id} of the records HubSpot holds in
    the target stream (`targets`: each target stream's state records)."""
    return {link.column: held_ids(targets[link.stream]) for link in spec.links}


def owner_ids(spec: StreamSpec, targets: Mapping[str, pl.DataFrame]) -> dict[str, str] | None:
    """For a stream enriching another's records, the owner's records HubSpot holds (not
    one merged into another customer's: what it adds is that customer's alone)."""
    if spec.enriches is None:
        return None
    return held_ids(targets[spec.enriches], merged=False)


def payload_keys(payloads: Payloads) -> pl.Series:
    """Every source key the payloads name: to send, quarantined or erased."""
    frames = (payloads.records, payloads.quarantine, payloads.erased)
    return pl.concat([frame["source_key"].cast(pl.String) for frame in frames])


def sync_stream(
    client: HubSpotClient,
    state: SyncState,
    spec: StreamSpec,
    payloads: Payloads,
    *,
    portal: PortalSchema,
    links: Mapping[str, Mapping[str, str]],
    erasure: GdprErasure = "delete",
    log: Callable[[str], None] = lambda message: None,
    progress: Report | None = None,
    known: pl.DataFrame | None = None,
    owners: Mapping[str, str] | None = None,
    read_at: dt.datetime | None = None,
) -> tuple[SyncPlan, SyncReport]:
    """Plan `payloads` against what the state store holds (`known`: those rows only, for a
    run that writes a few records; default: the store's records of the payloads) and
    write the plan. `read_at`: when the source was read (at the latest): a record HubSpot
    holds from a later read is left as it is, and what is written is marked as of it."""
    refused = refused_by_portal(
        payloads.records,
        portal.properties.get(spec.object_type, {}),
        spec.property_names,
        spec.object_type,
    )
    checked = payloads.reject(refused)
    plan = plan_sync(
        spec,
        checked,
        state.records_of(spec.name, payload_keys(payloads)) if known is None else known,
        links=links,
        erasure=erasure,
        owner_ids=owners,
        lookups=looked_up(client, spec, checked.records, links),
    )
    if read_at is not None:
        plan = superseded_left(
            plan, state.read_times(spec.name, plan.update["source_key"]), read_at
        )
    log(f"{spec.name}: plan {plan.counts()}")
    sync = StreamSync(
        client,
        state,
        spec,
        target_types=link_target_types(spec),
        erasure=erasure,
        progress=progress,
        read_at=read_at,  # marked with each batch HubSpot accepts
    )
    return plan, sync.run(plan)


def superseded_left(
    plan: SyncPlan, read_times: Mapping[str, dt.datetime], read_at: dt.datetime
) -> SyncPlan:
    """The plan without the updates HubSpot holds newer values for (read from the source
    after `read_at`, by a live run or a refresh press): they count as unchanged."""
    newer = [key for key, at in read_times.items() if at > read_at]
    if not newer:
        return plan
    superseded = pl.col("source_key").is_in(newer)
    left = plan.update.filter(superseded).select(plan.unchanged.columns)
    return replace(
        plan,
        update=plan.update.filter(~superseded),
        unchanged=pl.concat([plan.unchanged, left], how="vertical_relaxed"),
    )
