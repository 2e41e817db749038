"""The one monthly partitions definition every order-shaped asset shares.

One definition (not one per asset) keeps single-run backfills from splitting, and
`end_offset=1` makes the current, still open month a partition the nightly run syncs.
"""

from __future__ import annotations

from dagster import MonthlyPartitionsDefinition

from moulin_sync.settings import settings

monthly_partitions = MonthlyPartitionsDefinition(
    start_date=settings().history_start.isoformat(),
    timezone=settings().timezone,
    end_offset=1,
)
