"""Which months of orders changed since they were last synced (pure polars on a narrow read).

An order's deal changes when the order does, and also when its customer, its company or
its pickup point does (the deal's name, contact and pickup point come from them): an
order counts as changed at the latest `updated_at` of the four. A refund three months
later, a customer erased, a pickup point renamed: each marks the months of the orders
it touches, whatever their age.
"""

from __future__ import annotations

import polars as pl

from moulin_sync.sources.app_du_moulin.reader import SourceReader


def order_changes(reader: SourceReader, timezone: str) -> pl.DataFrame:
    """(month, changed_at) of every order: the first day of its local month, and the
    latest `updated_at` of the order, its customer, company and pickup point."""
    orders = reader.read_table(
        "orders",
        columns=["id", "customer_id", "company_id", "pickup_point_id", "ordered_at", "updated_at"],
    )

    def stamps(table: str, key: str) -> pl.DataFrame:
        found = reader.read_table(table, columns=["id", "updated_at"])
        return found.rename({"id": key, "updated_at": f"{table}_updated_at"})

    joined = (
        orders.join(stamps("customers", "customer_id"), on="customer_id", how="left")
        .join(stamps("companies", "company_id"), on="company_id", how="left")
        .join(stamps("pickup_points", "pickup_point_id"), on="pickup_point_id", how="left")
    )
    return joined.select(
        pl.col("ordered_at").dt.convert_time_zone(timezone).dt.strftime("%Y-%m-01").alias("month"),
        pl.max_horizontal(
            "updated_at",
            "customers_updated_at",
            "companies_updated_at",
            "pickup_points_updated_at",
        ).alias("changed_at"),
    ).drop_nulls("month")
