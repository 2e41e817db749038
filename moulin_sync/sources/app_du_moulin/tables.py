"""The App du Moulin's tables as the source assets hand them on, read on demand: what a
dry run needs without running the assets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache

import polars as pl

from moulin_sync.sources.app_du_moulin.aggregates import ORDER_TOTAL_COLUMNS, order_totals
from moulin_sync.sources.app_du_moulin.orders import Month, orders_by_month
from moulin_sync.sources.app_du_moulin.reader import SourceReader

GROUP = "app_du_moulin"
TOTALS_BY = {"customer_order_totals": "customer_id", "company_order_totals": "company_id"}


class SourceTables:
    """Each source asset's frame, computed as the asset computes it, once."""

    def __init__(
        self, reader: SourceReader, months: Sequence[Month], timezone: str, now: dt.datetime
    ) -> None:
        self.reader = reader
        self.months = list(months)
        self.timezone = timezone
        self.now = now
        self.frame = cache(self._frame)

    def _frame(self, key: tuple[str, ...]) -> pl.DataFrame:
        group, name = key
        if group != GROUP:
            raise KeyError(f"{'/'.join(key)} is not an App du Moulin table")
        if name == "orders":
            return orders_by_month(self.reader, self.months, self.timezone)
        if name in TOTALS_BY:
            return order_totals(
                self.frame((GROUP, "order_totals_columns")),
                self.frame((GROUP, "pickup_points")),
                by=TOTALS_BY[name],
                timezone=self.timezone,
                now=self.now,
            )
        if name == "order_totals_columns":
            return self.reader.read_table("orders", columns=ORDER_TOTAL_COLUMNS)
        return self.reader.read_table(name)
