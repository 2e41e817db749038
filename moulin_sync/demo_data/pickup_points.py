"""Pickup points: partner shops where customers collect their orders."""

from __future__ import annotations

from datetime import date

from moulin_sync.demo_data import vocab
from moulin_sync.demo_data.model import PickupPoints
from moulin_sync.demo_data.people import fill_name_template, street
from moulin_sync.demo_data.world import (
    CUSTOMERS_START,
    DAY,
    HISTORY_START,
    World,
    cum_weights,
    epoch,
    timestamp_between,
)

_STILL_OPEN: int = 1 << 62
"""Closing time of a point that has not closed."""


def build_pickup_points(world: World) -> PickupPoints:
    """Ten to forty points in the cities that have some, a few closed since."""
    rng = world.rng("pickup_points")
    clock = world.clock
    count = min(40, max(10, world.customer_count // 2_500))
    pp_cities = [c for c in vocab.CITIES if c[3]]
    city_cum = cum_weights([c[2] for c in pp_cities])
    start = epoch(CUSTOMERS_START)
    first_order = epoch(HISTORY_START)
    points = PickupPoints(rows=[], city=[], closed_at=[], open=[])
    for index in range(count):
        city, postcode, _, _ = rng.choices(pp_cities, cum_weights=city_cum)[0]
        host = fill_name_template(rng, rng.choice(vocab.PICKUP_HOSTS), city.split(" ")[0])
        created = timestamp_between(rng, start, first_order)
        # The first few stay open so there is always somewhere to pick up.
        closes = index >= 3 and rng.random() < 0.15
        if closes:
            closed_at = timestamp_between(
                rng, epoch(date(2020, 1, 1)), max(epoch(date(2020, 1, 2)), world.now - 30 * DAY)
            )
            updated = closed_at
        else:
            closed_at = _STILL_OPEN
            updated = timestamp_between(rng, created, world.now) if rng.random() < 0.4 else created
            points.open.append(index)
        points.city.append(city)
        points.closed_at.append(closed_at)
        points.rows.append(
            (
                index + 1,
                f"Point retrait — {host}, {city}",
                street(rng),
                postcode,
                city,
                0 if closes else 1,
                clock.fmt(created),
                clock.fmt(updated),
            )
        )
    return points
