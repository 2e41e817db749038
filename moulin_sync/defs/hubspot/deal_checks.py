"""Checks on `hubspot/deals` that read HubSpot itself, never only our state store."""

import datetime as dt

import polars as pl
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    MetadataValue,
    asset_check,
)

from moulin_sync.defs.hubspot.deals import hubspot_deals, load_deal_payloads
from moulin_sync.defs.hubspot.resources import HubSpot
from moulin_sync.defs.partitions import monthly_partitions
from moulin_sync.defs.resources import Snapshots, SyncStateStore
from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.deal_audit import (
    deal_associations,
    deals_closing_between,
    find_duplicates,
)
from moulin_sync.lib.metadata import markdown_table


def run_window(keys: list[str]) -> tuple[dt.datetime, dt.datetime]:
    """The time span of a run's partitions (one month, or a backfill's range)."""
    first = monthly_partitions.time_window_for_partition_key(keys[0])
    last = monthly_partitions.time_window_for_partition_key(keys[-1])
    return first.start, last.end


def audit_duplicates(client: HubSpotClient, keys: list[str]):
    """HubSpot's deals closing in the partitions' window, and the duplicates among them."""
    start, end = run_window(keys)
    deals = deals_closing_between(client, start, end)
    contacts_of = deal_associations(client, deals["deal_id"].to_list(), "contacts")
    owned = (
        deals.filter(pl.col("moulin_order_id").is_not_null())
        .with_columns(
            contact_id=pl.col("deal_id").replace_strict(
                {k: (v[0] if v else None) for k, v in contacts_of.items()},
                default=None,
                return_dtype=pl.String,
            )
        )
        .select(
            pl.col("moulin_order_id").alias("order_id"),
            "deal_id",
            "contact_id",
            "amount",
            "closedate",
        )
    )
    return deals, find_duplicates(deals, contacts_of, owned)


@asset_check(
    asset=hubspot_deals,
    partitions_def=monthly_partitions,
    blocking=True,
    description="Fails when HubSpot holds more than one deal for an order: two deals with "
    "the same moulin_order_id, or a deal without it that has the same contact, amount and "
    "close day as one of ours (a legacy import).",
)
def no_duplicate_deals(context: AssetCheckExecutionContext, hubspot: HubSpot) -> AssetCheckResult:
    client = hubspot.client()
    deals, duplicates = audit_duplicates(client, context.partition_keys)
    by_key = duplicates.by_key.with_columns(pl.col("deal_ids").list.join(", "))
    return AssetCheckResult(
        passed=duplicates.count == 0,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "deals_checked": deals.height,
            "duplicate_deals": duplicates.count,
            "orders_with_several_deals": duplicates.by_key.height,
            "legacy_look_alikes": duplicates.look_alikes.height,
            "by_key": markdown_table(by_key, rows=20),
            "look_alikes": markdown_table(duplicates.look_alikes, rows=20),
            "search_calls": client.calls.get("POST /crm/v3/objects/deals/search", 0),
            "fix": MetadataValue.text("run the dedupe_deals job (dry run first)"),
        },
    )


