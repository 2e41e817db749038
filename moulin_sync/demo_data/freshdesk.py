"""`fill_freshdesk()`: Le Moulin's Freshdesk account for the demo, consistent with the App
du Moulin database at `source_url`, loaded into the Freshdesk emulator at `base_url`.

What it holds (see `FreshdeskSummary`): requesters who are customers (same email),
B2B requesters whose Freshdesk company has their App du Moulin company's name, strangers
and a company the App du Moulin lacks; `tickets` tickets over two years (a fifth in the
last 30 days) with French subjects and spread priorities, sources (web chat's 15
included), types, tags and statuses (custom ones, 6 and 7, too); and, written through
the public API with the emulator's clock set back: a ticket whose email made its
requester, a ticket updated several times, a ticket whose requester's email changed
afterwards, a deleted one, a spam one, one with a custom status, one with a 70,000-
character description. `bulk_window_tickets` more tickets, closed by an automation,
were all updated within two hours after `window_since`: more than 300 pages of 100
when it is above 30,000.

Deterministic: the same database, seed and `now` give the same account, ids included.
Everything but the public-API tickets goes through the admin bulk load, 2,000 at a time.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moulin_sync.demo_data.freshdesk_account import Account, FreshdeskDemoError, Ids
from moulin_sync.demo_data.freshdesk_script import play
from moulin_sync.demo_data.freshdesk_world import (
    DAY,
    Desk,
    build_desk,
    usable_customers,
    window_rows,
)
from moulin_sync.emulators.freshdesk.timefmt import iso
from moulin_sync.sources.app_du_moulin.reader import SourceReader

__all__ = ["FreshdeskDemoError", "FreshdeskSummary", "fill_freshdesk"]
WINDOW_START_DAYS = 12  # the automation's batch ran this many days before `now`


@dataclass(frozen=True)
class FreshdeskSummary:
    base_url: str
    seed: int
    now: datetime
    tickets: int  # in the account, trash and spam included
    companies: int
    contacts: int
    contacts_matching_customers: int
    contacts_matching_nobody: int
    tickets_via_api: int
    special: dict[str, int]
    """Ticket ids: created_with_new_requester, updated_several_times, requester_email_changed,
    deleted, spam, custom_status, long_description (through the API); deleted_bulk, spam_bulk."""
    email_change: dict[str, Any]
    """The requester whose email changed after their ticket: contact_id, old_email, new_email."""
    window_since: str | None
    window_tickets: int
    """Tickets listed by `updated_since=window_since` (trash and spam aside)."""
    elapsed_seconds: float


def fill_freshdesk(
    base_url: str,
    api_key: str,
    source_url: str,
    *,
    seed: int = 42,
    now: datetime | None = None,
    tickets: int = 2_000,
    bulk_window_tickets: int = 0,
    replace: bool = False,
) -> FreshdeskSummary:
    """Fill the Freshdesk emulator at `base_url` (credential `api_key`) with demo data
    matching the App du Moulin at `source_url`. Refuses (FreshdeskDemoError) an account
    that already holds tickets, contacts or companies, unless `replace` (it is reset).
    `now` (default: the current time) is the account's time afterwards; its clock runs."""
    started = time.perf_counter()
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    epoch = int(now.timestamp())
    usable, company_names = read_source(source_url)
    rng = random.Random(f"freshdesk:{seed}")
    desk = build_desk(rng, usable, tickets, epoch, company_names)
    with Account(base_url, api_key) as account:
        account.prepare(replace)
        ids = account.load(desk)
        scripted = play(account, rng, desk, ids, epoch)
        since = epoch - WINDOW_START_DAYS * DAY
        emails = [row["email"] for row in desk.contacts]
        window = window_rows(rng, emails, bulk_window_tickets, since, epoch)
        account.load_tickets(window, ids)
        account.set_clock(epoch, frozen=False)
        counts = account.admin("GET", "summary")
    bulk_listed = [t for t in desk.tickets if not (t.get("deleted") or t.get("spam"))]
    return FreshdeskSummary(
        base_url=base_url, seed=seed, now=now,
        tickets=counts["tickets"], companies=counts["companies"], contacts=counts["contacts"],
        contacts_matching_customers=desk.matching + scripted.matching_change,
        contacts_matching_nobody=counts["contacts"] - desk.matching - scripted.matching_change,
        tickets_via_api=len(scripted.tickets),
        special={**scripted.special, **bulk_specials(desk, ids)},
        email_change=scripted.email_change,
        window_since=iso(since) if bulk_window_tickets else None,
        window_tickets=(sum(1 for t in bulk_listed if t["updated_at"] >= since)
                        + scripted.listed + len(window)),
        elapsed_seconds=time.perf_counter() - started,
    )  # fmt: skip


def read_source(source_url: str) -> tuple[list[Any], set[str]]:
    """The App du Moulin's usable customers (with their company's name) and company names."""
    reader = SourceReader(source_url)
    reader.check()
    customers = reader.read_table("customers", columns=[
        "id", "email", "first_name", "last_name", "phone", "deleted_at", "anonymized_at",
    ]).to_dicts()  # fmt: skip
    companies = {
        r["id"]: r["name"]
        for r in reader.read_table("companies", columns=["id", "name"]).to_dicts()
    }
    links: dict[int, int] = {}
    for row in reader.read_table(
        "company_contacts", columns=["customer_id", "company_id"]
    ).to_dicts():
        links.setdefault(row["customer_id"], row["company_id"])
    return usable_customers(customers, companies, links), set(companies.values())


def bulk_specials(desk: Desk, ids: Ids) -> dict[str, int]:
    """The ids of the ticket loaded in the trash and of the one loaded as spam."""
    found = {}
    for row, rid in zip(desk.tickets, ids.tickets, strict=True):
        if row.get("deleted"):
            found["deleted_bulk"] = rid
        if row.get("spam"):
            found["spam_bulk"] = rid
    return found
