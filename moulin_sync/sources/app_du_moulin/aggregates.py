"""Per-customer and per-company figures over the whole order history (pure polars)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from moulin_sync.sources.app_du_moulin.quality import MAX_ORDER_AMOUNT_EUR
from moulin_sync.sources.app_du_moulin.vocabulary import statuses

# The few columns the totals need, read from the whole orders table in one narrow query.
ORDER_TOTAL_COLUMNS = [
    "id",
    "customer_id",
    "company_id",
    "ordered_at",
    "status",
    "amount_eur",
    "pickup_point_id",
]


def _local_day(column: str, timezone: str) -> pl.Expr:
    return pl.col(column).dt.convert_time_zone(timezone).dt.strftime("%Y-%m-%d")


def order_totals(
    orders: pl.DataFrame,
    pickup_points: pl.DataFrame,
    *,
    by: str,
    timezone: str,
    now: dt.datetime,
) -> pl.DataFrame:
    """Per customer (or company, `by`): order count, lifetime value, first/last order day
    (in `timezone`), and the last pickup point. Orders dated in the future are data
    errors and ignored here (the source check reports them)."""
    # Orders whose deal is quarantined for its amount (missing, negative, a typo'd
    # million) must not count either.
    counted = orders.filter(
        pl.col(by).is_not_null()
        & pl.col("status").is_in(statuses(counted=True))
        & (pl.col("ordered_at") <= now)
        & pl.col("amount_eur").is_not_null()
        & (pl.col("amount_eur") >= 0)
        & (pl.col("amount_eur") <= MAX_ORDER_AMOUNT_EUR)
    )
    points = pickup_points.select(
        pl.col("id").alias("pickup_point_id"), pl.col("name").alias("pickup_point_name")
    )
    return (
        counted.join(points, on="pickup_point_id", how="left")
        .sort(by, "ordered_at")
        .group_by(by, maintain_order=True)
        .agg(
            order_count=pl.len(),
            lifetime_value_eur=pl.col("amount_eur")
            .filter(pl.col("status").is_in(statuses(kept=True)))
            .sum(),
            first_ordered_at=pl.col("ordered_at").first(),
            last_ordered_at=pl.col("ordered_at").last(),
            last_pickup_point=pl.col("pickup_point_name").drop_nulls().last(),
        )
        .with_columns(
            first_order_date=_local_day("first_ordered_at", timezone),
            last_order_date=_local_day("last_ordered_at", timezone),
        )
        .drop("first_ordered_at", "last_ordered_at")
    )
