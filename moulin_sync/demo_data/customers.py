"""Customers: drawn before the orders, written after them.

Orders set each customer's last pickup point (and erasure follows the last order),
so `build_customers` keeps them as columns in memory and `customer_batches` turns
them into rows once every order exists.
"""

from __future__ import annotations

from collections.abc import Iterator

from moulin_sync.demo_data import people, vocab
from moulin_sync.demo_data.dirt import soil_customers
from moulin_sync.demo_data.model import Customers, PickupPoints, Row
from moulin_sync.demo_data.progress import ProgressBar, batches
from moulin_sync.demo_data.world import (
    CUSTOMERS_START,
    DAY,
    HISTORY_START,
    World,
    day_weights,
    epoch,
    timestamp_between,
)

_LOCAL_DEPARTMENTS = ("69", "38", "42", "01")
"""Postcode prefixes near the mill: customers there mostly use pickup points."""


def build_customers(world: World, pickup_points: PickupPoints, progress: ProgressBar) -> Customers:
    """Every customer, sign-ups following the seasons, then the customer dirt."""
    rng = world.rng("customers")
    rnd = rng.random
    n = world.customer_count
    c = Customers()
    progress.phase("customers (generate)", n)
    days, day_cum = day_weights(CUSTOMERS_START, world.today)
    created = [
        d * DAY + 25_200 + int(rnd() * 61_200)  # sign-ups between 7:00 and 24:00
        for d in rng.choices(days, cum_weights=day_cum, k=n)
    ]
    created.sort()
    # The first account predates the order history so early orders have a customer.
    if created and created[0] >= epoch(HISTORY_START):
        created[0] = epoch(CUSTOMERS_START) + 36_000
    c.created = created

    city_pps: dict[str, list[int]] = {}
    for index, city in enumerate(pickup_points.city):
        city_pps.setdefault(city, []).append(index)
    all_pps = list(range(len(pickup_points.city)))
    used_emails: set[str] = set()
    females, males, lasts = vocab.FIRST_NAMES_FEMALE, vocab.FIRST_NAMES_MALE, vocab.LAST_NAMES
    for i in range(n):
        first = rng.choice(females) if rnd() < 0.53 else rng.choice(males)
        last = rng.choice(lasts)
        c.first.append(first)
        c.last.append(last)
        email = people.email(rng, first, last)
        while email in used_emails:  # clean data has unique emails
            local, domain = email.split("@")
            email = f"{local}{int(rnd() * 1000)}@{domain}"
        used_emails.add(email)
        c.email.append(email)
        c.phone.append(people.phone(rng) if rnd() < 0.9 else None)
        city, postcode, _, _ = people.city(rng)
        c.address.append(people.street(rng))
        c.postcode.append(postcode)
        c.city.append(city)
        c.local.append(postcode[:2] in _LOCAL_DEPARTMENTS)
        c.profile_updated.append(
            timestamp_between(rng, created[i], world.now) if rnd() < 0.35 else created[i]
        )
        c.consent.append(1 if rnd() < 0.6 else 0)
        c.notes.append(rng.choice(vocab.CUSTOMER_NOTES) if rnd() < 0.04 else None)
        candidates = city_pps.get(city) or all_pps
        c.preferred_pp.append(candidates[int(rnd() * len(candidates))] if candidates else -1)
        if i % 10_000 == 9_999:
            progress.advance(10_000)
    progress.done()
    c.last_pp = [-1] * n
    c.last_pp_ts = [0] * n
    c.last_order_ts = [0] * n
    soil_customers(rng, c, world)
    return c


def customer_batches(
    world: World, customers: Customers, progress: ProgressBar
) -> Iterator[list[Row]]:
    """Customer rows in id order, once orders have set each one's last pickup point."""
    progress.phase("customers (write)", world.customer_count)
    yield from batches(_customer_rows(world, customers), progress)


def _customer_rows(world: World, c: Customers) -> Iterator[Row]:
    rng = world.rng("customers:erasure")
    fmt = world.clock.fmt
    now = world.now
    for i in range(world.customer_count):
        # The app bumps updated_at when an order changes the last pickup point.
        updated = max(c.profile_updated[i], c.last_pp_ts[i])
        erased_at = None
        if i in c.deleted or i in c.anonymized:
            # Erasure comes after the customer's last activity.
            erased = min(
                now, max(updated, c.last_order_ts[i]) + 3600 + int(rng.random() * 180 * DAY)
            )
            updated = max(updated, erased)
            erased_at = fmt(erased)
        last_pp = c.last_pp[i] + 1 if c.last_pp[i] >= 0 else None
        if i in c.anonymized:
            # Anonymization wipes whatever identifies the person, and the consent.
            yield (
                i + 1, None, "Anonyme", "Anonyme", None, None, None, None,
                fmt(c.created[i]), fmt(updated), 0, last_pp, None, None, erased_at,
            )  # fmt: skip
        else:
            # A deleted customer keeps every value: only deleted_at is set.
            yield (
                i + 1, c.email[i], c.first[i], c.last[i], c.phone[i], c.address[i],
                c.postcode[i], c.city[i], fmt(c.created[i]), fmt(updated), c.consent[i],
                last_pp, c.notes[i], erased_at, None,
            )  # fmt: skip
