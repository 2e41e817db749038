"""The generated world in memory: what one generation phase hands the next.

Pickup points come first, then customers (who prefer a pickup point of their city),
then companies and their contacts (who are customers), then orders (placed by
customers and contacts at pickup points), which in turn set each customer's last
pickup point before the customer rows are written. Only `Customers` changes once
built: dirt and orders fill it in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Row = tuple[Any, ...]
"""One row of a table, in its column order."""


@dataclass(frozen=True)
class PickupPoints:
    """Pickup points by index (id = index + 1)."""

    rows: list[Row]
    city: list[str]
    closed_at: list[int]
    """Closing epoch second, a very large one while still open."""
    open: list[int]
    """Indexes of the points still open today."""


@dataclass
class Customers:
    """Customers as columns (lists, index = id - 1), so 100,000 of them stay cheap."""

    first: list[str | None] = field(default_factory=list)
    last: list[str | None] = field(default_factory=list)
    email: list[str | None] = field(default_factory=list)
    phone: list[str | None] = field(default_factory=list)
    address: list[str | None] = field(default_factory=list)
    postcode: list[str | None] = field(default_factory=list)
    city: list[str | None] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    """Sign-up epoch seconds, ascending."""
    profile_updated: list[int] = field(default_factory=list)
    consent: list[int] = field(default_factory=list)
    notes: list[str | None] = field(default_factory=list)
    preferred_pp: list[int] = field(default_factory=list)
    """Pickup point index, -1 when there is none."""
    local: list[bool] = field(default_factory=list)
    """Lives near the mill, so mostly picks up rather than having orders delivered."""
    # Set by the customer dirt.
    deleted: set[int] = field(default_factory=set)
    anonymized: set[int] = field(default_factory=set)
    # Set while generating orders (-1 / 0 = none yet).
    last_pp: list[int] = field(default_factory=list)
    last_pp_ts: list[int] = field(default_factory=list)
    last_order_ts: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Companies:
    """Companies by index (id = index + 1)."""

    undated_rows: list[Row]
    """Company rows without created_at and updated_at, which follow the first contact."""
    weight_cum: list[float]
    """Cumulative share of the B2B orders each company places."""


@dataclass(frozen=True)
class Contacts:
    """The customers who order for a company, by company index."""

    rows: list[Row]
    """company_contacts rows, in primary key order."""
    since: list[list[int]]
    """Per company, ascending epoch seconds from which each contact may order."""
    customer: list[list[int]]
    """Per company, the customer index of each contact, in `since` order."""
