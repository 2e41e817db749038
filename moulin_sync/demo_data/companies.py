"""Companies (the mill's B2B customers) and their contacts, who are customers too."""

from __future__ import annotations

import random

from moulin_sync.demo_data import vocab
from moulin_sync.demo_data.identifiers import new_siren, siret_of, vat_number_from_siren
from moulin_sync.demo_data.model import Companies, Contacts, Customers, Row
from moulin_sync.demo_data.people import city, fill_name_template, street
from moulin_sync.demo_data.world import (
    CUSTOMERS_START,
    DAY,
    World,
    cum_weights,
    epoch,
    timestamp_between,
)

_PUBLIC_SECTORS = ("cantine scolaire", "crèche")
"""Often public bodies, which have no VAT number."""


def build_companies(world: World) -> Companies:
    """Every company but its dates, which follow the contacts (see `company_rows`)."""
    rng = world.rng("companies")
    sectors = [s for s, _ in vocab.SECTORS]
    sector_cum = cum_weights([w for _, w in vocab.SECTORS])
    sirens: set[str] = set()
    weights: list[float] = []
    rows: list[Row] = []
    for index in range(world.company_count):
        sector = rng.choices(sectors, cum_weights=sector_cum)[0]
        city_name, postcode, _, _ = city(rng)
        template = rng.choice(vocab.COMPANY_NAME_TEMPLATES[sector])
        name = fill_name_template(rng, template, city_name) + rng.choice(vocab.LEGAL_FORMS)
        siren = new_siren(rng, sirens)
        siret = siret_of(rng, siren)
        r = rng.random()
        has_siret = r >= 0.05  # a few records were never completed
        public = sector in _PUBLIC_SECTORS and r < 0.5
        vat = vat_number_from_siren(siren) if has_siret and not public and r < 0.92 else None
        rows.append(
            (
                index + 1,
                name,
                siret if has_siret else None,
                vat,
                sector,
                street(rng),
                postcode,
                city_name,
            )
        )
        # How much each company orders: a few big accounts, many small ones.
        weights.append(rng.lognormvariate(0.0, 1.0))
    return Companies(undated_rows=rows, weight_cum=cum_weights(weights))


def build_contacts(world: World, customers: Customers) -> Contacts:
    """One to four contacts per company, each a customer not erased nor already a contact."""
    rng = world.rng("company_contacts")
    clock = world.clock
    now = world.now
    erased = customers.deleted | customers.anonymized
    taken: set[int] = set()
    roles = [r for r, _ in vocab.CONTACT_ROLES]
    role_cum = cum_weights([w for _, w in vocab.CONTACT_ROLES])
    contacts = Contacts(rows=[], since=[], customer=[])
    for company in range(world.company_count):
        wanted = rng.choices((1, 2, 3, 4), cum_weights=(35, 70, 90, 100))[0]
        members: list[tuple[int, int]] = []
        for _ in range(wanted):
            candidate = _free_customer(rng, world.customer_count, taken, erased)
            if candidate < 0:
                continue
            taken.add(candidate)
            since = min(now, customers.created[candidate] + int(rng.random() * 30 * DAY))
            updated = timestamp_between(rng, since, now) if rng.random() < 0.2 else since
            role = rng.choices(roles, cum_weights=role_cum)[0] if rng.random() < 0.9 else None
            contacts.rows.append(
                (candidate + 1, company + 1, role, clock.fmt(since), clock.fmt(updated))
            )
            members.append((since, candidate))
        members.sort()
        contacts.since.append([since for since, _ in members])
        contacts.customer.append([customer for _, customer in members])
    # Contact rows sorted by primary key: the order a database dump would have.
    contacts.rows.sort()
    return contacts


def _free_customer(
    rng: random.Random, customer_count: int, taken: set[int], erased: set[int]
) -> int:
    """A random customer neither `taken` nor `erased`, or -1 after 20 unlucky draws."""
    for _attempt in range(20):
        candidate = int(rng.random() * customer_count) if customer_count else -1
        if candidate >= 0 and candidate not in taken and candidate not in erased:
            return candidate
    return -1


def company_rows(world: World, companies: Companies, contacts: Contacts) -> list[Row]:
    """Company rows, dated once their contacts are known."""
    rng = world.rng("companies:dates")
    clock = world.clock
    start = epoch(CUSTOMERS_START)
    rows: list[Row] = []
    for index, undated in enumerate(companies.undated_rows):
        times = contacts.since[index]
        if times:
            # The company record is opened just before its first contact is attached.
            created = max(start, times[0] - int(rng.random() * 3 * DAY))
        else:
            created = timestamp_between(rng, start, world.now)
        updated = timestamp_between(rng, created, world.now) if rng.random() < 0.4 else created
        rows.append((*undated, clock.fmt(created), clock.fmt(updated)))
    return rows
