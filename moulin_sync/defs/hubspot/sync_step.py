"""What every `hubspot/<object>` asset does: plan from the state store, write, report."""

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue

from moulin_sync.defs.hubspot.resources import HubSpot
from moulin_sync.defs.resources import SyncStateStore
from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.client.errors import DailyBudgetExhausted
from moulin_sync.hubspot.plan import LINK_TARGETS, SyncPlan, plan_sync
from moulin_sync.hubspot.schema_sync import check_against_portal
from moulin_sync.hubspot.state import SyncState
from moulin_sync.hubspot.sync import Association, Syncer, SyncReport
from moulin_sync.hubspot.transforms import Payloads
from moulin_sync.lib.metadata import markdown_table


def write_step(
    context: AssetExecutionContext,
    hubspot: HubSpot,
    state: SyncStateStore,
    object_type: str,
    payloads: Payloads,
    properties: Sequence[str],
    *,
    link_columns: Sequence[str] = (),
    **options: Any,
) -> MaterializeResult:
    """A `hubspot/<object>` asset's body: open the client and the state store, resolve
    each link column (`contact_key`, `company_key`) to the HubSpot ids the state store
    knows for its target type, sync (`options` go to `run_sync`), report."""
    client = hubspot.client()
    store = state.open()
    try:
        links = {}
        for column in link_columns:
            known = store.load(LINK_TARGETS[column]).drop_nulls("hubspot_id")
            links[column] = dict(
                zip(known["source_key"].to_list(), known["hubspot_id"].to_list(), strict=True)
            )
        _, report = run_sync(
            context, client, store, object_type, payloads, properties, links=links, **options
        )
    finally:
        store.close()
    return sync_result(client, report)


def run_sync(
    context: AssetExecutionContext,
    client: HubSpotClient,
    state: SyncState,
    object_type: str,
    payloads: Payloads,
    properties: Sequence[str],
    *,
    links: Mapping[str, Mapping[str, str]] | None = None,
    required_links: tuple[str, ...] = (),
    associations: Sequence[Association] = (),
    adopt_by_email: bool = False,
    archive_erased: bool = True,
) -> tuple[SyncPlan, SyncReport]:
    try:
        portal = {p["name"]: p for p in client.properties.list(object_type)}
    except DailyBudgetExhausted as exc:
        # The budget ran out before this step's first call: end cleanly, as the Syncer
        # does mid-step, and leave the whole plan to the next run.
        portal, not_started = None, f"not started: {exc}"
    if portal is not None:
        sendable, refused = check_against_portal(
            payloads.records, portal, tuple(properties), object_type
        )
        payloads = Payloads(
            records=sendable,
            quarantine=pl.concat([payloads.quarantine, refused], how="diagonal_relaxed"),
            erased=payloads.erased,
        )
    plan = plan_sync(
        object_type,
        payloads,
        state.load(object_type),
        links=links,
        required_links=required_links,
        archive_erased=archive_erased,
    )
    if portal is None:
        context.log.warning(f"{object_type}: {not_started}")
        report = SyncReport(
            object_type,
            unchanged=plan.unchanged.height,
            waiting=plan.waiting.height,
            stopped=not_started,
        )
        return plan, report
    context.log.info(f"{object_type}: plan {plan.counts()}")
    report = Syncer(
        client,
        state,
        object_type,
        properties,
        associations=associations,
        adopt_by_email=adopt_by_email,
        log=context.log.warning,
    ).run(plan)
    return plan, report


def sync_result(client: HubSpotClient, report: SyncReport) -> MaterializeResult:
    """Materialization metadata of a HubSpot write: counts, calls, 429s, rejections."""
    rejections = report.rejections()
    snapshot = client.snapshot()
    by_reason = (
        rejections.group_by("reason").len().sort("len", descending=True)
        if rejections.height
        else pl.DataFrame(schema={"reason": pl.String, "len": pl.UInt32})
    )
    return MaterializeResult(
        metadata={
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "adopted": report.adopted,
            "reresolved": report.reresolved,
            "merged": report.merged,
            "archived": report.archived,
            "rejected": rejections.height,
            "waiting": report.waiting,
            "associations_changed": report.associations_changed,
            "api_calls": sum(client.calls.values()),
            "write_calls": snapshot.get("write_calls", 0),
            "rate_limited_429s": snapshot.get("rate_limited", 0),
            "duration_s": round(report.seconds, 2),
            "calls_by_endpoint": MetadataValue.json(dict(client.calls)),
            "stopped_early": MetadataValue.text(report.stopped or "no"),
            "rejections": markdown_table(rejections, rows=20),
            "rejections_by_reason": markdown_table(by_reason, rows=20),
        }
    )
