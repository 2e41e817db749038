"""A stream's assets, made from its spec: payloads, the write to HubSpot, its pipeline.

`hubspot_payloads/<stream>` turns the spec's source assets into validated payloads;
`hubspot/<stream>` writes them and holds the stream's records as HubSpot accepted them
(the state store's view), which the streams linking to it resolve their associations
from. Every input is an asset's output, loaded by the I/O manager.
"""

import datetime as dt
from functools import partial
from typing import Any

import polars as pl
from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    Output,
    asset,
)

from moulin_sync.defs.freshness import synced_every_night
from moulin_sync.defs.hubspot.reports import (
    of_run,
    payload_metadata,
    payload_month_metadata,
    write_metadata,
    write_month_metadata,
)
from moulin_sync.defs.hubspot.resources import HubSpot, SyncStateStore
from moulin_sync.defs.partitions import monthly_partitions
from moulin_sync.defs.resources import SyncSettings
from moulin_sync.defs.retries import TRANSIENT, failures_classified
from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams.build import build_payloads
from moulin_sync.hubspot.streams.payloads import Payloads
from moulin_sync.hubspot.streams.spec import PipelineStages, StreamSpec, TransformContext
from moulin_sync.hubspot.sync.pipelines import ensure_pipeline
from moulin_sync.hubspot.sync.portal import PortalSchema
from moulin_sync.hubspot.sync.progress import log_progress
from moulin_sync.hubspot.sync.run import link_ids, owner_ids, sync_stream

PAYLOADS = "hubspot_payloads"
HUBSPOT = "hubspot"
PROPERTY_SCHEMA = AssetKey([HUBSPOT, "property_schema"])
SOURCE_CLOCK_MARGIN = dt.timedelta(minutes=10)


def payloads_key(spec: StreamSpec) -> AssetKey:
    return AssetKey([PAYLOADS, spec.name])


def records_key(spec: StreamSpec) -> AssetKey:
    return AssetKey([HUBSPOT, spec.name])


def pipeline_key(spec: StreamSpec) -> AssetKey:
    return AssetKey([HUBSPOT, f"{spec.object_type.removesuffix('s')}_pipeline"])


def _monthly(spec: StreamSpec) -> dict[str, Any]:
    if not spec.partitioned:
        return {}
    return {"partitions_def": monthly_partitions, "backfill_policy": BackfillPolicy.single_run()}


def run_made(context: AssetExecutionContext) -> dt.datetime:
    """When the run was made: before it read anything of the source."""
    record = context.instance.get_run_record_by_id(context.run_id)
    return record.create_timestamp if record is not None else dt.datetime.now(dt.UTC)


def source_read_at(context: AssetExecutionContext) -> dt.datetime:
    """When the source the run's payloads came from was read, at the latest: when the
    first run of its retries was made (a retry from failure reuses what its parent read)."""
    root = context.run.root_run_id or context.run_id
    record = context.instance.get_run_record_by_id(root)
    return record.create_timestamp if record is not None else run_made(context)


def source_as_of(context: AssetExecutionContext) -> dt.datetime:
    """How recent the source a run read is, at the least: when the run was made (before
    any read), less a margin for a clock ahead of ours or a transaction still open."""
    return run_made(context) - SOURCE_CLOCK_MARGIN


def payload_asset(spec: StreamSpec) -> AssetsDefinition:
    ins = {
        name: AssetIn(key=AssetKey(list(key)), dagster_type=pl.DataFrame)
        for name, key in spec.sources.items()
    }
    if spec.pipeline is not None:
        ins["pipeline"] = AssetIn(key=pipeline_key(spec), dagster_type=PipelineStages)

    @asset(
        key=payloads_key(spec),
        ins=ins,
        group_name=PAYLOADS,
        kinds={"polars"},
        description=spec.payload_description,
        **_monthly(spec),
    )
    def payloads(
        context: AssetExecutionContext,
        settings: SyncSettings,
        state: SyncStateStore,
        **frames: Any,
    ) -> Output[Payloads]:
        pipeline = frames.pop("pipeline", None)
        written = partial(state.store.fingerprints_of, spec.name)
        made = build_payloads(spec, frames, TransformContext(settings.timezone, pipeline, written))
        if not spec.partitioned:
            return Output(made, metadata=payload_metadata(made))
        # Each month's figures first, then the run's (the order the UI lists them in).
        of_the_run = of_run(payload_metadata(made))
        for month, figures in payload_month_metadata(made, context.partition_keys).items():
            context.add_asset_metadata({**figures, **of_the_run}, partition_key=month)
        return Output(made)

    return payloads


