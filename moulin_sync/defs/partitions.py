"""The one monthly partitions definition every order-shaped asset shares.

One definition (not one per asset) keeps single-run backfills from splitting, and
`end_offset=1` makes the current, still open month a partition the nightly run syncs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from dagster import MonthlyPartitionsDefinition

from moulin_sync.settings import settings
from moulin_sync.sources.app_du_moulin.orders import Month

monthly_partitions = MonthlyPartitionsDefinition(
    start_date=settings().history_start.isoformat(),
    timezone=settings().timezone,
    end_offset=1,
)


def month_windows(keys: Sequence[str]) -> list[Month]:
    """(key, start, end) of each month."""
    windows = (monthly_partitions.time_window_for_partition_key(key) for key in keys)
    return [(key, w.start, w.end) for key, w in zip(keys, windows, strict=True)]


def run_window(keys: Sequence[str]) -> tuple[dt.datetime, dt.datetime]:
    """The time span of a run's months (one month, or a backfill's range)."""
    first = monthly_partitions.time_window_for_partition_key(keys[0])
    last = monthly_partitions.time_window_for_partition_key(keys[-1])
    return first.start, last.end


def history_window() -> tuple[dt.datetime, dt.datetime]:
    """From the first day of the history to the end of the current month."""
    keys = monthly_partitions.get_partition_keys()
    return run_window([keys[0], keys[-1]])
