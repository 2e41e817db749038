"""Source assets against SQLite and a real PostgreSQL, on the same generated data."""

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from dagster import DagsterInstance, materialize

from moulin_sync.defs.app_du_moulin import assets, checks
from moulin_sync.defs.resources import AppDuMoulinSource, Snapshots
from moulin_sync.demo_data.generator import generate
from moulin_sync.lib.parquet_store import ParquetStore
from moulin_sync.sources.app_du_moulin import quality
from moulin_sync.sources.app_du_moulin.reader import SourceError, SourceReader

TODAY = dt.date(2026, 11, 27)
SIZES = {"customers": 400, "companies": 12, "orders": 3_000}
SOURCE_ASSETS = [
    assets.pickup_points,
    assets.customers,
    assets.companies,
    assets.company_contacts,
    assets.orders,
]
SOURCE_CHECKS = [checks.customers_have_unique_emails, checks.customers_have_valid_emails]


@pytest.fixture(scope="module")
def sqlite_source(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('source') / 'app.db'}"
    generate(url, **SIZES, seed=7, dirty_rate=0.03, today=TODAY)
    return url


@pytest.fixture
def postgres_source(postgres_database: str) -> str:
    generate(postgres_database, **SIZES, seed=7, dirty_rate=0.03, today=TODAY)
    return postgres_database


def _materialize(url: str, data_dir: Path, start: str, end: str):
    with DagsterInstance.ephemeral() as instance:
        return materialize(
            [*SOURCE_ASSETS, *SOURCE_CHECKS],
            resources={
                "source": AppDuMoulinSource(url=url),
                "snapshots": Snapshots(root=str(data_dir)),
            },
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": start,
                "dagster/asset_partition_range_end": end,
            },
        )


def test_both_dialects_read_the_same_tables(sqlite_source: str, postgres_source: str) -> None:
    lite, postgres = SourceReader(sqlite_source), SourceReader(postgres_source)
    for table in ("pickup_points", "customers", "companies", "company_contacts", "orders"):
        left, right = lite.read_table(table), postgres.read_table(table)
        assert left.schema == right.schema, table
        assert left.height > 0, table
        assert left.equals(right), f"{table} differs between SQLite and PostgreSQL"


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_source_assets_snapshot_every_table_and_month(
    dialect: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = request.getfixturevalue(f"{'sqlite' if dialect == 'sqlite' else 'postgres'}_source")
    result = _materialize(url, tmp_path, "2024-01-01", "2024-06-01")
    assert result.success
    reader = SourceReader(url)
    store = ParquetStore(tmp_path)
    rows = {
        "/".join(m.asset_key.path): m.metadata["dagster/row_count"].value
        for m in (e.materialization for e in result.get_asset_materialization_events())
        if m is not None
    }
    for table in ("pickup_points", "customers", "companies", "company_contacts"):
        expected = reader.read_table(table)
        assert rows[f"app_du_moulin/{table}"] == expected.height
        assert store.read(["app_du_moulin", table]).equals(expected)
    months = [f"2024-{m:02d}-01" for m in range(1, 7)]
    assert store.partitions(["app_du_moulin", "orders"]) == months
    snapshot = store.read_partitions(["app_du_moulin", "orders"], months)
    window = reader.read_orders(
        dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        dt.datetime(2024, 7, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    )
    assert rows["app_du_moulin/orders"] == window.height == snapshot.height
    assert snapshot.sort("id").equals(window.sort("id"))
    # Each month's snapshot holds exactly the orders placed that month, Paris time.
    march = store.read(["app_du_moulin", "orders"], "2024-03-01")
    local = march["ordered_at"].dt.convert_time_zone("Europe/Paris")
    assert local.dt.month().unique().to_list() == [3]


def test_source_checks_count_the_dirt(sqlite_source: str, tmp_path: Path) -> None:
    result = _materialize(sqlite_source, tmp_path, "2019-01-01", "2026-11-01")
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    customers = SourceReader(sqlite_source).read_table("customers")
    orders = SourceReader(sqlite_source).read_table("orders")

    duplicates = evaluations["customers_have_unique_emails"]
    assert not duplicates.passed
    assert duplicates.severity.value == "WARN"
    assert (
        duplicates.metadata["duplicated_emails"].value
        == quality.duplicate_emails(customers).height
        > 0
    )

    invalid = evaluations["customers_have_valid_emails"]
    assert not invalid.passed
    expected_invalid = quality.invalid_emails(customers)
    assert invalid.metadata["customers_with_bad_email"].value == expected_invalid.height > 0
    assert invalid.metadata["missing email"].value > 0
    assert invalid.metadata["invalid email syntax"].value > 0

    orphans = evaluations["orders_have_live_customers"]
    assert not orphans.passed
    expected = quality.orders_without_live_customer(orders, customers)
    in_history = expected.filter(pl.col("ordered_at") < dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    missing = orphans.metadata["orders_with_missing_customer"].value
    erased = orphans.metadata["orders_with_erased_customer"].value
    assert missing > 0 and erased > 0
    assert missing + erased == in_history.height

    outside = evaluations["orders_are_dated_within_history"]
    assert not outside.passed
    assert outside.metadata["orders_outside_history"].value > 0


def test_clean_source_passes_every_check(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'clean.db'}"
    generate(url, customers=200, companies=5, orders=800, seed=3, dirty_rate=0.0, today=TODAY)
    result = _materialize(url, tmp_path / "data", "2019-01-01", "2026-11-01")
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 4
    assert all(e.passed for e in evaluations), [e.check_name for e in evaluations if not e.passed]


def test_missing_database_names_the_variable_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        SourceReader(f"sqlite:///{tmp_path / 'nope.db'}").check()
    message = str(caught.value)
    assert message.startswith("MOULIN_SOURCE_URL:")
    assert "moulin-sync demo-data" in message
    assert not (tmp_path / "nope.db").exists(), "checking must not create the database"


def test_unreachable_postgres_names_the_variable_and_hides_the_password() -> None:
    url = "postgresql://moulin:s3cret-pass@127.0.0.1:1/moulin"
    with pytest.raises(SourceError) as caught:
        SourceReader(url).check()
    message = str(caught.value)
    assert message.startswith("MOULIN_SOURCE_URL: cannot connect")
    assert "s3cret-pass" not in message
    assert "***" in message


def test_wrong_database_lists_the_missing_tables(postgres_database: str) -> None:
    with pytest.raises(SourceError, match="missing tables: pickup_points, customers"):
        SourceReader(postgres_database).check()
