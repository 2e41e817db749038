"""The one Definitions object of moulin-sync (loaded by workspace.yaml)."""

from __future__ import annotations

from dagster import Definitions

from moulin_sync.defs.app_du_moulin import assets as app_du_moulin
from moulin_sync.defs.app_du_moulin import checks as app_du_moulin_checks
from moulin_sync.defs.hubspot import (
    companies,
    contacts,
    deal_checks,
    deals,
    dedupe,
    property_schema,
)
from moulin_sync.defs.jobs import nightly_sync_job
from moulin_sync.defs.resources import build_resources
from moulin_sync.defs.schedules import nightly_sync_schedule
from moulin_sync.settings import settings

defs = Definitions(
    assets=[
        app_du_moulin.pickup_points,
        app_du_moulin.customers,
        app_du_moulin.companies,
        app_du_moulin.company_contacts,
        app_du_moulin.orders,
        app_du_moulin.order_totals,
        property_schema.property_schema,
        companies.company_payload_records,
        companies.hubspot_companies,
        contacts.contact_payload_records,
        contacts.hubspot_contacts,
        deals.deal_pipeline,
        deals.deal_payload_records,
        deals.hubspot_deals,
        deals.deal_id_export,
    ],
    asset_checks=[
        app_du_moulin_checks.customers_have_unique_emails,
        app_du_moulin_checks.customers_have_valid_emails,
        property_schema.property_types_match,
        deal_checks.no_duplicate_deals,
        deal_checks.every_order_has_a_deal,
        deal_checks.deals_are_associated,
    ],
    jobs=[nightly_sync_job, dedupe.dedupe_deals],
    schedules=[nightly_sync_schedule],
    resources=build_resources(settings()),
)
