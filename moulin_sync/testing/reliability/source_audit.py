"""The App du Moulin's streams in a reference image, against the source database itself:
derived with the source's quality rules, not with the transforms under test."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from typing import TYPE_CHECKING

import polars as pl

from moulin_sync.hubspot.streams.deals import DEAL_PIPELINE
from moulin_sync.sources.app_du_moulin import quality
from moulin_sync.sources.app_du_moulin.reader import SourceReader

if TYPE_CHECKING:
    from moulin_sync.testing.reliability.oracle import HubSpotImage


def _month_window(months: tuple[str, str]) -> tuple[str, str]:
    """[first day, day after the last month) of a partition range, as local dates."""
    last = dt.date.fromisoformat(months[1])
    end = dt.date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    return months[0], end.isoformat()


def _audit_emails(image: HubSpotImage, live: pl.DataFrame) -> list[str]:
    """Each live customer's contact carries their email when it is theirs to carry."""
    owners = (
        live.filter(quality.email_problem().is_null())
        .sort("created_at", "id")
        .group_by(quality.normalised_email().alias("email"), maintain_order=True)
        .agg(pl.col("id").first())
    )
    wanted = {str(i): email for email, i in owners.iter_rows()}
    problems = []
    for key in sorted(map(str, live["id"]), key=int):
        found = image.records["contacts"].get(key)
        if not found:
            continue  # reported as missing by the caller
        email = json.loads(found[0])["properties"].get("email")
        if email != wanted.get(key):
            problems.append(
                f"reference: contact {key} has email {email!r}, not {wanted.get(key)!r}"
            )
    return problems[:10]


def audit_app_du_moulin(image: HubSpotImage, source_url: str, months: tuple[str, str]) -> list[str]:
    """What a clean run must hold, derived from the source with the quality rules alone.

    Contacts: every live customer; the email on the one that has a valid email first
    (the oldest account) among those carrying it, none on the others. Companies: every
    company with a name. Deals: every order of the months whose customer exists (live or
    erased), with a plausible amount and a known status — each with the source amount,
    its contact (none for an erased customer) and, for B2B orders, its company.
    """
    problems: list[str] = []
    reader = SourceReader(source_url)
    customers = reader.read_table("customers")
    live = customers.filter(~quality.is_erased())
    contact_keys = {str(i) for i in live["id"]}
    problems += _audit_emails(image, live)
    # An erased customer's orders are deals too, without the person (no contact link).
    erased_keys = {str(i) for i in customers.filter(quality.is_erased())["id"]}
    companies = reader.read_table("companies")
    company_keys = {
        str(i)
        for i, name in companies.select("id", "name").iter_rows()
        if name and name.strip() and len(name) <= 65_536
    }
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    first, end = _month_window(months)
    orders = reader.read_orders(
        dt.datetime.fromisoformat(first).replace(tzinfo=paris),
        dt.datetime.fromisoformat(end).replace(tzinfo=paris),
    )
    expected_deals = orders.filter(
        pl.col("customer_id").cast(pl.String).is_in(list(contact_keys | erased_keys))
        & pl.col("amount_eur").is_not_null()
        & (pl.col("amount_eur") >= 0)
        & (pl.col("amount_eur") <= quality.MAX_ORDER_AMOUNT_EUR)
        & pl.col("status").is_in(list(DEAL_PIPELINE.default_stage_for_status))
    )
    for object_type, keys in (
        ("contacts", contact_keys),
        ("companies", company_keys),
        ("deals", {str(i) for i in expected_deals["id"]}),
    ):
        held = set(image.records[object_type])
        for key in sorted(keys - held, key=int)[:10]:
            problems.append(f"reference: {object_type} {key} should be in HubSpot, is not")
        for key in sorted(held - keys, key=int)[:10]:
            problems.append(f"reference: {object_type} {key} is in HubSpot, should not be")
    for order_id, customer_id, company_id, amount in expected_deals.select(
        "id", "customer_id", "company_id", "amount_eur"
    ).iter_rows():
        found = image.records["deals"].get(str(order_id))
        if not found:
            continue
        deal = json.loads(found[0])
        if deal["properties"].get("amount") != f"{amount:.2f}":
            problems.append(
                f"reference: deal {order_id} amount {deal['properties'].get('amount')} "
                f"!= source {amount:.2f}"
            )
        contacts = [k for k, _ in deal["associations"].get("contacts", [])]
        wanted = [] if str(customer_id) in erased_keys else [str(customer_id)]
        if contacts != wanted:
            problems.append(f"reference: deal {order_id} linked to contacts {contacts}")
        if company_id is not None:
            linked = deal["associations"].get("companies", [])
            if [k for k, _ in linked] != [str(company_id)] or 5 not in linked[0][1]:
                problems.append(f"reference: deal {order_id} company links {linked}")
    if image.pipelines.get(f"deals: {DEAL_PIPELINE.default_label}") != 1:
        problems.append(f"reference: pipelines {image.pipelines}")
    if any(image.keyless.values()) or any(image.archived.values()):
        problems.append("reference: keyless or archived records in a first load")
    return problems
