"""Le Moulin's Freshdesk account drawn from the App du Moulin's customers: who writes to
support (customers by their email, B2B contacts with their company, strangers), and the
tickets they wrote over two years. Pure: rows for the emulator's bulk load, no I/O.

Rows name their requester by email (`requester`), their company by name (`company`) and
their responder by agent number (`responder`); `freshdesk` turns those into the ids the
emulator gives.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any

from moulin_sync.demo_data.freshdesk_vocab import (
    AGENTS,
    CLOSINGS,
    FOLLOW_UPS,
    FOREIGN_COMPANY,
    OPENINGS,
    SPAM_BODY,
    SPAM_SUBJECT,
    TOPICS,
    UNKNOWN_DOMAINS,
    WINDOW_TAG,
)
from moulin_sync.demo_data.vocab import FIRST_NAMES_FEMALE, FIRST_NAMES_MALE, LAST_NAMES

DAY = 86_400
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
HISTORY_DAYS = 730
RECENT_SHARE = 0.2  # tickets created in the last 30 days (the API's default window)
B2B_SHARE = 0.3  # requesters chosen among the customers who work for a company
UNKNOWN_SHARE = 0.1  # requesters matching no customer
PRIORITIES = ((1, 45), (2, 35), (3, 15), (4, 5))
SOURCES = ((1, 40), (2, 25), (3, 12), (7, 12), (9, 5), (10, 4), (15, 2))  # 15: web chat
RECENT_STATUSES = ((2, 35), (3, 20), (6, 15), (7, 5), (4, 15), (5, 10))
OLD_STATUSES = ((4, 30), (5, 65), (6, 3), (7, 2))


@dataclass(frozen=True)
class Customer:
    """An App du Moulin customer with a usable email, and their company's name if B2B."""

    id: int
    email: str
    name: str
    phone: str | None
    company: str | None


@dataclass
class Desk:
    companies: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    agents: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    matching: int = 0  # contacts whose email is a customer's
    spare: list[Customer] = field(default_factory=list)  # customers not yet contacts


def weighted(rng: random.Random, table: tuple[tuple[int, int], ...]) -> int:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", ".", plain.lower()).strip(".")


def usable_customers(
    customers: list[dict[str, Any]], companies: dict[int, str], links: dict[int, int]
) -> list[Customer]:
    """Customers Freshdesk could know: a valid email (the first holder of a shared one),
    not deleted nor anonymized; by id."""
    seen: set[str] = set()
    found = []
    for row in sorted(customers, key=lambda r: r["id"]):
        email = (row["email"] or "").strip().lower()
        if not EMAIL.match(email) or email in seen or row["deleted_at"] or row["anonymized_at"]:
            continue
        seen.add(email)
        name = " ".join(p for p in (row["first_name"], row["last_name"]) if p) or email
        company = companies.get(links[row["id"]]) if row["id"] in links else None
        found.append(Customer(row["id"], email, name.strip(), row["phone"], company))
    return found


def requesters(rng: random.Random, usable: list[Customer], count: int) -> list[Customer]:
    """`count` customers, B2B ones first in their share, in a stable order."""
    b2b = [c for c in usable if c.company]
    wanted_b2b = min(len(b2b), round(count * B2B_SHARE))
    chosen = rng.sample(b2b, wanted_b2b)
    rest = [c for c in usable if not c.company]
    chosen += rng.sample(rest, min(len(rest), count - wanted_b2b))
    return sorted(chosen, key=lambda c: c.id)


def strangers(rng: random.Random, count: int, taken: set[str]) -> list[Customer]:
    """Requesters matching no customer: made-up French names at test domains."""
    found: list[Customer] = []
    while len(found) < count:
        first = rng.choice(FIRST_NAMES_FEMALE + FIRST_NAMES_MALE)
        last = rng.choice(LAST_NAMES)
        email = f"{ascii_slug(first)}.{ascii_slug(last)}{rng.randrange(100)}@{rng.choice(UNKNOWN_DOMAINS)}"
        if email not in taken:
            taken.add(email)
            found.append(Customer(-len(found) - 1, email, f"{first} {last}", None, None))
    return found


def message(rng: random.Random, topic: int, order: str, name: str) -> tuple[str, str]:
    """A ticket's subject and HTML description."""
    subject, _, _, sentence = TOPICS[topic]
    days = rng.randint(2, 15)
    body = sentence.format(order=order, days=days)
    lines = [rng.choice(OPENINGS), "<br>", body, rng.choice(FOLLOW_UPS), "<br>",
             f"{rng.choice(CLOSINGS)}<br>{name}"]  # fmt: skip
    return subject.format(order=order), "".join(f"<div>{line}</div>" for line in lines)


