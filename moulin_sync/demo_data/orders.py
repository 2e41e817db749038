"""Orders: when they are placed (seasons, growth, opening hours), by whom, through which
channel, and where they are in their lifecycle today.

The loop runs once per order (a million in the benchmark), so it reads everything
through local names and builds each row as a plain tuple.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable, Iterator
from datetime import date
from math import log
from typing import Final

from moulin_sync.demo_data import vocab
from moulin_sync.demo_data.dirt import OrderDirt
from moulin_sync.demo_data.model import Companies, Contacts, Customers, PickupPoints, Row
from moulin_sync.demo_data.progress import ProgressBar, batches
from moulin_sync.demo_data.world import (
    APP_LAUNCH,
    DAY,
    HISTORY_START,
    World,
    cum_weights,
    day_weights,
    epoch,
)

# Opening hours: orders mostly between 7:00 and 22:00 UTC.
_HOURS: Final[tuple[int, ...]] = tuple(range(24))
_HOUR_CUM: Final[list[float]] = cum_weights(
    (1, 0.5, 0.3, 0.2, 0.3, 1, 4, 7, 9, 9, 8, 7, 8, 7, 6, 6, 7, 8, 9, 8, 6, 4, 3, 2)
)
_AMOUNTS: Final[int] = 8192
"""Size of the precomputed amount tables."""
_B2B_SHARE: Final[float] = 0.08
"""Share of the orders placed for a company (when some company has contacts)."""
_FRESH: Final[int] = 3 * DAY
"""Orders younger than this may still be pending."""
_SETTLED: Final[int] = 14 * DAY
"""Orders older than this have reached their final status."""


def order_batches(
    world: World,
    customers: Customers,
    pickup_points: PickupPoints,
    companies: Companies,
    contacts: Contacts,
    progress: ProgressBar,
) -> Iterator[list[Row]]:
    """Orders in id order (= ordered_at order); they also fill the customers' last orders."""
    progress.phase("orders", world.order_count)
    if world.order_count:
        rows = _order_rows(world, customers, pickup_points, companies, contacts)
        yield from batches(rows, progress)


