"""Freshdesk in a reliability world: the emulator filled with support tickets of the
world's customers, and the audit of the tickets stream against what Freshdesk holds.

`REQUESTERS` customers (their App du Moulin email) and a few strangers (no customer, no
HubSpot contact: their tickets wait) ask `TICKETS` tickets over two months, so the first
pull pages (100 a page). Ids and dates are fixed: every reset gives the same account, so
the reference holds across scenarios. The emulator runs without limits (a scenario sets
a plan to meet them).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from moulin_sync.defs.freshdesk.resources import Freshdesk
from moulin_sync.hubspot.streams.tickets import NO_SUBJECT, TICKET_PIPELINE
from moulin_sync.sources.app_du_moulin import quality
from moulin_sync.sources.app_du_moulin.reader import SourceReader
from moulin_sync.testing.freshdesk_emulator import (
    DOMAIN,
    FreshdeskHandle,
    iso,
    run_freshdesk_emulator,
)
from moulin_sync.testing.reliability.oracle import HubSpotImage, Verdict

TICKETS_STREAM = "tickets"
LIST = "/api/v2/tickets"
SEED = 11
REQUESTERS, STRANGERS, TICKETS = 60, 4, 260
FIRST_CONTACT_ID, FIRST_TICKET_ID = 1_000, 5_000
# The fill's "now": nothing in the account is newer (the emulator's clock runs on).
FILLED_AT = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
SUBJECTS = ("Commande en retard", "Farine manquante", "Facture", "Point relais fermé",
            "Changement d'adresse", "Sac abîmé", "Question sur un produit")  # fmt: skip
# The pipeline's stage label of each Freshdesk status, as the oracle's image names stages.
STAGE_OF_STATUS = {
    int(status): f"{TICKET_PIPELINE.default_label} / {stage.label}"
    for stage in TICKET_PIPELINE.stages
    for status in stage.statuses
}


class FreshdeskService:
    """The Freshdesk emulator of a world (`SourceService`)."""

    source = "freshdesk"
    env_prefix = "FRESHDESK_"

    def __init__(self, handle: FreshdeskHandle, account: dict[str, list[dict[str, Any]]]) -> None:
        self.handle = handle
        self.account = account

    def env(self) -> dict[str, str]:
        return {
            "FRESHDESK_DOMAIN": DOMAIN,
            "FRESHDESK_API_KEY": self.handle.api_key,
            "FRESHDESK_BASE_URL": self.handle.base_url,
            "FRESHDESK_PLAN": "unlimited",
        }

    def resources(self) -> dict[str, Any]:
        return {
            "freshdesk": Freshdesk(
                domain=DOMAIN,
                api_key=self.handle.api_key,
                base_url=self.handle.base_url,
                plan="unlimited",
            )
        }

    def reset(self) -> None:
        self.handle.reset(plan="unlimited")
        self.handle.bulk(**self.account)
        self.handle.admin.reset_stats()

    def stored(self) -> list[dict[str, Any]]:
        """Every ticket the account holds (trash and spam included), with its requester's
        current email under `requester_email`."""
        state = self.handle.admin.state()
        emails = {c["id"]: c.get("email") for c in state["contacts"]}
        return [{**t, "requester_email": emails.get(t.get("requester_id"))}
                for t in state["tickets"]]  # fmt: skip

    def listing_requests(self, status: int | None = None) -> int:
        return self.handle.list_requests(status)

    def audit(self, image: HubSpotImage, *, source_url: str) -> Verdict:
        return audit_tickets(image, self.stored(), SourceReader(source_url).read_table("customers"))


def unambiguous_emails(customers: pl.DataFrame) -> list[str]:
    """The emails of live customers that no other account (erased ones included) holds:
    a requester with one of them is that customer, whichever way the stream matches."""
    valid = customers.filter(quality.email_problem().is_null())
    counted = valid.group_by(quality.normalised_email().alias("email")).agg(
        pl.len().alias("holders"), quality.is_erased().any().alias("erased")
    )
    return sorted(counted.filter((pl.col("holders") == 1) & ~pl.col("erased"))["email"])


def customer_emails(customers: pl.DataFrame) -> dict[str, str]:
    """Email → the live customer holding it (the oldest account), as the stream matches a
    requester."""
    usable = customers.filter(~quality.is_erased() & quality.email_problem().is_null())
    owners = (
        usable.sort("created_at", "id")
        .group_by(quality.normalised_email().alias("email"), maintain_order=True)
        .agg(pl.col("id").first())
    )
    return {email: str(i) for email, i in owners.iter_rows()}


def world_account(source_url: str) -> dict[str, list[dict[str, Any]]]:
    """The account's requesters and tickets, for the emulator's bulk load."""
    rng = random.Random(f"{SEED}:reliability-freshdesk")
    emails = unambiguous_emails(SourceReader(source_url).read_table("customers"))
    chosen = rng.sample(emails, min(REQUESTERS, len(emails)))
    chosen += [f"inconnu{i}@ailleurs.example" for i in range(STRANGERS)]
    contacts = [{"id": FIRST_CONTACT_ID + i, "name": f"Demandeur {i}", "email": email}
                for i, email in enumerate(chosen)]  # fmt: skip
    start = FILLED_AT - dt.timedelta(days=60)
    tickets = []
    for i in range(TICKETS):
        created = start + dt.timedelta(minutes=300 * i)
        tickets.append({
            "id": FIRST_TICKET_ID + i,
            "requester_id": rng.choice(contacts)["id"],
            "subject": f"{rng.choice(SUBJECTS)} n°{i}",
            "description": f"<div>Bonjour, ticket {i}.</div>",
            "status": rng.choice((2, 2, 3, 4, 5)),
            "priority": rng.randint(1, 4),
            "source": rng.choice((1, 2, 3, 7)),
            "created_at": iso(created),
            "updated_at": iso(created + dt.timedelta(minutes=rng.randint(1, 240))),
        })  # fmt: skip
    return {"contacts": contacts, "tickets": tickets}


@contextmanager
def freshdesk_service(root: Path, source_url: str) -> Iterator[FreshdeskService]:
    """The world's Freshdesk emulator (its own process), filled."""
    root.mkdir(parents=True, exist_ok=True)
    with run_freshdesk_emulator(api_key="reliability-freshdesk-key") as handle:
        service = FreshdeskService(handle, world_account(source_url))
        service.reset()
        yield service


