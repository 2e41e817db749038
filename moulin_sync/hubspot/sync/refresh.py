"""Bring one customer up to date in HubSpot: their companies, their contact, their deals.

The same payloads, plan and write as a nightly run, over the customer's share of the
sources (each source's one-customer tables) and the state store's rows of those records only — so the
next nightly run finds them unchanged. Deals are keyed by HubSpot's unique
`moulin_order_id`: a refresh racing the nightly run cannot make a second deal for an
order (HubSpot refuses the second create; the writer adopts the first). Duplicates of the
customer's deals are then read from HubSpot itself, and merged when asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from moulin_sync.hubspot.audit import DEAL_AUDIT_PROPERTIES, Duplicates, find_duplicates
from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.merges import merge_into_owned, merge_plan
from moulin_sync.hubspot.streams import STREAMS
from moulin_sync.hubspot.streams.payloads import Payloads
from moulin_sync.hubspot.streams.spec import PipelineStages, StreamSpec, TransformContext
from moulin_sync.hubspot.sync.customers import StreamOutcome, customers_payloads, sync_customers
from moulin_sync.hubspot.sync.portal import PortalSchema
from moulin_sync.hubspot.sync.state import SyncState
from moulin_sync.settings import GdprErasure
from moulin_sync.sources.app_du_moulin.reader import SourceReader
from moulin_sync.sources.spec import Frames

CUSTOMERS = ("app_du_moulin", "customers")


class CustomerNotFound(LookupError):
    """The contact, email or customer id names no customer of the App du Moulin."""


@dataclass(frozen=True)
class RefreshTarget:
    """Who to refresh: a HubSpot contact id, an email, or an App du Moulin customer id."""

    contact_id: str | None = None
    email: str | None = None
    customer_id: str | None = None

    def __post_init__(self) -> None:
        given = [v for v in (self.contact_id, self.email, self.customer_id) if v]
        if len(given) != 1:
            raise ValueError(
                "name exactly one of: a HubSpot contact id, an email, a moulin_customer_id"
            )

    def describe(self) -> str:
        if self.contact_id:
            return f"HubSpot contact {self.contact_id}"
        if self.email:
            return f"email {self.email}"
        return f"customer {self.customer_id}"


def resolve_customer(target: RefreshTarget, state: SyncState, reader: SourceReader) -> int:
    """The App du Moulin customer id `target` names, or `CustomerNotFound`."""
    found: int | None = None
    if target.customer_id:
        found = int(target.customer_id) if target.customer_id.isdigit() else None
    elif target.email:
        found = reader.customer_of(email=target.email)
    elif target.contact_id:
        key = state.keys_of("contacts", [target.contact_id]).get(target.contact_id)
        found = int(key) if key and key.isdigit() else None
    if found is None:
        raise CustomerNotFound(
            f"{target.describe()} is not a customer moulin-sync knows: a HubSpot contact "
            "is known once a sync has written it; an email or customer id must exist in "
            "the App du Moulin."
        )
    return found


@dataclass
class RefreshOutcome:
    customer_id: str
    contact_id: str | None
    streams: dict[str, StreamOutcome]
    duplicates_found: int = 0
    duplicates_merged: int = 0

    def to_json(self) -> dict[str, Any]:
        """What the card and the run's metadata show."""
        contacts, deals = self.streams["contacts"], self.streams["deals"]
        companies = self.streams["companies"]
        company = companies.verb() if companies.records else "none"
        return {
            "customerId": self.customer_id,
            "contactId": self.contact_id,
            "contact": contacts.verb(),
            "company": company,
            "dealsCreated": deals.created,
            "dealsUpdated": deals.updated,
            "dealsUnchanged": deals.unchanged,
            "duplicatesFound": self.duplicates_found,
            "duplicatesMerged": self.duplicates_merged,
            "rejected": [r for s in self.streams.values() for r in s.rejected],
            "waiting": [w for s in self.streams.values() for w in s.waiting],
        }


def customer_payloads(
    spec: StreamSpec, frames: Frames, customer_id: int, context: TransformContext
) -> Payloads:
    """The customer's records of `spec` from their share of the sources (`frames`)."""
    return customers_payloads(spec, frames, [customer_id], context)


def customer_exists(frames: Frames, customer_id: int) -> bool:
    customers = frames.frame(CUSTOMERS)
    return not customers.filter(pl.col("id") == customer_id).is_empty()


def refresh_customer(
    client: HubSpotClient,
    state: SyncState,
    frames: Frames,
    customer_id: int,
    *,
    timezone: str,
    portal: PortalSchema,
    pipelines: Mapping[str, PipelineStages],
    streams: Sequence[StreamSpec] = STREAMS,
    erasure: GdprErasure = "delete",
    merge_duplicates: bool = False,
    read_at: dt.datetime | None = None,
) -> RefreshOutcome:
    """The customer's records of every stream of `streams` written as a nightly run would,
    from their share of the sources (`frames`, by full asset key)."""
    if not customer_exists(frames, customer_id):
        raise CustomerNotFound(f"customer {customer_id} is not in the App du Moulin")
    outcomes = sync_customers(
        client, state, frames, [customer_id], timezone=timezone, portal=portal,
        pipelines=pipelines, streams=streams, erasure=erasure, read_at=read_at,
    ).streams  # fmt: skip
    contact_id = state.hubspot_ids("contacts", [str(customer_id)]).get(str(customer_id))
    outcome = RefreshOutcome(str(customer_id), contact_id, outcomes)
    if contact_id is not None:
        duplicates = contact_duplicates(client, state, contact_id, timezone)
        outcome.duplicates_found = duplicates.count
        if merge_duplicates and duplicates.count:
            outcome.duplicates_merged = merge_contact_duplicates(client, state, duplicates)
    return outcome


def contact_duplicates(
    client: HubSpotClient, state: SyncState, contact_id: str, timezone: str
) -> Duplicates:
    """Duplicates among the deals HubSpot associates with the contact (2 reads)."""
    linked = client.associations.read("contacts", "deals", [contact_id]).get(contact_id, [])
    deal_ids = [str(t["toObjectId"]) for t in linked]
    rows = []
    for start in range(0, len(deal_ids), 100):
        batch = client.objects.batch_read(
            "deals", deal_ids[start : start + 100], None, DEAL_AUDIT_PROPERTIES
        )
        for deal in batch.results:
            props = deal.properties
            rows.append((str(deal.id), *(props.get(n) or None for n in DEAL_AUDIT_PROPERTIES)))
    deals = pl.DataFrame(
        rows,
        schema={"deal_id": pl.String, **{n: pl.String for n in DEAL_AUDIT_PROPERTIES}},
        orient="row",
    )
    owned = deals.filter(pl.col("moulin_order_id").is_not_null()).select(
        pl.col("moulin_order_id").alias("order_id"),
        "deal_id",
        pl.lit(contact_id).alias("contact_id"),
        "amount",
        "closedate",
    )
    contacts_of = {deal: [contact_id] for deal in deals["deal_id"]}
    return find_duplicates(deals, contacts_of, owned, timezone)


def merge_contact_duplicates(
    client: HubSpotClient, state: SyncState, duplicates: Duplicates
) -> int:
    """Merge each duplicate into the deal the state store owns for its order."""
    owned = state.hubspot_ids("deals", duplicates.by_key["moulin_order_id"].to_list())
    plan = merge_plan(duplicates.by_key, duplicates.look_alikes, owned)
    return merge_into_owned(client, state, plan, owned)
