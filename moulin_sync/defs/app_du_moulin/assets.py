"""The App du Moulin tables, read from the source: the first layer of the pipeline.

Customers, companies, contacts and pickup points are read whole (they are small next to
orders). Orders are monthly partitions on the shared definition; a backfill reads its
whole range in one query and hands on one snapshot per month.
"""

import datetime as dt

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetOut,
    AssetsDefinition,
    BackfillPolicy,
    MetadataValue,
    Output,
    asset,
    multi_asset,
)

from moulin_sync.defs.app_du_moulin.resources import AppDuMoulinSource
from moulin_sync.defs.partitions import history_window, month_windows, monthly_partitions
from moulin_sync.defs.resources import SyncSettings
from moulin_sync.lib.metadata import table_sample
from moulin_sync.sources.app_du_moulin import quality
from moulin_sync.sources.app_du_moulin.aggregates import ORDER_TOTAL_COLUMNS, order_totals
from moulin_sync.sources.app_du_moulin.orders import orders_by_month

GROUP = "app_du_moulin"
SOURCE_KINDS = {"sql", "polars"}


def table_asset(table: str, description: str) -> AssetsDefinition:
    """A source table read whole (they are small next to orders)."""

    @asset(key=[GROUP, table], group_name=GROUP, kinds=SOURCE_KINDS, description=description)
    def whole_table(source: AppDuMoulinSource) -> Output[pl.DataFrame]:
        frame = source.reader().read_table(table)
        metadata = {"dagster/row_count": frame.height, "sample": table_sample(frame)}
        return Output(frame, metadata=metadata)

    return whole_table


pickup_points = table_asset(
    "pickup_points", "Le Moulin's pickup points, where B2C customers collect their orders."
)
customers = table_asset(
    "customers", "Every customer, B2C and B2B contacts alike, erased (GDPR) ones included."
)
companies = table_asset("companies", "B2B customers: the businesses Le Moulin sells to.")
company_contacts = table_asset(
    "company_contacts", "Which customer works for which company, and in which role."
)


@multi_asset(
    outs={
        "customer_order_totals": AssetOut(
            key=[GROUP, "customer_order_totals"],
            group_name=GROUP,
            kinds=SOURCE_KINDS,
            description="Per customer: order count, lifetime value, first and last order "
            "day, last pickup point — over the whole order history.",
        ),
        "company_order_totals": AssetOut(
            key=[GROUP, "company_order_totals"],
            group_name=GROUP,
            kinds=SOURCE_KINDS,
            description="The same totals per B2B company.",
        ),
    },
)
def order_totals_by_customer_and_company(
    settings: SyncSettings, source: AppDuMoulinSource, pickup_points: pl.DataFrame
):
    # Totals span every month, so they read the few columns they need from the whole
    # orders table (one narrow query) rather than every monthly snapshot.
    orders = source.reader().read_table("orders", columns=ORDER_TOTAL_COLUMNS)
    now = dt.datetime.now(dt.UTC)
    for level, name in (
        ("customer_id", "customer_order_totals"),
        ("company_id", "company_order_totals"),
    ):
        totals = order_totals(orders, pickup_points, by=level, timezone=settings.timezone, now=now)
        yield Output(
            totals,
            output_name=name,
            metadata={"dagster/row_count": totals.height, "sample": table_sample(totals)},
        )


@asset(
    key=[GROUP, "orders"],
    group_name=GROUP,
    kinds=SOURCE_KINDS,
    partitions_def=monthly_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    check_specs=[
        AssetCheckSpec("orders_have_live_customers", asset=[GROUP, "orders"]),
        AssetCheckSpec("orders_are_dated_within_history", asset=[GROUP, "orders"]),
    ],
)
def orders(context: AssetExecutionContext, settings: SyncSettings, source: AppDuMoulinSource):
    """B2B and B2C orders, by the month (Europe/Paris) they were placed in."""
    reader = source.reader()
    frame = orders_by_month(reader, month_windows(context.partition_keys), settings.timezone)
    counts = dict(frame.group_by("partition_key").len().iter_rows())
    # Each month's materialization carries its own rows; the run's total is named so. Split
    # once: a backfill may cover a hundred months.
    by_month = frame.partition_by("partition_key", as_dict=True, include_key=False)
    for month in context.partition_keys:
        of_month = by_month.get((month,), frame.drop("partition_key").head(0))
        context.add_asset_metadata(
            {"dagster/row_count": counts.get(month, 0), "sample": table_sample(of_month)},
            partition_key=month,
        )
    yield Output(
        frame,
        metadata={
            "run_orders": frame.height,
            "run_orders_per_month": MetadataValue.json(
                {key: counts.get(key, 0) for key in context.partition_keys}
            ),
        },
    )

    # Orders whose customer is gone would become deals without a contact.
    known = reader.read_table("customers", columns=["id", "deleted_at", "anonymized_at"])
    orphans = quality.orders_without_live_customer(frame, known)
    yield AssetCheckResult(
        check_name="orders_have_live_customers",
        passed=orphans.is_empty(),
        severity=AssetCheckSeverity.WARN,
        metadata={
            "orders_checked": frame.height,
            "orders_with_missing_customer": orphans.filter(
                pl.col("reason") == "customer missing"
            ).height,
            "orders_with_erased_customer": orphans.filter(
                pl.col("reason") == "customer erased"
            ).height,
            "examples": table_sample(orphans),
        },
    )

    # Orders dated outside [history start, end of the current month) fall in no partition
    # and would never be synced: say so instead of losing them silently.
    start, end = history_window()
    outside = reader.read_orders_outside(start, end).select(
        "id", "order_number", "customer_id", "ordered_at"
    )
    unreadable = frame.filter(pl.col("ordered_at").is_null()).select(
        "id", "order_number", "customer_id", "partition_key"
    )
    yield AssetCheckResult(
        check_name="orders_are_dated_within_history",
        passed=outside.is_empty() and unreadable.is_empty(),
        severity=AssetCheckSeverity.WARN,
        description="Orders dated outside the history are in no partition; orders whose "
        "date does not read are quarantined in the month their text sorts into.",
        metadata={
            "orders_outside_history": outside.height,
            "orders_with_unreadable_date": unreadable.height,
            "unreadable_examples": table_sample(unreadable),
            "history": f"{start:%Y-%m-%d} to {end:%Y-%m-%d}",
            "examples": table_sample(outside),
        },
    )
