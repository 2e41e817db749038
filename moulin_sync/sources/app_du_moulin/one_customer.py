"""Some customers' share of the source assets — the customers, their companies, every
order placed by them or for those companies — computed as the assets compute them:
what inspecting, refreshing or live-syncing a few customers needs, without reading the
whole base."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache

import polars as pl

from moulin_sync.sources.app_du_moulin.aggregates import ORDER_TOTAL_COLUMNS, order_totals
from moulin_sync.sources.app_du_moulin.orders import month_key
from moulin_sync.sources.app_du_moulin.reader import SourceReader
from moulin_sync.sources.app_du_moulin.tables import GROUP, TOTALS_BY


class CustomerTables:
    """Each source asset's frame, restricted to customers `customer_ids` and theirs."""

    def __init__(
        self, reader: SourceReader, customer_ids: Sequence[int], timezone: str, now: dt.datetime
    ) -> None:
        self.customer_ids = list(customer_ids)
        self.timezone = timezone
        self.now = now
        self.found = reader.read_customers(self.customer_ids)
        self.frame = cache(self._frame)

    @property
    def exists(self) -> bool:
        return not self.found["customers"].is_empty()

    def _frame(self, key: tuple[str, ...]) -> pl.DataFrame:
        group, name = key
        if group != GROUP:
            raise KeyError(f"{'/'.join(key)} is not an App du Moulin table")
        orders = self.found["orders"]
        if name == "orders":
            return orders.with_columns(partition_key=month_key("ordered_at", self.timezone))
        if name in TOTALS_BY:
            return order_totals(
                orders.select(ORDER_TOTAL_COLUMNS),
                self.found["pickup_points"],
                by=TOTALS_BY[name],
                timezone=self.timezone,
                now=self.now,
            )
        return self.found[name]


class OneCustomerTables(CustomerTables):
    """Each source asset's frame, restricted to customer `customer_id` and theirs."""

    def __init__(
        self, reader: SourceReader, customer_id: int, timezone: str, now: dt.datetime
    ) -> None:
        super().__init__(reader, [customer_id], timezone, now)
        self.customer_id = customer_id
