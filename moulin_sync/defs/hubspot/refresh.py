"""The `refresh_customer` job: one customer brought up to date in HubSpot in seconds.

What the contact card's button launches (through `moulin-sync serve-refresh`), and what
the Dagster UI's launchpad runs by hand. One op, no asset: the job writes HubSpot and the
state store exactly as the nightly run would for that customer, but never materializes
the nightly run's table snapshots, so a refresh during the nightly run changes none of
its inputs.
"""

import datetime as dt
import threading
import time
from collections.abc import Sequence
from typing import Optional

from dagster import Config, Failure, MetadataValue, OpExecutionContext, Output, job, op
from pydantic import Field

from moulin_sync.defs.hubspot.resources import HubSpot, SyncStateStore
from moulin_sync.defs.resources import SyncSettings
from moulin_sync.defs.retries import failures_classified
from moulin_sync.defs.sources import customer_frames, source_resource_keys
from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams import custom_properties
from moulin_sync.hubspot.streams.spec import PipelineStages, StreamSpec
from moulin_sync.hubspot.sync.pipelines import ensure_pipeline
from moulin_sync.hubspot.sync.portal import PortalSchema, apply_schema
from moulin_sync.hubspot.sync.refresh import (
    CustomerNotFound,
    RefreshTarget,
    refresh_customer,
    resolve_customer,
)
from moulin_sync.sources.app_du_moulin.reader import SourceReader

CUSTOMER_TAG = "moulin/customer"
PORTAL_TTL_S = 600.0


class RefreshConfig(Config):
    """Name exactly one of the three."""

    contact_id: Optional[str] = Field(  # noqa: UP045 - Dagster reads this at runtime
        default=None, description="The HubSpot contact id (what the card sends)."
    )
    email: Optional[str] = Field(default=None, description="The customer's email.")  # noqa: UP045
    moulin_customer_id: Optional[str] = Field(  # noqa: UP045
        default=None, description="The App du Moulin customer id."
    )
    merge_duplicates: bool = Field(
        default=False, description="Merge the duplicates found into the deals we own."
    )

    def target(self) -> RefreshTarget:
        return RefreshTarget(self.contact_id, self.email, self.moulin_customer_id)


class _PortalCache:
    """The portal's properties and the pipelines, read once per process for ten minutes:
    a refresh should spend its calls on the customer, not on the portal's schema."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: dict[tuple, tuple[float, PortalSchema, dict[str, PipelineStages]]] = {}

    def get(
        self,
        client: HubSpotClient,
        hubspot: HubSpot,
        settings: SyncSettings,
        streams: Sequence[StreamSpec],
    ) -> tuple[PortalSchema, dict[str, PipelineStages]]:
        names = tuple(spec.name for spec in streams)
        key = (hubspot.base_url, hash(hubspot.access_token), settings.model_dump_json(), names)
        with self._lock:
            hit = self._found.get(key)
            if hit is not None and hit[0] > time.monotonic():
                return hit[1], hit[2]
            portal = apply_schema(client, custom_properties(streams))
            pipelines = {
                spec.name: ensure_pipeline(client, spec.pipeline, *settings.pipeline(spec.pipeline))
                for spec in streams
                if spec.pipeline is not None
            }
            self._found[key] = (time.monotonic() + PORTAL_TTL_S, portal, pipelines)
            return portal, pipelines


portal_cache = _PortalCache()


@op(
    description="Read one customer from every enabled source and bring HubSpot in line.",
    # HubSpot, the state store, the settings, and every enabled source's resource: the
    # customer's share of each is read.
    required_resource_keys={"settings", "hubspot", "state", *source_resource_keys()},
)
def refresh_one_customer(context: OpExecutionContext, config: RefreshConfig) -> Output[None]:
    settings: SyncSettings = context.resources.settings
    hubspot: HubSpot = context.resources.hubspot
    state: SyncStateStore = context.resources.state
    reader = SourceReader(context.resources.source.config())
    try:
        customer_id = resolve_customer(config.target(), state.store, reader)
    except (CustomerNotFound, ValueError) as e:
        raise Failure(description=str(e), allow_retries=False) from None
    with failures_classified():
        client = hubspot.client()
        streams = settings.streams()
        portal, pipelines = portal_cache.get(client, hubspot, settings, streams)
        read_at = dt.datetime.now(dt.UTC)
        frames = customer_frames(
            context.resources, settings.sources, settings.timezone, customer_id
        )
        outcome = refresh_customer(
            client,
            state.store,
            frames,
            customer_id,
            timezone=settings.timezone,
            portal=portal,
            pipelines=pipelines,
            streams=streams,
            erasure=settings.gdpr_erasure,
            merge_duplicates=config.merge_duplicates,
            read_at=read_at,
        )
    summary = outcome.to_json()
    context.log.info(f"customer {customer_id}: {summary}")
    return Output(
        None,
        metadata={
            "customer_id": str(customer_id),
            "contact": summary["contact"],
            "company": summary["company"],
            "deals_created": summary["dealsCreated"],
            "deals_updated": summary["dealsUpdated"],
            "deals_unchanged": summary["dealsUnchanged"],
            "duplicates_found": summary["duplicatesFound"],
            "duplicates_merged": summary["duplicatesMerged"],
            "api_calls": MetadataValue.json(dict(client.calls)),
            "outcome": MetadataValue.json(summary),
        },
    )


@job(
    name="refresh_customer",
    description="One customer — contact, companies, every order's deal — brought up to date "
    "in HubSpot, as the nightly run would; duplicates reported, merged when asked.",
    tags={"moulin/kind": "refresh"},
)
def refresh_customer_job() -> None:
    refresh_one_customer()
