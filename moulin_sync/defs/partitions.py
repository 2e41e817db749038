"""The one monthly partitions definition every order-shaped asset shares.

One definition (not one per asset) keeps single-run backfills from splitting, and
`end_offset=1` makes the current, still open month a partition the nightly run syncs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from dagster import AssetCheckExecutionContext, MonthlyPartitionsDefinition, PartitionKeyRange

from moulin_sync.runs.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)
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


def months_of_run(tags: Mapping[str, str]) -> list[str] | None:
    """The months a run targets, by its tags (a night's or a backfill's range, or one
    month); None for a run of no month."""
    start, end = tags.get(ASSET_PARTITION_RANGE_START_TAG), tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if start and end:
        return monthly_partitions.get_partition_keys_in_range(PartitionKeyRange(start, end))
    if PARTITION_NAME_TAG in tags:
        return [tags[PARTITION_NAME_TAG]]
    return None


def run_months(context: AssetCheckExecutionContext) -> list[str]:
    """The months a check covers: its run's, or the whole history when the check is run
    on its own."""
    return months_of_run(context.run.tags) or monthly_partitions.get_partition_keys()


def months_label(keys: Sequence[str]) -> str:
    """ "2024-03" for one month, "2019-06 to 2026-12" for a range."""
    first, last = keys[0][:7], keys[-1][:7]
    return first if first == last else f"{first} to {last}"
