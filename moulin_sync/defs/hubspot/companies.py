"""Companies: B2B customers → `hubspot_payloads/companies` → `hubspot/companies`."""

from dagster import AssetExecutionContext, MaterializeResult, asset

from moulin_sync.defs.hubspot.payload_assets import (
    load_payloads,
    payload_result,
    save_payloads,
)
from moulin_sync.defs.hubspot.resources import HubSpot
from moulin_sync.defs.hubspot.sync_step import write_step
from moulin_sync.defs.resources import Snapshots, SyncStateStore
from moulin_sync.hubspot.models import CompanyProperties
from moulin_sync.hubspot.transforms import COMPANY_PROPERTIES, company_payloads

SOURCE = "app_du_moulin"


@asset(
    key=["hubspot_payloads", "companies"],
    group_name="hubspot_payloads",
    kinds={"polars"},
    deps=[[SOURCE, "companies"], [SOURCE, "company_order_totals"]],
    description="HubSpot company payloads keyed by moulin_company_id, and the quarantine.",
)
def company_payload_records(snapshots: Snapshots) -> MaterializeResult:
    store = snapshots.store()
    payloads = company_payloads(
        store.read([SOURCE, "companies"]), store.read([SOURCE, "company_order_totals"])
    )
    payloads = save_payloads(store, "companies", payloads, CompanyProperties)
    return payload_result(payloads)


@asset(
    key=["hubspot", "companies"],
    group_name="hubspot",
    kinds={"hubspot"},
    pool="hubspot_api",
    deps=[company_payload_records, ["hubspot", "property_schema"]],
    description="B2B companies in HubSpot, upserted by moulin_company_id.",
)
def hubspot_companies(
    context: AssetExecutionContext,
    hubspot: HubSpot,
    state: SyncStateStore,
    snapshots: Snapshots,
) -> MaterializeResult:
    return write_step(
        context,
        hubspot,
        state,
        "companies",
        load_payloads(snapshots.store(), "companies"),
        COMPANY_PROPERTIES,
    )
