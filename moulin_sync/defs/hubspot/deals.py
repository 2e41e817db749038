"""Deals: every order, once. `hubspot_payloads/deals` → `hubspot/deals`, by month.

History is a monthly backfill that runs as one run (single-run backfill policy); the
nightly schedule syncs the previous and current month. Every write is keyed by
`moulin_order_id`, a unique property: a replay after a crash or a lost answer finds the
deal it made instead of making another.
"""

import polars as pl
from dagster import (
    AssetExecutionContext,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    asset,
)

from moulin_sync.defs.hubspot.contacts import hubspot_contacts
from moulin_sync.defs.hubspot.payload_assets import PARTS, payload_result
from moulin_sync.defs.hubspot.resources import HubSpot
from moulin_sync.defs.hubspot.sync_step import write_step
from moulin_sync.defs.partitions import monthly_partitions
from moulin_sync.defs.resources import Snapshots, SyncStateStore
from moulin_sync.hubspot.models import DealProperties, validate_records
from moulin_sync.hubspot.pipelines import DealPipeline, ensure_pipeline
from moulin_sync.hubspot.sync import Association
from moulin_sync.hubspot.transforms import DEAL_PROPERTIES, Payloads, deal_payloads
from moulin_sync.settings import settings, stage_for_status

SOURCE = "app_du_moulin"
PIPELINE_FILE = ("hubspot", "deal_pipeline.json")
# deal → contact (3); deal → company, unlabeled (341) and primary (5).
DEAL_TO_CONTACT = Association("contact_key_id", "contacts", (3,))
DEAL_TO_COMPANY = Association("company_key_id", "companies", (341, 5))


def pipeline_snapshot(snapshots: Snapshots) -> DealPipeline:
    path = snapshots.store().root.joinpath(*PIPELINE_FILE)
    if not path.is_file():
        raise FileNotFoundError(
            f"no deal pipeline snapshot at {path}: materialize hubspot/deal_pipeline first."
        )
    return DealPipeline.from_json(path.read_text())


@asset(
    key=["hubspot", "deal_pipeline"],
    group_name="hubspot",
    kinds={"hubspot"},
    pool="hubspot_api",
    description="The deal pipeline orders go to, and each order status's stage id.",
)
def deal_pipeline(hubspot: HubSpot, snapshots: Snapshots) -> MaterializeResult:
    client = hubspot.client()
    pipeline, created = ensure_pipeline(
        client, settings().deal_pipeline, stage_for_status(settings())
    )
    path = snapshots.store().root.joinpath(*PIPELINE_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(pipeline.to_json())
    return MaterializeResult(
        metadata={
            "pipeline_id": pipeline.pipeline_id,
            "pipeline": pipeline.label,
            "created": created,
            "stage_ids": MetadataValue.json(pipeline.stage_ids),
        }
    )


def validated_deal_payloads(
    orders: pl.DataFrame,
    customers: pl.DataFrame,
    companies: pl.DataFrame,
    pickup_points: pl.DataFrame,
    pipeline: DealPipeline,
    *,
    timezone: str,
) -> Payloads:
    """Orders → deal payloads checked against `DealProperties`: what the payload asset
    keeps (and what the sync benchmark times). Rows the model refuses join the quarantine
    with pydantic's reason and their month."""
    payloads = deal_payloads(
        orders,
        customers,
        companies,
        pickup_points,
        pipeline_id=pipeline.pipeline_id,
        stage_ids=pipeline.stage_ids,
        timezone=timezone,
    )
    valid, invalid = validate_records(DealProperties, payloads.records)
    invalid = invalid.join(
        payloads.records.select("source_key", "partition_key"), on="source_key", how="left"
    )
    return Payloads(
        records=valid,
        quarantine=pl.concat([payloads.quarantine, invalid], how="diagonal_relaxed"),
        erased=payloads.erased,
    )


@asset(
    key=["hubspot_payloads", "deals"],
    group_name="hubspot_payloads",
    kinds={"polars"},
    partitions_def=monthly_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    deps=[
        [SOURCE, "orders"],
        [SOURCE, "customers"],
        [SOURCE, "companies"],
        [SOURCE, "pickup_points"],
        deal_pipeline,
    ],
    description="One deal payload per order of the month, keyed by moulin_order_id, and "
    "the quarantine (customer missing or erased, bad amount, unknown status).",
)
def deal_payload_records(context: AssetExecutionContext, snapshots: Snapshots) -> MaterializeResult:
    store = snapshots.store()
    keys = context.partition_keys
    payloads = validated_deal_payloads(
        store.read_partitions([SOURCE, "orders"], keys, partition_column="partition_key"),
        store.read([SOURCE, "customers"]),
        store.read([SOURCE, "companies"]),
        store.read([SOURCE, "pickup_points"]),
        pipeline_snapshot(snapshots),
        timezone=settings().timezone,
    )
    for key in keys:
        for part in ("records", "quarantine"):
            frame = getattr(payloads, part)
            store.write(
                ["hubspot_payloads", "deals", part],
                frame.filter(pl.col("partition_key") == key),
                key,
            )
        store.write(["hubspot_payloads", "deals", "erased"], payloads.erased, key)
    return payload_result(payloads)


def load_deal_payloads(snapshots: Snapshots, keys: list[str]) -> Payloads:
    store = snapshots.store()
    return Payloads(*(store.read_partitions(["hubspot_payloads", "deals", p], keys) for p in PARTS))


@asset(
    key=["hubspot", "deals"],
    group_name="hubspot",
    kinds={"hubspot"},
    pool="hubspot_api",
    partitions_def=monthly_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    deps=[deal_payload_records, hubspot_contacts, ["hubspot", "property_schema"]],
    description="Orders as deals in HubSpot: created 100 per call with their contact (and "
    "company, as primary) inline, updated when the order changes, never twice.",
)
def hubspot_deals(
    context: AssetExecutionContext,
    hubspot: HubSpot,
    state: SyncStateStore,
    snapshots: Snapshots,
) -> MaterializeResult:
    return write_step(
        context,
        hubspot,
        state,
        "deals",
        load_deal_payloads(snapshots, context.partition_keys),
        DEAL_PROPERTIES,
        link_columns=["contact_key", "company_key"],
        # A deal is never created without its contact (nor a B2B deal without its
        # company): it waits, reported, until they are in HubSpot.
        required_links=("contact_key", "company_key"),
        associations=[DEAL_TO_CONTACT, DEAL_TO_COMPANY],
    )


@asset(
    key=["exports", "deal_ids"],
    group_name="exports",
    kinds={"csv"},
    deps=[hubspot_deals],
    description="Order → HubSpot deal id, as CSV for the App du Moulin to link each order "
    "to its deal. Not refreshed while no_duplicate_deals fails: an order with two deals "
    "has no single id to give.",
)
def deal_id_export(state: SyncStateStore, snapshots: Snapshots) -> MaterializeResult:
    store = state.open()
    try:
        frame = store.deal_ids()
    finally:
        store.close()
    path = snapshots.store().root / "exports" / "deal_ids.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    frame.write_csv(temporary)
    temporary.replace(path)
    return MaterializeResult(
        metadata={"dagster/row_count": frame.height, "path": MetadataValue.path(str(path))}
    )
