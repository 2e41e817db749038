"""Checks on `hubspot/deals` that read HubSpot itself, never only our state store.

The three checks are one step: two of them look at the same deals (those closing in the
run's months), so HubSpot is searched once for both, and the reads by key and of
associations (which have a rate limit of their own) run while the search pages. Each
check covers its run's months, one result per run (not one per month): the UI shows it
Passed or Failed for what it checked, and its metadata names the months. Any of them can
be run alone.
"""

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import polars as pl
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetIn,
    MetadataValue,
    multi_asset_check,
)

from moulin_sync.defs.hubspot.factory import payloads_key, records_key
from moulin_sync.defs.hubspot.resources import HubSpot, SyncStateStore
from moulin_sync.defs.partitions import months_label, run_months, run_window
from moulin_sync.defs.resources import SyncSettings
from moulin_sync.hubspot.audit import (
    deal_associations,
    deals_closing_between,
    deals_with_contacts_closing_between,
    duplicates_among,
)
from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams.companies import COMPANIES
from moulin_sync.hubspot.streams.contacts import CONTACTS
from moulin_sync.hubspot.streams.deals import DEALS
from moulin_sync.hubspot.streams.payloads import Payloads
from moulin_sync.lib.metadata import table_sample

DEALS_KEY = records_key(DEALS)
PAYLOADS_KEY = payloads_key(DEALS)
NO_DUPLICATES = "no_duplicate_deals"
EVERY_ORDER = "every_order_has_a_deal"
ASSOCIATED = "deals_are_associated"
SEARCH_ROUTE = "POST /crm/v3/objects/deals/search"
T = TypeVar("T")

SPECS = [
    AssetCheckSpec(
        NO_DUPLICATES,
        asset=DEALS_KEY,
        blocking=True,
        description="Fails when HubSpot holds more than one deal for an order: two deals "
        "with the same moulin_order_id, or a deal without it that has the same contact, "
        "amount and close day as one of ours (a legacy import).",
    ),
    AssetCheckSpec(
        EVERY_ORDER,
        asset=DEALS_KEY,
        additional_deps=[PAYLOADS_KEY],
        description="Source vs HubSpot: every valid order of the run's months has its deal, "
        "with the right amount and stage; no deal closing in those months claims an order "
        "it lacks.",
    ),
    AssetCheckSpec(
        ASSOCIATED,
        asset=DEALS_KEY,
        additional_deps=[PAYLOADS_KEY],
        description="Every deal of the run's months is associated with its contact, and B2B "
        "deals with their company; a deal of an erased customer with no contact (read back "
        "through the associations API).",
    ),
]


@dataclass(frozen=True)
class Expected:
    """What HubSpot should hold for the run's orders, as the payloads and the state store
    say now (the deal step may have found some contacts again, merged)."""

    payloads: Payloads
    contact_ids: dict[str, str]  # source key -> HubSpot id, of the contacts HubSpot holds
    company_ids: dict[str, str]
    waiting: pl.DataFrame  # deals whose contact (or company) is not in HubSpot: by design
    synced: pl.DataFrame  # source_key, amount, dealstage of the others

    @classmethod
    def of(cls, payloads: Payloads, state: SyncStateStore) -> "Expected":
        records = payloads.records
        contacts, companies = (state.store.held(spec.name) for spec in (CONTACTS, COMPANIES))
        contact_ids = _ids(contacts, records["contact_key"])
        company_ids = _ids(companies, records["company_key"])
        # (An erased customer's deals have no contact: they wait for nothing. A B2B deal
        # whose company is in HubSpot goes without a contact that is not.)
        contact, company = pl.col("contact_key"), pl.col("company_key")
        company_held = company.is_not_null() & company.is_in(list(company_ids))
        waits = (contact.is_not_null() & ~contact.is_in(list(contact_ids)) & ~company_held) | (
            company.is_not_null() & ~company_held
        )
        synced = records.filter(~waits).select("source_key", "amount", "dealstage")
        return cls(payloads, contact_ids, company_ids, records.filter(waits), synced)