def _order_rows(
    world: World,
    customers: Customers,
    pickup_points: PickupPoints,
    companies: Companies,
    contacts: Contacts,
) -> Iterator[Row]:
    """Each order's row; the dirt counts land in `world.dirt` once the last is out."""
    rng = world.rng("orders")
    rnd = rng.random
    times = _order_times(rng, world.today, world.order_count)
    dirt = OrderDirt.pick(rng, world, customers.deleted)
    # Amounts drawn from precomputed log-normal tables: one random() per order.
    b2c_amounts = _amount_table(rng, median=26.0, sigma=0.65, low=5.0, high=150.0)
    b2b_amounts = _amount_table(rng, median=320.0, sigma=0.8, low=50.0, high=3000.0)

    # Local names for everything the loop reads: it runs once per order.
    now = world.now
    n_customers = world.customer_count
    is_deleted = _flags(n_customers, customers.deleted)
    is_anonymized = _flags(n_customers, customers.anonymized)
    created, local, preferred = customers.created, customers.local, customers.preferred_pp
    last_pp, last_pp_ts = customers.last_pp, customers.last_pp_ts
    last_order_ts = customers.last_order_ts
    b2b_share = _B2B_SHARE if any(contacts.since) else 0.0
    company_cum = companies.weight_cum
    company_total = company_cum[-1] if company_cum else 0.0
    last_company = len(company_cum) - 1
    contact_since, contact_customer = contacts.since, contacts.customer
    closed_at = pickup_points.closed_at
    open_pps = pickup_points.open or list(range(len(closed_at)))
    n_open = len(open_pps)
    has_pps = bool(closed_at)
    order_notes = vocab.ORDER_NOTES
    app_launch = epoch(APP_LAUNCH)
    day_prefix, hms, first_day = world.clock.day_prefix, world.clock.hms, world.clock.first_day
    year_of_day = [int(p[:4]) for p in day_prefix]
    dirty, to_deleted = dirt.dirty, dirt.to_deleted

    deleted_orders = 0
    anonymized_orders = 0
    signed_up = 0  # customers whose account exists at the current order's time
    for i, t in enumerate(times):
        while signed_up < n_customers and created[signed_up] <= t:
            signed_up += 1
        # Who orders: a contact of a weighted company (B2B), else any customer signed up.
        company_id = None
        cust = -1
        if b2b_share and rnd() < b2b_share and i != to_deleted:
            company = bisect_right(company_cum, rnd() * company_total, 0, last_company)
            eligible = bisect_right(contact_since[company], t)
            if eligible:
                cust = contact_customer[company][int(rnd() * eligible)]
                company_id = company + 1
        pp = -1
        if company_id is not None:
            channel = "b2b"
            amount = b2b_amounts[int(rnd() * _AMOUNTS)]
        else:
            cust = int(rnd() * (signed_up or 1))
            r = rnd()
            if t < app_launch:
                channel = "web" if r < 0.7 else "shop"
            else:
                channel = "web" if r < 0.45 else "app" if r < 0.8 else "shop"
            if channel != "shop" and has_pps and rnd() < (0.92 if local[cust] else 0.3):
                pp = preferred[cust]
                if closed_at[pp] <= t:
                    pp = open_pps[int(rnd() * n_open)]
            amount = b2c_amounts[int(rnd() * _AMOUNTS)]

        status, paid, updated = _lifecycle(rnd, channel, pp >= 0, t, now)
        notes = order_notes[int(rnd() * len(order_notes))] if rnd() < 0.03 else None
        day = t // DAY - first_day
        ordered_at = created_at = day_prefix[day] + hms[t % DAY]
        customer_id = cust + 1
        if i in dirty:
            cust, customer_id, ordered_at, notes = dirt.soil(
                i, rnd, n_customers, (cust, customer_id, ordered_at, notes)
            )
        if cust >= 0:
            last_order_ts[cust] = t
            if pp >= 0:
                last_pp[cust] = pp
                last_pp_ts[cust] = updated
            if is_deleted[cust]:
                deleted_orders += 1
            elif is_anonymized[cust]:
                anonymized_orders += 1
        yield (
            i + 1,
            f"M-{year_of_day[day]}-{i + 1:07d}",
            customer_id,
            company_id,
            ordered_at,
            None if paid is None else day_prefix[paid // DAY - first_day] + hms[paid % DAY],
            status,
            amount,
            channel,
            pp + 1 if pp >= 0 else None,
            notes,
            created_at,
            day_prefix[updated // DAY - first_day] + hms[updated % DAY],
        )
    dirt.record(world)
    world.dirt["orders_of_deleted_customers"] = deleted_orders
    world.dirt["orders_of_anonymized_customers"] = anonymized_orders


def _order_times(rng: random.Random, today: date, total: int) -> list[int]:
    """`total` ascending epoch seconds, by season, yearly growth and hour of the day."""
    days, day_cum = day_weights(HISTORY_START, today)
    hours = rng.choices(_HOURS, cum_weights=_HOUR_CUM, k=total)
    times = [
        d * DAY + h * 3600 + int(rng.random() * 3600)
        for d, h in zip(rng.choices(days, cum_weights=day_cum, k=total), hours, strict=True)
    ]
    times.sort()
    return times


def _amount_table(
    rng: random.Random, *, median: float, sigma: float, low: float, high: float
) -> list[float]:
    """Log-normal amounts in euros, clipped to [low, high]."""
    mu = log(median)
    return [round(min(high, max(low, rng.lognormvariate(mu, sigma))), 2) for _ in range(_AMOUNTS)]


def _flags(size: int, members: set[int]) -> list[bool]:
    """`members` as a list of booleans, faster to index than a set is to probe."""
    flags = [False] * size
    for index in members:
        flags[index] = True
    return flags


def _lifecycle(
    rnd: Callable[[], float], channel: str, at_pickup_point: bool, t: int, now: int
) -> tuple[str, int | None, int]:
    """Status today of the order placed at `t`, when it was paid (None: never) and last changed.

    Old orders are settled, recent ones still in flight; nothing happens after `now`.
    """
    age = now - t
    r = rnd()
    final = "picked_up" if at_pickup_point or channel == "shop" else "delivered"
    if channel == "shop":
        status = "refunded" if r < 0.02 else "picked_up"
    elif age > _SETTLED:
        status = "cancelled" if r < 0.04 else "refunded" if r < 0.065 else final
    elif age > _FRESH:
        under_way = "paid" if r < 0.15 else "ready" if r < 0.35 else final
        status = "cancelled" if r < 0.05 else "refunded" if r < 0.07 else under_way
    else:
        under_way = "paid" if r < 0.6 else "ready" if r < 0.85 else final
        status = "pending" if r < 0.25 else "cancelled" if r < 0.3 else under_way

    paid: int | None
    if status == "pending":
        paid = None
        updated = t + int(rnd() * 600) if rnd() < 0.3 else t
    elif status == "cancelled":
        paid = None
        updated = t + 600 + int(rnd() * 2 * DAY)
    else:
        if channel == "shop":
            paid = t
        elif channel == "b2b":
            paid = t + int(rnd() * 30 * DAY)  # invoices are paid later
        else:
            paid = t + 5 + int(rnd() * 600)  # online payment at checkout
        if paid > now:  # comparisons, not min(): this runs once per order
            paid = now
        if status == "paid" or channel == "shop":
            updated = paid
        elif status == "ready":
            updated = paid + 3600 + int(rnd() * 2 * DAY)
        elif status == "refunded":
            updated = paid + DAY + int(rnd() * 20 * DAY)
        elif channel == "b2b":
            updated = max(paid, t + DAY + int(rnd() * 3 * DAY))
        else:
            updated = paid + 3600 + int(rnd() * 5 * DAY)
    return status, paid, now if updated > now else updated
