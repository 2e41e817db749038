"""Orders by the month they were placed in, as the monthly partitions hold them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from moulin_sync.sources.app_du_moulin.reader import SourceReader

# A month: its partition key ("2024-03-01") and its time window [start, end).
Month = tuple[str, dt.datetime, dt.datetime]


def month_key(column: str, timezone: str) -> pl.Expr:
    """The monthly partition key ('2024-03-01') of a UTC timestamp column."""
    return pl.col(column).dt.convert_time_zone(timezone).dt.strftime("%Y-%m-01")


def orders_by_month(reader: SourceReader, months: Sequence[Month], timezone: str) -> pl.DataFrame:
    """The orders placed in `months` (consecutive), each with its month's
    `partition_key`, read in one query."""
    frame = reader.read_orders(months[0][1], months[-1][2]).with_columns(
        partition_key=month_key("ordered_at", timezone)
    )
    undated = frame.filter(pl.col("ordered_at").is_null())["id"]
    if undated.is_empty():
        return frame
    # A date that does not read still sorted into one month's window: keep the order in
    # that month so its deal is quarantined there ("order date …"), not lost.
    wanted, selected_by = undated.to_list(), {}
    for key, start, end in months:
        selected_by |= dict.fromkeys(reader.read_order_ids(start, end, wanted), key)
    return frame.with_columns(
        pl.coalesce("partition_key", pl.col("id").replace_strict(selected_by, default=None)).alias(
            "partition_key"
        )
    )
