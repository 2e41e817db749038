"""The `live_sync` job: the customers a change sensor saw change, brought up to date.

One op in the `hubspot_api` pool (it takes turns with the nightly run's write steps and
checks), writing through the nightly run's payloads, plan and write for those customers
only, a few hundred per read of the source: the same path as the refresh button's, so
the next nightly run finds them unchanged. It records the months of the deals it brought
up to date (so `sync --nightly` skips a month it left current) and observes them on
`hubspot/deals` (the UI shows the live writes beside the nightly's).
"""

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from dagster import (
    AssetKey,
    AssetObservation,
    Config,
    MetadataValue,
    OpExecutionContext,
    Output,
    job,
    op,
)
from pydantic import Field

from moulin_sync.defs.hubspot.factory import SOURCE_CLOCK_MARGIN
from moulin_sync.defs.hubspot.resources import HubSpot, SyncStateStore
from moulin_sync.defs.resources import SyncSettings
from moulin_sync.defs.retries import TRANSIENT, failures_classified
from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams import custom_properties
from moulin_sync.hubspot.streams.spec import PipelineStages, StreamSpec
from moulin_sync.hubspot.sync.customers import CustomersSynced, sync_customers
from moulin_sync.hubspot.sync.pipelines import ensure_pipeline
from moulin_sync.hubspot.sync.portal import PortalSchema, apply_schema
from moulin_sync.sources.app_du_moulin.one_customer import CustomerTables
from moulin_sync.sources.app_du_moulin.reader import SourceReader
from moulin_sync.sources.app_du_moulin.source import NAME as APP_DU_MOULIN
from moulin_sync.sources.spec import SourceFrames

LIVE_JOB = "live_sync"
OP = "sync_changed_customers"
# Customers per read of the source and per plan: a burst's thousands in a few batches.
BATCH = 500
# The portal's properties and pipelines, read at most this often by live runs (each run
# is a new process): a trickle of changes should spend its calls on the changes.
PORTAL_TTL_S = 3600.0


class LiveConfig(Config):
    """What a change sensor saw change (it fills this in)."""

    customer_ids: list[int] = Field(
        default_factory=list, description="Customers whose records changed."
    )
    company_ids: list[int] = Field(
        default_factory=list,
        description="Companies changed: their records and every customer of theirs.",
    )
    oldest_change: Optional[str] = Field(  # noqa: UP045 - Dagster reads this at runtime
        default=None, description="When the oldest of these changes was made (ISO, UTC)."
    )
    synced_until: Optional[str] = Field(  # noqa: UP045
        default=None,
        description="Every change before this time (ISO, UTC) is in this run or an earlier "
        "one: the months this run leaves current are recorded as of it.",
    )


def live_streams(settings: SyncSettings) -> tuple[StreamSpec, ...]:
    """The streams live sync writes: those fed by the App du Moulin alone (a stream also
    fed by a source pulled every night, such as Typeform's NPS, waits for the night)."""
    return tuple(s for s in settings.streams() if set(s.source_names) == {APP_DU_MOULIN})