@asset_check(
    asset=hubspot_deals,
    partitions_def=monthly_partitions,
    description="Source vs HubSpot: every valid order of the partition has its deal, with "
    "the right amount and stage; no deal claims an order of the partition it lacks.",
)
def every_order_has_a_deal(
    context: AssetCheckExecutionContext,
    hubspot: HubSpot,
    snapshots: Snapshots,
    state: SyncStateStore,
) -> AssetCheckResult:
    client = hubspot.client()
    payloads = load_deal_payloads(snapshots, context.partition_keys)
    # Deals whose contact (or company) is not in HubSpot wait for it, by design.
    store = state.open()
    try:
        contacts = store.hubspot_ids(
            "contacts", payloads.records["contact_key"].drop_nulls().to_list()
        )
        companies = store.hubspot_ids(
            "companies", payloads.records["company_key"].drop_nulls().to_list()
        )
    finally:
        store.close()
    waits = ~pl.col("contact_key").is_in(list(contacts)) | (
        pl.col("company_key").is_not_null() & ~pl.col("company_key").is_in(list(companies))
    )
    waiting = payloads.records.filter(waits)
    expected = payloads.records.filter(~waits).select("source_key", "amount", "dealstage")
    found_rows = []
    keys = expected["source_key"].to_list()
    for start in range(0, len(keys), 100):
        outcome = client.objects.batch_read(
            "deals",
            keys[start : start + 100],
            "moulin_order_id",
            ["moulin_order_id", "amount", "dealstage"],
        )
        found_rows.extend(
            (
                r.properties.get("moulin_order_id"),
                r.properties.get("amount"),
                r.properties.get("dealstage"),
            )
            for r in outcome.results
        )
    found = pl.DataFrame(
        found_rows,
        schema={"source_key": pl.String, "hs_amount": pl.String, "hs_dealstage": pl.String},
        orient="row",
    )
    joined = expected.join(found, on="source_key", how="left")
    missing = joined.filter(pl.col("hs_dealstage").is_null()).select("source_key")
    amount_differs = pl.col("hs_amount").cast(pl.Float64, strict=False).round(2) != pl.col(
        "amount"
    ).cast(pl.Float64, strict=False).round(2)
    mismatched = joined.filter(
        pl.col("hs_dealstage").is_not_null()
        & (amount_differs | (pl.col("hs_dealstage") != pl.col("dealstage")))
    )
    start, end = run_window(context.partition_keys)
    in_window = deals_closing_between(client, start, end)
    partition_orders = (
        set(keys) | set(waiting["source_key"]) | set(payloads.quarantine["source_key"])
    )
    extra = in_window.filter(
        pl.col("moulin_order_id").is_not_null()
        & ~pl.col("moulin_order_id").is_in(list(partition_orders))
    )
    return AssetCheckResult(
        passed=missing.is_empty() and mismatched.is_empty() and extra.is_empty(),
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "orders_expected": expected.height,
            "orders_quarantined": payloads.quarantine.height,
            "orders_waiting_for_contact": waiting.height,
            "deals_found": found.height,
            "missing": missing.height,
            "mismatched": mismatched.height,
            "extra": extra.height,
            "missing_examples": markdown_table(missing),
            "mismatched_examples": markdown_table(mismatched),
            "extra_examples": markdown_table(extra),
        },
    )


@asset_check(
    asset=hubspot_deals,
    partitions_def=monthly_partitions,
    description="Every deal of the partition is associated with its contact, and B2B deals "
    "with their company (read back through the associations API).",
)
def deals_are_associated(
    context: AssetCheckExecutionContext,
    hubspot: HubSpot,
    state: SyncStateStore,
    snapshots: Snapshots,
) -> AssetCheckResult:
    client = hubspot.client()
    payloads = load_deal_payloads(snapshots, context.partition_keys)
    store = state.open()
    try:
        deal_ids = store.hubspot_ids("deals", payloads.records["source_key"].to_list())
        contact_ids = store.hubspot_ids(
            "contacts", payloads.records["contact_key"].drop_nulls().to_list()
        )
        company_ids = store.hubspot_ids(
            "companies", payloads.records["company_key"].drop_nulls().to_list()
        )
    finally:
        store.close()
    linked_contacts = deal_associations(client, deal_ids.values(), "contacts")
    linked_companies = deal_associations(client, deal_ids.values(), "companies")
    problems = []
    for order_id, contact_key, company_key in payloads.records.select(
        "source_key", "contact_key", "company_key"
    ).iter_rows():
        deal_id = deal_ids.get(order_id)
        if deal_id is None:
            continue  # not synced: every_order_has_a_deal reports it
        if contact_ids.get(contact_key) not in linked_contacts.get(deal_id, []):
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
            "deals_checked": len(deal_ids),
            "unassociated": table.height,
            "examples": markdown_table(table),
        },
    )