@dataclass(frozen=True)
class Readings:
    """What HubSpot holds, read once for every selected check (None: not needed)."""

    in_window: pl.DataFrame | None  # every live deal closing in the run's months
    contacts_of: dict[str, list[str]] | None  # their contacts
    found: pl.DataFrame | None  # ours, read by key: source_key, hs_amount, hs_dealstage
    linked_contacts: dict[str, list[str]] | None  # deal id -> contact ids, of ours
    linked_companies: dict[str, list[str]] | None


@multi_asset_check(
    specs=SPECS,
    ins={"deals": AssetIn(key=DEALS_KEY), "payloads": AssetIn(key=PAYLOADS_KEY)},
    pool="hubspot_api",
    can_subset=True,
    description="The deal checks, reading HubSpot once for all of them.",
)
def deal_checks(
    context: AssetCheckExecutionContext,
    settings: SyncSettings,
    hubspot: HubSpot,
    state: SyncStateStore,
    deals: pl.DataFrame,
    payloads: Payloads,
) -> Iterator[AssetCheckResult]:
    selected = {key.name for key in context.selected_asset_check_keys}
    months = run_months(context)
    client = hubspot.client()
    readings, expected, deal_ids = _read_hubspot(client, selected, months, payloads, state, deals)
    label = months_label(months)
    if NO_DUPLICATES in selected:
        searches = client.calls.get(SEARCH_ROUTE, 0)
        yield _no_duplicates(readings, settings.timezone, label, searches)
    if EVERY_ORDER in selected:
        yield _every_order(expected, readings, label)
    if ASSOCIATED in selected:
        yield _associated(expected, readings, deal_ids, label)


def _read_hubspot(
    client: HubSpotClient,
    selected: set[str],
    months: list[str],
    payloads: Payloads,
    state: SyncStateStore,
    deals: pl.DataFrame,
) -> tuple[Readings, Expected, dict[str, str]]:
    """The searches, paced at 5/s, are the step's critical path: they start first, and
    what is expected, the reads by key and of associations (another rate limit) are
    worked out beside them."""
    with ThreadPoolExecutor(3) as pool:
        window = pool.submit(_search_window, client, selected, months)
        expected = Expected.of(payloads, state)
        deal_ids = _ids(deals, payloads.records["source_key"])
        ours = list(deal_ids.values())
        found = _maybe(pool, EVERY_ORDER in selected, _deals_in_hubspot, client, expected)
        links = [
            _maybe(pool, ASSOCIATED in selected, deal_associations, client, ours, target)
            for target in ("contacts", "companies")
        ]
        in_window, contacts_of = window.result()
        contacts, companies = (_result(f) for f in links)
        readings = Readings(in_window, contacts_of, _result(found), contacts, companies)
    return readings, expected, deal_ids


def _search_window(
    client: HubSpotClient, selected: set[str], months: list[str]
) -> tuple[pl.DataFrame | None, dict[str, list[str]] | None]:
    """Every live deal closing in the run's months (and their contacts, for duplicates)."""
    if NO_DUPLICATES in selected:
        return deals_with_contacts_closing_between(client, *run_window(months))
    if EVERY_ORDER in selected:
        return deals_closing_between(client, *run_window(months)), None
    return None, None


def _maybe(
    pool: ThreadPoolExecutor, wanted: bool, read: Callable[..., T], *args: object
) -> Future[T] | None:
    return pool.submit(read, *args) if wanted else None


def _result(future: Future[T] | None) -> T | None:
    return None if future is None else future.result()


def _no_duplicates(
    readings: Readings, timezone: str, months: str, searches: int
) -> AssetCheckResult:
    assert readings.in_window is not None and readings.contacts_of is not None
    duplicates = duplicates_among(readings.in_window, readings.contacts_of, timezone)
    by_key = duplicates.by_key.with_columns(pl.col("deal_ids").list.join(", "))
    return AssetCheckResult(
        check_name=NO_DUPLICATES,
        asset_key=DEALS_KEY,
        passed=duplicates.count == 0,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "months": months,
            "deals_checked": readings.in_window.height,
            "duplicate_deals": duplicates.count,
            "orders_with_several_deals": duplicates.by_key.height,
            "legacy_look_alikes": duplicates.look_alikes.height,
            "by_key": table_sample(by_key, rows=20),
            "look_alikes": table_sample(duplicates.look_alikes, rows=20),
            "search_calls": searches,
            "fix": MetadataValue.text("run the dedupe_deals job (dry run first)"),
        },
    )


