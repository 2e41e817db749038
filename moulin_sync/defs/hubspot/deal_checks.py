"""Checks on `hubspot/deals` that read HubSpot itself, never only our state store.

Each check covers its run's months, one evaluation per run (not one per month): the UI
shows it Passed or Failed for what it checked, and its metadata names the months."""

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import polars as pl
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetIn,
    MetadataValue,
    asset_check,
)

from moulin_sync.defs.hubspot.factory import payloads_key, records_key
from moulin_sync.defs.hubspot.resources import HubSpot, SyncStateStore
from moulin_sync.defs.partitions import months_label, run_months, run_window
from moulin_sync.defs.resources import SyncSettings
from moulin_sync.hubspot.audit import audit_duplicates, deal_associations, deals_closing_between
from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams.companies import COMPANIES
from moulin_sync.hubspot.streams.contacts import CONTACTS
from moulin_sync.hubspot.streams.deals import DEALS
from moulin_sync.hubspot.streams.payloads import Payloads
from moulin_sync.lib.metadata import table_sample

DEALS_KEY = records_key(DEALS)
PAYLOADS = {"payloads": AssetIn(key=payloads_key(DEALS))}


def _ids(records: pl.DataFrame, keys: Iterable[str | None]) -> dict[str, str]:
    """{source key: HubSpot id} of the `keys` HubSpot holds, from a stream's records."""
    wanted = {k for k in keys if k is not None}
    held = records.drop_nulls("hubspot_id").filter(pl.col("source_key").is_in(list(wanted)))
    return dict(held.select("source_key", "hubspot_id").iter_rows())


def _targets(deals: pl.DataFrame, state: SyncStateStore) -> tuple[dict[str, str], dict[str, str]]:
    """The HubSpot ids of the deals' contacts, and of their companies (those it holds),
    as the state store has them now: the deal step may have found some again (merged)."""
    contacts, companies = (state.store.held(spec.name) for spec in (CONTACTS, COMPANIES))
    return _ids(contacts, deals["contact_key"]), _ids(companies, deals["company_key"])


@asset_check(
    asset=DEALS_KEY,
    pool="hubspot_api",
    blocking=True,
    description="Fails when HubSpot holds more than one deal for an order: two deals with "
    "the same moulin_order_id, or a deal without it that has the same contact, amount and "
    "close day as one of ours (a legacy import).",
)
def no_duplicate_deals(
    context: AssetCheckExecutionContext, settings: SyncSettings, hubspot: HubSpot
) -> AssetCheckResult:
    client = hubspot.client()
    months = run_months(context)
    window = run_window(months)
    deals, duplicates = audit_duplicates(client, *window, settings.timezone)
    by_key = duplicates.by_key.with_columns(pl.col("deal_ids").list.join(", "))
    return AssetCheckResult(
        passed=duplicates.count == 0,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "months": months_label(months),
            "deals_checked": deals.height,
            "duplicate_deals": duplicates.count,
            "orders_with_several_deals": duplicates.by_key.height,
            "legacy_look_alikes": duplicates.look_alikes.height,
            "by_key": table_sample(by_key, rows=20),
            "look_alikes": table_sample(duplicates.look_alikes, rows=20),
            "search_calls": client.calls.get("POST /crm/v3/objects/deals/search", 0),
            "fix": MetadataValue.text("run the dedupe_deals job (dry run first)"),
        },
    )


def _deals_in_hubspot(client: HubSpotClient, keys: list[str]) -> pl.DataFrame:
    """(source_key, hs_amount, hs_dealstage) of our deals HubSpot holds, read by key."""
    rows = []
    for start in range(0, len(keys), 100):
        outcome = client.objects.batch_read(
            "deals",
            keys[start : start + 100],
            "moulin_order_id",
            ["moulin_order_id", "amount", "dealstage"],
        )
        rows.extend(
            (
                r.properties.get("moulin_order_id"),
                r.properties.get("amount"),
                r.properties.get("dealstage"),
            )
            for r in outcome.results
        )
    return pl.DataFrame(
        rows,
        schema={"source_key": pl.String, "hs_amount": pl.String, "hs_dealstage": pl.String},
        orient="row",
    )


