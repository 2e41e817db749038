"""Layer 1: the App du Moulin tables, read from the source and kept as Parquet snapshots.

Customers, companies, contacts and pickup points are read whole (they are small next to
orders). Orders are monthly partitions on the shared definition; a backfill reads its
whole range in one query and writes one snapshot per month.
"""

import datetime as dt

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetSpec,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)

from moulin_sync.defs.partitions import monthly_partitions
from moulin_sync.defs.resources import AppDuMoulinSource, Snapshots
from moulin_sync.hubspot import transforms
from moulin_sync.lib.metadata import markdown_table, table_sample
from moulin_sync.settings import settings
from moulin_sync.sources.app_du_moulin import quality
from moulin_sync.sources.app_du_moulin.reader import SourceReader

GROUP = "app_du_moulin"
SOURCE_KINDS = {"sql", "polars"}


def _snapshot_table(
    table: str, source: AppDuMoulinSource, snapshots: Snapshots
) -> MaterializeResult:
    frame = source.reader().read_table(table)
    path = snapshots.store().write([GROUP, table], frame)
    return MaterializeResult(
        metadata={
            "dagster/row_count": frame.height,
            "sample": table_sample(frame),
            "snapshot": MetadataValue.path(str(path)),
        }
    )


@asset(key=[GROUP, "pickup_points"], group_name=GROUP, kinds=SOURCE_KINDS)
def pickup_points(source: AppDuMoulinSource, snapshots: Snapshots) -> MaterializeResult:
    """Le Moulin's pickup points, where B2C customers collect their orders."""
    return _snapshot_table("pickup_points", source, snapshots)


@asset(key=[GROUP, "customers"], group_name=GROUP, kinds=SOURCE_KINDS)
def customers(source: AppDuMoulinSource, snapshots: Snapshots) -> MaterializeResult:
    """Every customer, B2C and B2B contacts alike, erased (GDPR) ones included."""
    return _snapshot_table("customers", source, snapshots)


@asset(key=[GROUP, "companies"], group_name=GROUP, kinds=SOURCE_KINDS)
def companies(source: AppDuMoulinSource, snapshots: Snapshots) -> MaterializeResult:
    """B2B customers: the businesses Le Moulin sells to."""
    return _snapshot_table("companies", source, snapshots)


@asset(key=[GROUP, "company_contacts"], group_name=GROUP, kinds=SOURCE_KINDS)
def company_contacts(source: AppDuMoulinSource, snapshots: Snapshots) -> MaterializeResult:
    """Which customer works for which company, and in which role."""
    return _snapshot_table("company_contacts", source, snapshots)


ORDER_TOTAL_COLUMNS = [
    "id",
    "customer_id",
    "company_id",
    "ordered_at",
    "status",
    "amount_eur",
    "pickup_point_id",
]


@multi_asset(
    specs=[
        AssetSpec(
            [GROUP, "customer_order_totals"],
            group_name=GROUP,
            kinds=SOURCE_KINDS,
            deps=[[GROUP, "pickup_points"]],
            description="Per customer: order count, lifetime value, first and last "
            "order day, last pickup point — over the whole order history.",
        ),
        AssetSpec(
            [GROUP, "company_order_totals"],
            group_name=GROUP,
            kinds=SOURCE_KINDS,
            deps=[[GROUP, "pickup_points"]],
            description="The same totals per B2B company.",
        ),
    ]
)
def order_totals(source: AppDuMoulinSource, snapshots: Snapshots):
    # Totals span every month, so they read the few columns they need from the whole
    # orders table (one narrow query) rather than every monthly snapshot.
    orders = source.reader().read_table("orders", columns=ORDER_TOTAL_COLUMNS)
    store = snapshots.store()
    points = store.read([GROUP, "pickup_points"])
    now = dt.datetime.now(dt.UTC)
    for level, key in (
        ("customer_id", "customer_order_totals"),
        ("company_id", "company_order_totals"),
    ):
        totals = transforms.order_totals(
            orders, points, by=level, timezone=settings().timezone, now=now
        )
        store.write([GROUP, key], totals)
        yield MaterializeResult(
            asset_key=[GROUP, key],
            metadata={"dagster/row_count": totals.height, "sample": table_sample(totals)},
        )


def month_key(column: str, timezone: str) -> pl.Expr:
    """The monthly partition key ('2024-03-01') of a UTC timestamp column."""
    return pl.col(column).dt.convert_time_zone(timezone).dt.strftime("%Y-%m-01")


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
def orders(context: AssetExecutionContext, source: AppDuMoulinSource, snapshots: Snapshots):
    """B2C and B2B orders, by the month (Europe/Paris) they were placed in."""
    reader = source.reader()
    window = context.partition_time_window
    frame = reader.read_orders(window.start, window.end).with_columns(
        partition_key=month_key("ordered_at", settings().timezone)
    )
    undated = frame.filter(pl.col("ordered_at").is_null())["id"]
    if undated.len():
        # A date that does not read still sorted into one month's window: keep the order
        # in that month so its deal is quarantined there ("order date …"), not lost.
        months = _months_selecting(reader, context.partition_keys, undated)
        frame = frame.with_columns(
            pl.coalesce("partition_key", pl.col("id").replace_strict(months, default=None)).alias(
                "partition_key"
            )
        )
    store = snapshots.store()
    counts = {}
    for key in context.partition_keys:
        month = frame.filter(pl.col("partition_key") == key).drop("partition_key")
        store.write([GROUP, "orders"], month, partition=key)
        counts[key] = month.height
    yield MaterializeResult(
        metadata={
            "dagster/row_count": frame.height,
            "orders_per_month": MetadataValue.json(counts),
            "sample": table_sample(frame.drop("partition_key")),
        }
    )

    # Orders whose customer is gone would become deals without a contact.
    customer_ids = reader.read_table("customers").select("id", "deleted_at", "anonymized_at")
    orphans = quality.orders_without_live_customer(frame, customer_ids)
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
            "examples": markdown_table(orphans),
        },
    )

    # Orders dated outside [history start, end of the current month) fall in no partition
    # and would never be synced: say so instead of losing them silently.
    last_end = monthly_partitions.time_window_for_partition_key(
        monthly_partitions.get_last_partition_key() or context.partition_keys[-1]
    ).end
    outside = reader.read_orders_outside(_start_of_history(), last_end).select(
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
            "unreadable_examples": markdown_table(unreadable),
            "history": f"{settings().history_start} to {last_end:%Y-%m-%d}",
            "examples": markdown_table(outside),
        },
    )


def _months_selecting(reader: SourceReader, keys: list[str], ids: pl.Series) -> dict[int, str]:
    """Which of the run's months selected each of `ids` (orders whose date does not read)."""
    wanted, months = ids.to_list(), {}
    for key in keys:
        window = monthly_partitions.time_window_for_partition_key(key)
        months |= dict.fromkeys(reader.read_order_ids(window.start, window.end, wanted), key)
    return months


def _start_of_history() -> dt.datetime:
    return monthly_partitions.time_window_for_partition_key(
        monthly_partitions.get_first_partition_key() or ""
    ).start
