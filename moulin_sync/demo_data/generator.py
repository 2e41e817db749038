"""`generate()`: one run of the demo-data generator, from the arguments to the summary.

The tables are drawn in dependency order (see `model`) and written through a
background thread as they come. `__all__` below is the package's public API: the
dates, limits and identifier helpers live in `world` and `identifiers`, and are
importable from here as from `moulin_sync.demo_data`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from moulin_sync.demo_data.companies import build_companies, build_contacts, company_rows
from moulin_sync.demo_data.customers import build_customers, customer_batches
from moulin_sync.demo_data.identifiers import luhn_complete, luhn_valid, vat_number_from_siren
from moulin_sync.demo_data.model import Row
from moulin_sync.demo_data.orders import order_batches
from moulin_sync.demo_data.pickup_points import build_pickup_points
from moulin_sync.demo_data.progress import ProgressBar
from moulin_sync.demo_data.targets import BackgroundWriter, open_target
from moulin_sync.demo_data.world import (
    APP_LAUNCH,
    CUSTOMERS_START,
    DIRT_KINDS,
    HISTORY_START,
    LONG_NOTE_CAP,
    MAX_DIRTY_RATE,
    ORDER_CHUNK,
    GeneratorError,
    World,
)
from moulin_sync.sources.app_du_moulin.schema import TABLE_NAMES

# The package's public API (`moulin_sync.demo_data` re-exports exactly this).
__all__ = [
    "APP_LAUNCH",
    "CUSTOMERS_START",
    "DIRT_KINDS",
    "HISTORY_START",
    "LONG_NOTE_CAP",
    "MAX_DIRTY_RATE",
    "ORDER_CHUNK",
    "GenerationSummary",
    "GeneratorError",
    "generate",
    "luhn_complete",
    "luhn_valid",
    "vat_number_from_siren",
]


@dataclass(frozen=True)
class GenerationSummary:
    """What `generate()` wrote."""

    url: str
    """Target URL, password hidden."""
    seed: int
    today: date
    dirty_rate: float
    rows: dict[str, int]
    """Rows written per table, in `TABLE_NAMES` order."""
    dirt: dict[str, int]
    """Rows carrying each kind of dirt, in `DIRT_KINDS` order (all zero when clean)."""
    elapsed_seconds: float


def generate(
    url: str,
    *,
    customers: int,
    companies: int,
    orders: int,
    seed: int = 42,
    dirty_rate: float = 0.0,
    today: date | None = None,
    progress: bool = False,
    replace: bool = False,
) -> GenerationSummary:
    """Fill the App du Moulin tables at `url` with deterministic demo data.

    Refuses (GeneratorError) when the tables already hold rows, unless `replace`.
    `today` (default: the current UTC date) is the last day of the generated
    history; pass it explicitly to get the same database on another day.
    """
    started = time.perf_counter()
    today = today or datetime.now(UTC).date()
    world = World(customers, companies, orders, seed, dirty_rate, today)
    target = open_target(url)
    target.refuse_or_clear(replace)
    rows = dict.fromkeys(TABLE_NAMES, 0)
    with ProgressBar(progress) as bar:
        writer: BackgroundWriter | None = None
        try:
            target.begin()
            writer = BackgroundWriter(target)
            for table, batch in _table_batches(world, bar):
                writer.write(table, batch)
                rows[table] += len(batch)
            writer.close()
            bar.phase("indexes", 1)
            target.finish()
            bar.done()
        except BaseException:
            if writer is not None:
                writer.close(raise_error=False)
            target.abort()
            raise
    return GenerationSummary(
        url=target.shown_url,
        seed=seed,
        today=today,
        dirty_rate=dirty_rate,
        rows=rows,
        dirt=dict(world.dirt),
        elapsed_seconds=time.perf_counter() - started,
    )


def _table_batches(world: World, bar: ProgressBar) -> Iterator[tuple[str, list[Row]]]:
    """Every table's rows, a batch at a time, in the order they can be generated."""
    pickup_points = build_pickup_points(world)
    customers = build_customers(world, pickup_points, bar)
    companies = build_companies(world)
    contacts = build_contacts(world, customers)
    yield "pickup_points", pickup_points.rows
    yield "companies", company_rows(world, companies, contacts)
    # Orders before customers: each order sets its customer's last pickup point.
    for batch in order_batches(world, customers, pickup_points, companies, contacts, bar):
        yield "orders", batch
    for batch in customer_batches(world, customers, bar):
        yield "customers", batch
    yield "company_contacts", contacts.rows