def _every_order(expected: Expected, readings: Readings, months: str) -> AssetCheckResult:
    assert readings.found is not None and readings.in_window is not None
    synced, payloads = expected.synced, expected.payloads
    joined = synced.join(readings.found, on="source_key", how="left")
    missing = joined.filter(pl.col("hs_dealstage").is_null()).select("source_key")
    amount_differs = _cents("hs_amount") != _cents("amount")
    mismatched = joined.filter(
        pl.col("hs_dealstage").is_not_null()
        & (amount_differs | (pl.col("hs_dealstage") != pl.col("dealstage")))
    )
    ours = [
        *synced["source_key"],
        *expected.waiting["source_key"],
        *payloads.quarantine["source_key"],
    ]
    order_id = pl.col("moulin_order_id")
    extra = readings.in_window.filter(order_id.is_not_null() & ~order_id.is_in(ours))
    return AssetCheckResult(
        check_name=EVERY_ORDER,
        asset_key=DEALS_KEY,
        passed=missing.is_empty() and mismatched.is_empty() and extra.is_empty(),
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "months": months,
            "orders_expected": synced.height,
            "orders_quarantined": payloads.quarantine.height,
            "orders_waiting_for_contact": expected.waiting.height,
            "deals_found": readings.found.height,
            "missing": missing.height,
            "mismatched": mismatched.height,
            "extra": extra.height,
            "missing_examples": table_sample(missing),
            "mismatched_examples": table_sample(mismatched),
            "extra_examples": table_sample(extra),
        },
    )


def _associated(
    expected: Expected, readings: Readings, deal_ids: dict[str, str], months: str
) -> AssetCheckResult:
    contacts, companies = readings.linked_contacts or {}, readings.linked_companies or {}
    problems = []
    for order_id, contact_key, company_key in expected.payloads.records.select(
        "source_key", "contact_key", "company_key"
    ).iter_rows():
        deal_id = deal_ids.get(order_id)
        if deal_id is None:
            continue  # not synced: every_order_has_a_deal reports it
        linked = contacts.get(deal_id, [])
        if contact_key is None and linked:
            problems.append((order_id, deal_id, "associated with a contact, its customer erased"))
        elif (
            contact_key in expected.contact_ids and expected.contact_ids[contact_key] not in linked
        ):
            problems.append((order_id, deal_id, "not associated with its contact"))
        company_id = expected.company_ids.get(company_key) if company_key else None
        if company_key and company_id not in companies.get(deal_id, []):
            problems.append((order_id, deal_id, "not associated with its company"))
    table = pl.DataFrame(
        problems,
        schema={"order_id": pl.String, "deal_id": pl.String, "problem": pl.String},
        orient="row",
    )
    return AssetCheckResult(
        check_name=ASSOCIATED,
        asset_key=DEALS_KEY,
        passed=table.is_empty(),
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "months": months,
            "deals_checked": len(deal_ids),
            "unassociated": table.height,
            "examples": table_sample(table),
        },
    )


def _ids(records: pl.DataFrame, keys: Iterable[str | None]) -> dict[str, str]:
    """{source key: HubSpot id} of the `keys` HubSpot holds, from a stream's records."""
    wanted = {k for k in keys if k is not None}
    held = records.drop_nulls("hubspot_id").filter(pl.col("source_key").is_in(list(wanted)))
    return dict(held.select("source_key", "hubspot_id").iter_rows())


def _cents(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Float64, strict=False).round(2)


def _deals_in_hubspot(client: HubSpotClient, expected: Expected) -> pl.DataFrame:
    """(source_key, hs_amount, hs_dealstage) of our deals HubSpot holds, read by key."""
    keys = expected.synced["source_key"].to_list()
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