def ticket_row(
    rng: random.Random, who: Customer, created: int, updated: int, now: int
) -> dict[str, Any]:
    """A ticket of `who`, with its topic, status for its age, priority, source, tags."""
    topic = rng.randrange(len(TOPICS))
    order = f"CMD-{rng.randrange(10**6):06d}"
    subject, description = message(rng, topic, order, who.name)
    _, kind, tags, _ = TOPICS[topic]
    status = weighted(rng, RECENT_STATUSES if updated >= now - 7 * DAY else OLD_STATUSES)
    return {
        "requester": who.email, "subject": subject, "description": description,
        "status": status, "priority": weighted(rng, PRIORITIES),
        "source": weighted(rng, SOURCES), "type": kind,
        "tags": sorted(rng.sample(tags, rng.randint(0, len(tags)))),
        "responder": None if status == 2 and rng.random() < 0.5 else rng.randrange(len(AGENTS)),
        "custom_fields": {"cf_numero_de_commande": order if "{order}" in TOPICS[topic][0] else None},
        "cc_emails": [f"compta@{who.email.split('@')[1]}"] if rng.random() < 0.04 else [],
        "created_at": created, "updated_at": updated,
    }  # fmt: skip


def regular_times(rng: random.Random, now: int) -> tuple[int, int]:
    """(created_at, updated_at): a fifth in the last 30 days, the rest over two years."""
    if rng.random() < RECENT_SHARE:
        created = now - rng.randint(3600, 29 * DAY)
    else:
        created = now - rng.randint(31 * DAY, HISTORY_DAYS * DAY)
    gap = rng.choice((rng.randint(60, 3600), rng.randint(3600, DAY), rng.randint(DAY, 20 * DAY)))
    return created, min(created + gap, now - 60)


def build_desk(
    rng: random.Random, usable: list[Customer], tickets: int, now: int, company_names: set[str]
) -> Desk:
    """The account: requesters (customers, B2B contacts, strangers), their companies, the
    agents, `tickets` tickets over two years, one in the trash and one spam."""
    known = requesters(rng, usable, min(len(usable), max(20, tickets // 3)))
    unknown = strangers(rng, max(2, round(len(known) * UNKNOWN_SHARE)), {c.email for c in usable})
    foreign = (
        FOREIGN_COMPANY if FOREIGN_COMPANY not in company_names else FOREIGN_COMPANY + " (Annecy)"
    )
    unknown[0] = replace(unknown[0], company=foreign)
    everyone = known + unknown
    chosen = {c.id for c in known}
    desk = Desk(matching=len(known), spare=[c for c in usable if c.id not in chosen])
    for _ in range(tickets):
        who = rng.choice(everyone)
        desk.tickets.append(ticket_row(rng, who, *regular_times(rng, now), now))
    desk.tickets += special_rows(rng, known, unknown, now)
    first: dict[str, int] = {}
    for row in desk.tickets:
        first[row["requester"]] = min(first.get(row["requester"], now), row["created_at"])
    desk.contacts = [contact_row(rng, c, first.get(c.email, now - DAY)) for c in everyone]
    desk.companies = company_rows(desk.contacts)
    desk.agents = [
        {"name": name, "email": email, "job_title": title,
         "created_at": now - (HISTORY_DAYS + 60) * DAY, "updated_at": now - HISTORY_DAYS * DAY}
        for name, email, title in AGENTS
    ]  # fmt: skip
    return desk


def special_rows(
    rng: random.Random, known: list[Customer], unknown: list[Customer], now: int
) -> list[dict[str, Any]]:
    """A ticket in the trash and one marked as spam, loaded as they are."""
    trashed = ticket_row(rng, rng.choice(known), now - 12 * DAY, now - 11 * DAY, now)
    spam = ticket_row(rng, unknown[-1], now - 6 * DAY, now - 6 * DAY, now)
    spam |= {"subject": SPAM_SUBJECT, "description": f"<div>{SPAM_BODY}</div>", "type": None,
             "tags": [], "responder": None, "status": 2, "custom_fields": {}}  # fmt: skip
    return [trashed | {"deleted": True}, spam | {"spam": True}]


def contact_row(rng: random.Random, who: Customer, first_ticket: int) -> dict[str, Any]:
    created = first_ticket - rng.randint(3600, 30 * DAY)
    return {
        "name": who.name, "email": who.email, "phone": who.phone, "company": who.company,
        "created_at": created, "updated_at": created + rng.randint(0, 3600),
    }  # fmt: skip


def company_rows(contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The companies of the B2B contacts, by name, created before their first contact."""
    created: dict[str, int] = {}
    for row in contacts:
        if row["company"]:
            created[row["company"]] = min(created.get(row["company"], row["created_at"]),
                                          row["created_at"])  # fmt: skip
    return [
        {"name": name, "created_at": created[name] - DAY, "updated_at": created[name] - DAY}
        for name in sorted(created)
    ]


def window_rows(
    rng: random.Random, everyone: list[str], count: int, since: int, now: int
) -> list[dict[str, Any]]:
    """Tickets an automation closed in one batch: created over two years (before the
    30-day window), all updated within two hours after `since`."""
    rows = []
    for _ in range(count):
        who = Customer(0, rng.choice(everyone), "Client", None, None)
        created = now - rng.randint(31 * DAY, HISTORY_DAYS * DAY)
        row = ticket_row(rng, who, created, since + rng.randint(0, 7200), now)
        row |= {"status": 5, "tags": [WINDOW_TAG], "responder": None}
        rows.append(row)
    return rows