@asset_check(
    asset=DEALS_KEY,
    pool="hubspot_api",
    additional_ins=PAYLOADS,
    description="Source vs HubSpot: every valid order of the run's months has its deal, with "
    "the right amount and stage; no deal closing in those months claims an order it lacks.",
)
def every_order_has_a_deal(
    context: AssetCheckExecutionContext,
    hubspot: HubSpot,
    state: SyncStateStore,
    payloads: Payloads,
) -> AssetCheckResult:
    records = payloads.records
    # Deals whose contact (or company) is not in HubSpot wait for it, by design.
    contact_ids, company_ids = _targets(records, state)
    # (An erased customer's deals have no contact: they wait for nothing.)
    contact = pl.col("contact_key")
    waits = (contact.is_not_null() & ~contact.is_in(list(contact_ids))) | (
        pl.col("company_key").is_not_null() & ~pl.col("company_key").is_in(list(company_ids))
    )
    waiting = records.filter(waits)
    expected = records.filter(~waits).select("source_key", "amount", "dealstage")
    keys = expected["source_key"].to_list()
    client = hubspot.client()
    months = run_months(context)
    # Reads and searches have separate rate limits: read our deals while the search pages.
    with ThreadPoolExecutor(1) as reads:
        reading = reads.submit(_deals_in_hubspot, client, keys)
        in_window = deals_closing_between(client, *run_window(months))
        found = reading.result()
    joined = expected.join(found, on="source_key", how="left")
    missing = joined.filter(pl.col("hs_dealstage").is_null()).select("source_key")
    amount_differs = pl.col("hs_amount").cast(pl.Float64, strict=False).round(2) != pl.col(
        "amount"
    ).cast(pl.Float64, strict=False).round(2)
    mismatched = joined.filter(
        pl.col("hs_dealstage").is_not_null()
        & (amount_differs | (pl.col("hs_dealstage") != pl.col("dealstage")))
    )
    ours = set(keys) | set(waiting["source_key"]) | set(payloads.quarantine["source_key"])
    extra = in_window.filter(
        pl.col("moulin_order_id").is_not_null() & ~pl.col("moulin_order_id").is_in(list(ours))
    )
    return AssetCheckResult(
        passed=missing.is_empty() and mismatched.is_empty() and extra.is_empty(),
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "months": months_label(months),
            "orders_expected": expected.height,
            "orders_quarantined": payloads.quarantine.height,
            "orders_waiting_for_contact": waiting.height,
            "deals_found": found.height,
            "missing": missing.height,
            "mismatched": mismatched.height,
            "extra": extra.height,
            "missing_examples": table_sample(missing),
            "mismatched_examples": table_sample(mismatched),
            "extra_examples": table_sample(extra),
        },
    )


@asset_check(
    asset=DEALS_KEY,
    pool="hubspot_api",
    additional_ins=PAYLOADS,
    description="Every deal of the run's months is associated with its contact, and B2B deals "
    "with their company; a deal of an erased customer with no contact (read back through "
    "the associations API).",
)
def deals_are_associated(
    context: AssetCheckExecutionContext,
    hubspot: HubSpot,
    state: SyncStateStore,
    deals: pl.DataFrame,
    payloads: Payloads,
) -> AssetCheckResult:
    records = payloads.records
    deal_ids = _ids(deals, records["source_key"])
    contact_ids, company_ids = _targets(records, state)
    client = hubspot.client()
    linked_contacts = deal_associations(client, deal_ids.values(), "contacts")
    linked_companies = deal_associations(client, deal_ids.values(), "companies")
    problems = []
    for order_id, contact_key, company_key in records.select(
        "source_key", "contact_key", "company_key"
    ).iter_rows():
        deal_id = deal_ids.get(order_id)
        if deal_id is None:
            continue  # not synced: every_order_has_a_deal reports it
        linked = linked_contacts.get(deal_id, [])
        if contact_key is None and linked:
            problems.append((order_id, deal_id, "associated with a contact, its customer erased"))
        elif contact_key is not None and contact_ids.get(contact_key) not in linked:
            problems.append((order_id, deal_id, "not associated with its contact"))
        if company_key and company_ids.get(company_key) not in linked_companies.get(deal_id, []):
            problems.append((order_id, deal_id, "not associated with its company"))
    table = pl.DataFrame(
        problems,
        schema={"order_id": pl.String, "deal_id": pl.String, "problem": pl.String},
        orient="row",
    )
    return AssetCheckResult(
        passed=table.is_empty(),
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "months": months_label(run_months(context)),
            "deals_checked": len(deal_ids),
            "unassociated": table.height,
            "examples": table_sample(table),
        },
    )