# The audit: the tickets stream in HubSpot against Freshdesk itself ---------------------------


def expected_tickets(
    stored: list[dict[str, Any]], customers: pl.DataFrame, contacts: set[str]
) -> dict[str, dict[str, Any]]:
    """Per Freshdesk ticket id, what its one HubSpot ticket must hold: every ticket neither
    deleted nor spam whose requester's email is a customer's with a contact in HubSpot."""
    owner_of = customer_emails(customers)
    wanted = {}
    for ticket in stored:
        if ticket.get("deleted") or ticket.get("spam"):
            continue
        email = str(ticket.get("requester_email") or "").strip().lower()
        customer = owner_of.get(email)
        if customer is None or customer not in contacts:
            continue
        wanted[str(ticket["id"])] = {
            "customer": customer,
            "subject": (ticket.get("subject") or "").strip() or NO_SUBJECT.format(ticket["id"]),
            "stage": STAGE_OF_STATUS.get(int(ticket["status"])),
        }
    return wanted


def _problem(want: dict[str, Any], record: dict[str, Any]) -> str | None:
    held = record["properties"]
    if held.get("subject") != want["subject"]:
        return f"subject {held.get('subject')!r}, Freshdesk's is {want['subject']!r}"
    if want["stage"] is not None and held.get("hs_pipeline_stage") != want["stage"]:
        return f"stage {held.get('hs_pipeline_stage')!r}, not {want['stage']!r}"
    on = [key for key, _ in record.get("associations", {}).get("contacts", [])]
    if want["customer"] not in on:
        return f"on contacts {on}, not customer {want['customer']}'s"
    return None


def audit_tickets(
    image: HubSpotImage, stored: list[dict[str, Any]], customers: pl.DataFrame
) -> Verdict:
    """Each Freshdesk ticket of a customer is exactly one live HubSpot ticket with its
    latest subject and stage, on the customer's contact (lost: none; duplicates: two or
    more; mismatched: other values; extra: a live HubSpot ticket no such Freshdesk ticket
    calls for — a deleted or spam one above all)."""
    verdict = Verdict()
    wanted = expected_tickets(stored, customers, set(image.records.get("contacts", {})))
    held = image.records.get(TICKETS_STREAM, {})
    for key in sorted(set(wanted) | set(held), key=lambda k: (len(k), k)):
        want, found = wanted.get(key), held.get(key, [])
        if len(found) > 1:
            verdict.duplicates += len(found) - 1
            verdict.details.append(f"Freshdesk ticket {key}: {len(found)} HubSpot tickets")
        if want and not found:
            verdict.lost += 1
            verdict.details.append(f"Freshdesk ticket {key}: no HubSpot ticket")
        elif found and not want:
            verdict.extra += 1
            verdict.details.append(f"Freshdesk ticket {key}: in HubSpot, not a live ticket "
                                   "of a customer in Freshdesk")  # fmt: skip
        elif want and (problem := _problem(want, json.loads(found[0]))):
            verdict.mismatched += 1
            verdict.details.append(f"Freshdesk ticket {key}: {problem}")
    return verdict