def portal_of(
    client: HubSpotClient, hubspot: HubSpot, settings: SyncSettings, streams: Sequence[StreamSpec]
) -> tuple[PortalSchema, dict[str, PipelineStages]]:
    """The portal's schema and pipelines, from the live runs' cache under MOULIN_DATA_DIR
    when it is recent and for this portal and these streams, else read (and created where
    missing, as the nightly run's property schema step does) and cached."""
    key = json.dumps([hubspot.base_url, settings.model_dump_json(), [s.name for s in streams]])
    path = Path(settings.data_dir) / "live" / "portal.json"
    try:
        cached = json.loads(path.read_text())
        if cached["key"] == key and cached["until"] > dt.datetime.now(dt.UTC).timestamp():
            pipelines = {n: PipelineStages(**p) for n, p in cached["pipelines"].items()}
            return PortalSchema(**cached["portal"]), pipelines
    except (OSError, ValueError, KeyError, TypeError):
        pass  # none yet, or unreadable: read the portal
    portal = apply_schema(client, custom_properties(streams))
    pipelines = {
        spec.name: ensure_pipeline(client, spec.pipeline, *settings.pipeline(spec.pipeline))
        for spec in streams
        if spec.pipeline is not None
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    written = path.with_suffix(".tmp")
    written.write_text(
        json.dumps(
            {
                "key": key,
                "until": dt.datetime.now(dt.UTC).timestamp() + PORTAL_TTL_S,
                "portal": portal.model_dump(mode="json"),
                "pipelines": {n: p.model_dump(mode="json") for n, p in pipelines.items()},
            }
        )
    )
    written.replace(path)  # whole or not at all: runs read it side by side
    return portal, pipelines


def _when(text: Optional[str]) -> Optional[dt.datetime]:  # noqa: UP045
    return dt.datetime.fromisoformat(text) if text else None


@op(
    name=OP,
    description="Bring the changed customers' contacts, companies and deals up to date in "
    "HubSpot, as the nightly run would.",
    pool="hubspot_api",
    retry_policy=TRANSIENT,
    required_resource_keys={"settings", "hubspot", "state", "source"},
)
def sync_changed_customers(context: OpExecutionContext, config: LiveConfig) -> Output[None]:
    settings: SyncSettings = context.resources.settings
    hubspot: HubSpot = context.resources.hubspot
    state: SyncStateStore = context.resources.state
    read_at = dt.datetime.now(dt.UTC)
    reader = SourceReader(context.resources.source.config())
    customers = set(config.customer_ids)
    if config.company_ids:
        customers |= set(reader.customers_of_companies(config.company_ids))
    streams = live_streams(settings)
    synced = CustomersSynced()
    with failures_classified():
        client = hubspot.client()
        portal, pipelines = portal_of(client, hubspot, settings, streams)
        ordered = sorted(customers)
        for start in range(0, len(ordered), BATCH):
            batch = ordered[start : start + BATCH]
            tables = CustomerTables(reader, batch, settings.timezone, read_at)
            synced.add(
                sync_customers(
                    client,
                    state.store,
                    SourceFrames({APP_DU_MOULIN: tables}),
                    batch,
                    timezone=settings.timezone,
                    portal=portal,
                    pipelines=pipelines,
                    streams=streams,
                    erasure=settings.gdpr_erasure,
                    read_at=read_at,
                )
            )
            context.log.info(f"{start + len(batch)} of {len(ordered)} customers synced")
    until = _when(config.synced_until)
    if until is not None and not synced.stopped:
        # Every change of these months before `until` is synced (by this run or an
        # earlier one); the margin covers a source clock ahead of ours.
        as_of = min(until, read_at) - SOURCE_CLOCK_MARGIN
        for stream, months in synced.months.items():
            state.store.record_months_synced(stream, sorted(months), as_of, only_later=True)
    for stream, months in synced.months.items():
        for month in sorted(months):
            context.log_event(
                AssetObservation(
                    asset_key=AssetKey(["hubspot", stream]),
                    partition=month,
                    metadata={"live_run": context.run_id, "source_read_at": read_at.isoformat()},
                )
            )
    oldest = _when(config.oldest_change)
    lag = (dt.datetime.now(dt.UTC) - oldest).total_seconds() if oldest else None
    figures = {name: vars(outcome) for name, outcome in synced.streams.items()}
    context.log.info(f"live sync of {len(ordered)} customers: {figures}")
    return Output(
        None,
        metadata={
            "customers": len(ordered),
            "companies_changed": len(config.company_ids),
            **{
                f"{name}_{what}": getattr(outcome, what)
                for name, outcome in synced.streams.items()
                for what in ("created", "updated", "unchanged")
            },
            "rejected": sum(len(o.rejected) for o in synced.streams.values()),
            "waiting": sum(len(o.waiting) for o in synced.streams.values()),
            "months": MetadataValue.json({k: sorted(v) for k, v in synced.months.items()}),
            "api_calls": MetadataValue.json(dict(client.calls)),
            **({"change_to_synced_s": round(lag, 1)} if lag is not None else {}),
        },
    )


@job(
    name=LIVE_JOB,
    description="The customers a change sensor saw change — contacts, companies, deals — "
    "brought up to date in HubSpot as the nightly run would (launched by the sensors).",
    tags={"moulin/kind": "live"},
)
def live_sync_job() -> None:
    sync_changed_customers()
