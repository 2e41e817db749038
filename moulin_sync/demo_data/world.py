"""What every generated table shares: the world's dates and limits, its clock, its seasons
and its random streams, and `World`, the arguments of one `generate()` call."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Final

HISTORY_START: Final[date] = date(2019, 1, 1)
"""First day with orders."""
CUSTOMERS_START: Final[date] = date(2018, 1, 1)
"""First day with customer accounts (the shop opened before the order history starts)."""
APP_LAUNCH: Final[date] = date(2020, 6, 2)
"""The mobile app exists from this day: no `app` orders before."""
LONG_NOTE_CAP: Final[int] = 25
"""At most this many 70,000-character notes per table, whatever the dirty rate."""
MAX_DIRTY_RATE: Final[float] = 0.1
"""Above this the exclusive customer dirt kinds no longer fit in the table."""
ORDER_CHUNK: Final[int] = 50_000
"""Rows handed to the database at a time (orders, then customers)."""

DIRT_KINDS: Final[tuple[str, ...]] = (
    "invalid_email",
    "null_email",
    "empty_email",
    "duplicate_email",
    "email_case_or_whitespace_variant",
    "deleted_customer",
    "anonymized_customer",
    "exotic_name",
    "long_customer_note",
    "orders_of_deleted_customers",
    "orders_of_anonymized_customers",
    "orphan_order",
    "far_future_order",
    "long_order_note",
)
"""Every kind of dirt, as counted in `GenerationSummary.dirt`. See docs/source-schema.md."""

DAY: Final[int] = 86_400
"""Seconds in a day: timestamps are integer epoch seconds (UTC) until formatted."""


class GeneratorError(Exception):
    """A refusal or bad argument, with a message meant for the person at the terminal."""


def epoch(day: date) -> int:
    """Epoch seconds of `day` at 00:00:00 UTC."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def format_timestamp(ts: int) -> str:
    """Any epoch second as a SQLite timestamp; `Clock.fmt` is the fast path."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


class Clock:
    """Formats epoch seconds as SQLite timestamps without a datetime per value.

    A timestamp is `day_prefix[day] + hms[second of day]`: two list lookups and a
    concatenation, several times faster than strftime in the million-row loops.
    """

    def __init__(self, today: date) -> None:
        self.first_day = epoch(CUSTOMERS_START) // DAY
        last_day = epoch(today) // DAY
        self.day_prefix: list[str] = [
            (CUSTOMERS_START + timedelta(days=i)).isoformat() + " "
            for i in range(last_day - self.first_day + 1)
        ]
        self.hms: list[str] = [
            f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
        ]

    def fmt(self, ts: int) -> str:
        index = ts // DAY - self.first_day
        if 0 <= index < len(self.day_prefix):
            return self.day_prefix[index] + self.hms[ts % DAY]
        return format_timestamp(ts)


def cum_weights(weights: Sequence[float]) -> list[float]:
    """Cumulative weights, as `random.choices(cum_weights=...)` takes them."""
    return list(accumulate(weights))


def timestamp_between(rng: random.Random, low: int, high: int) -> int:
    """A uniform epoch second in [low, high), or `low` when the range is empty."""
    return low if high <= low else low + int(rng.random() * (high - low))


# Seasons: how busy a day is, relative to the others.
_MONTH_FACTOR: Final[tuple[float, ...]] = (
    0.0,  # no month 0
    0.90,
    0.88,
    0.98,
    1.05,
    1.00,
    0.93,
    0.78,
    0.52,  # August: the mill's customers are on holiday
    1.00,
    1.06,
    1.35,
    1.65,  # December: Christmas baking
)
_WEEKDAY_FACTOR: Final[tuple[float, ...]] = (0.95, 0.9, 1.0, 1.0, 1.15, 1.45, 0.55)
_YEARLY_GROWTH: Final[float] = 1.28


def day_weights(first: date, last: date) -> tuple[list[int], list[float]]:
    """Epoch day numbers from `first` to `last` and cumulative seasonal weights."""
    days: list[int] = []
    weights: list[float] = []
    first_epoch_day = epoch(first) // DAY
    current = first
    while current <= last:
        years = (current - HISTORY_START).days / 365.25
        weights.append(
            _YEARLY_GROWTH**years
            * _MONTH_FACTOR[current.month]
            * _WEEKDAY_FACTOR[current.weekday()]
        )
        days.append(first_epoch_day + len(days))
        current += timedelta(days=1)
    return days, cum_weights(weights)


@dataclass
class World:
    """The arguments of one `generate()` call, checked, and what every table derives from them."""

    customer_count: int
    company_count: int
    order_count: int
    seed: int
    dirty_rate: float
    today: date
    now: int = field(init=False)
    """The generated world ends at `today` 23:59:59 UTC."""
    clock: Clock = field(init=False)
    dirt: dict[str, int] = field(init=False)
    """Rows carrying each kind of dirt, filled in as the tables are generated."""

    def __post_init__(self) -> None:
        counts = (
            ("customers", self.customer_count),
            ("companies", self.company_count),
            ("orders", self.order_count),
        )
        for name, value in counts:
            if value < 0:
                raise GeneratorError(f"{name} must be 0 or more, got {value}")
        if self.order_count and not self.customer_count:
            raise GeneratorError("orders need customers: pass --customers 1 or more")
        if not 0.0 <= self.dirty_rate <= MAX_DIRTY_RATE:
            raise GeneratorError(
                f"dirty rate must be between 0 and {MAX_DIRTY_RATE}, got {self.dirty_rate}"
            )
        if self.today < HISTORY_START:
            raise GeneratorError(f"today must be {HISTORY_START} or later, got {self.today}")
        self.now = epoch(self.today) + DAY - 1
        self.clock = Clock(self.today)
        self.dirt = dict.fromkeys(DIRT_KINDS, 0)

    def rng(self, table: str) -> random.Random:
        """The random stream of one table, so sizing one table leaves the others unchanged."""
        # str seeds are hashed with SHA-512 by random.seed: stable across runs and
        # independent of PYTHONHASHSEED.
        return random.Random(f"moulin-demo:{self.seed}:{table}")

    def dirty_count(self, rows: int) -> int:
        """How many of `rows` get each kind of dirt: about the rate, at least one."""
        if self.dirty_rate <= 0 or rows <= 0:
            return 0
        return max(1, round(self.dirty_rate * rows))
