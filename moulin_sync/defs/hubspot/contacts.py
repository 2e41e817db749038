"""Contacts: B2C customers and B2B contacts → `hubspot_payloads/contacts` → `hubspot/contacts`."""

from dagster import AssetExecutionContext, MaterializeResult, asset

from moulin_sync.defs.hubspot.companies import hubspot_companies
from moulin_sync.defs.hubspot.payload_assets import load_payloads, payload_result, save_payloads
from moulin_sync.defs.hubspot.resources import HubSpot
from moulin_sync.defs.hubspot.sync_step import write_step
from moulin_sync.defs.resources import Snapshots, SyncStateStore
from moulin_sync.hubspot.models import ContactProperties
from moulin_sync.hubspot.sync import Association
from moulin_sync.hubspot.transforms import CONTACT_PROPERTIES, contact_payloads
from moulin_sync.settings import settings

SOURCE = "app_du_moulin"
# contact → company: unlabeled (279) and primary (1). HubSpot keeps one primary company.
CONTACT_TO_COMPANY = Association("company_key_id", "companies", (279, 1))


@asset(
    key=["hubspot_payloads", "contacts"],
    group_name="hubspot_payloads",
    kinds={"polars"},
    deps=[
        [SOURCE, "customers"],
        [SOURCE, "company_contacts"],
        [SOURCE, "companies"],
        [SOURCE, "customer_order_totals"],
    ],
    description="HubSpot contact payloads keyed by moulin_customer_id, the quarantine "
    "(no or invalid email, shared email, ...) and the GDPR erasures.",
)
def contact_payload_records(snapshots: Snapshots) -> MaterializeResult:
    store = snapshots.store()
    payloads = contact_payloads(
        store.read([SOURCE, "customers"]),
        store.read([SOURCE, "company_contacts"]),
        store.read([SOURCE, "companies"]),
        store.read([SOURCE, "customer_order_totals"]),
        timezone=settings().timezone,
    )
    return payload_result(save_payloads(store, "contacts", payloads, ContactProperties))


@asset(
    key=["hubspot", "contacts"],
    group_name="hubspot",
    kinds={"hubspot"},
    pool="hubspot_api",
    deps=[contact_payload_records, hubspot_companies, ["hubspot", "property_schema"]],
    description="Customers in HubSpot: upserted by moulin_customer_id, adopted by email, "
    "associated with their company as primary, archived when erased at the source.",
)
def hubspot_contacts(
    context: AssetExecutionContext,
    hubspot: HubSpot,
    state: SyncStateStore,
    snapshots: Snapshots,
) -> MaterializeResult:
    return write_step(
        context,
        hubspot,
        state,
        "contacts",
        load_payloads(snapshots.store(), "contacts"),
        CONTACT_PROPERTIES,
        link_columns=["company_key"],
        associations=[CONTACT_TO_COMPANY],
        adopt_by_email=True,
        archive_erased=state.archive_erased,
    )