def write_asset(spec: StreamSpec) -> AssetsDefinition:
    ins = {"payloads": AssetIn(key=payloads_key(spec)), "portal": AssetIn(key=PROPERTY_SCHEMA)}
    targets = sorted({link.stream for link in spec.links} | set(filter(None, [spec.enriches])))
    ins |= {
        target: AssetIn(key=AssetKey([HUBSPOT, target]), dagster_type=pl.DataFrame)
        for target in targets
    }

    @asset(
        key=records_key(spec),
        ins=ins,
        group_name=HUBSPOT,
        kinds={"hubspot"},
        pool="hubspot_api",
        description=spec.write_description,
        freshness_policy=synced_every_night,
        retry_policy=TRANSIENT,
        **_monthly(spec),
    )
    def records(
        context: AssetExecutionContext,
        settings: SyncSettings,
        hubspot: HubSpot,
        state: SyncStateStore,
        payloads: Payloads,
        portal: PortalSchema,
        **linked: pl.DataFrame,
    ) -> Output[pl.DataFrame]:
        with failures_classified():
            client = hubspot.client()
            return _write(context, settings, client, state, spec, payloads, portal, linked)

    return records


def _write(
    context: AssetExecutionContext,
    settings: SyncSettings,
    client: HubSpotClient,
    state: SyncStateStore,
    spec: StreamSpec,
    payloads: Payloads,
    portal: PortalSchema,
    linked: dict[str, pl.DataFrame],
) -> Output[pl.DataFrame]:
    """Plan and write the stream, record the months synced, report by month and run."""
    _, report = sync_stream(
        client,
        state.store,
        spec,
        payloads,
        portal=portal,
        links=link_ids(spec, linked),
        owners=owner_ids(spec, linked),
        erasure=settings.gdpr_erasure,
        log=context.log.info,
        progress=log_progress(context.log.info),
        # What a live run or a refresh press wrote from a later read stays.
        read_at=source_read_at(context),
    )
    if report.stopped:
        context.log.warning(f"{spec.name}: stopped before HubSpot's daily limit: {report.stopped}")
    months = context.partition_keys if spec.partitioned else None
    if months and not report.stopped:
        state.store.record_months_synced(spec.name, months, source_as_of(context))
    held = state.store.held(spec.name, partitions=months)
    if not months:
        return Output(held, metadata=write_metadata(client, spec, report))
    of_the_run = of_run(write_metadata(client, spec, report))
    for month, figures in write_month_metadata(spec, report, months).items():
        context.add_asset_metadata({**figures, **of_the_run}, partition_key=month)
    return Output(held)


def pipeline_asset(spec: StreamSpec) -> AssetsDefinition:
    pipeline = spec.pipeline
    assert pipeline is not None, f"stream {spec.name} has no pipeline"

    @asset(
        key=pipeline_key(spec),
        group_name=HUBSPOT,
        kinds={"hubspot"},
        pool="hubspot_api",
        description=f"The {spec.object_type} pipeline {spec.description} go to, and each "
        "status's stage id.",
        retry_policy=TRANSIENT,
    )
    def stages(settings: SyncSettings, hubspot: HubSpot) -> Output[PipelineStages]:
        wanted, overrides = settings.pipeline(pipeline)
        with failures_classified():
            found = ensure_pipeline(hubspot.client(), pipeline, wanted, overrides)
        return Output(
            found,
            metadata={
                "pipeline_id": found.pipeline_id,
                "pipeline": found.label,
                "created": found.created,
                "stage_ids": found.stage_ids,
            },
        )

    return stages


def stream_assets(spec: StreamSpec) -> list[AssetsDefinition]:
    made = [payload_asset(spec), write_asset(spec)]
    return [*made, pipeline_asset(spec)] if spec.pipeline is not None else made
