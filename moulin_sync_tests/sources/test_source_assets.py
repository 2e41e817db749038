"""Source assets against SQLite and a real PostgreSQL, on the same generated data."""

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from dagster import DagsterInstance, materialize

from moulin_sync.defs.app_du_moulin import assets, checks
from moulin_sync.defs.app_du_moulin.resources import AppDuMoulinSource
from moulin_sync.defs.io_manager import ParquetIOManager, published_path
from moulin_sync.defs.resources import SyncSettings
from moulin_sync.demo_data.generator import generate
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
                "settings": SyncSettings(timezone="Europe/Paris", gdpr_erasure="archive"),
                "io_manager": ParquetIOManager(root=str(data_dir)),
            },
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": start,
                "dagster/asset_partition_range_end": end,
            },
        )


def snapshot(root: Path, table: str, partition: str | None = None) -> pl.DataFrame:
    """What a source asset handed on (its published Parquet file)."""
    return pl.read_parquet(published_path(root, ["app_du_moulin", table], ".parquet", partition))


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
    rows = {
        "/".join(m.asset_key.path): m.metadata["dagster/row_count"].value
        for m in (e.materialization for e in result.get_asset_materialization_events())
        if m is not None
    }
    for table in ("pickup_points", "customers", "companies", "company_contacts"):
        expected = reader.read_table(table)
        assert rows[f"app_du_moulin/{table}"] == expected.height
        assert snapshot(tmp_path, table).equals(expected)
    months = [f"2024-{m:02d}-01" for m in range(1, 7)]
    folder = tmp_path / "app_du_moulin" / "orders"
    assert sorted(path.stem for path in folder.glob("*.parquet")) == months
    monthly = pl.concat([snapshot(tmp_path, "orders", month) for month in months])
    window = reader.read_orders(
        dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        dt.datetime(2024, 7, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    )
    assert window.height == monthly.height
    # Each month's materialization counts that month's orders; the run's total is named so.
    by_month = {
        m.partition: m.metadata
        for m in (e.materialization for e in result.get_asset_materialization_events())
        if m.asset_key.path == ["app_du_moulin", "orders"]
    }
    assert sorted(by_month) == months
    for month, metadata in by_month.items():
        assert metadata["dagster/row_count"].value == snapshot(tmp_path, "orders", month).height
        assert metadata["run_orders"].value == window.height
    assert monthly.drop("partition_key").sort("id").equals(window.sort("id"))
    # Each month's snapshot holds exactly the orders placed that month, Paris time.
    march = snapshot(tmp_path, "orders", "2024-03-01")
    assert march["partition_key"].unique().to_list() == ["2024-03-01"]
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


def test_one_customer_is_read_alone_in_both_dialects(
    sqlite_source: str, postgres_source: str
) -> None:
    """What a refresh reads: the customer, their company and every order of either."""
    lite, postgres = SourceReader(sqlite_source), SourceReader(postgres_source)
    links = lite.read_table("company_contacts")
    b2b = int(links["customer_id"][0])
    for customer_id in (b2b, 1, 987_654_321):
        mine, theirs = lite.read_customer(customer_id), postgres.read_customer(customer_id)
        for table, frame in mine.items():
            assert frame.equals(theirs[table]), (customer_id, table)
        companies = links.filter(pl.col("customer_id") == customer_id)["company_id"].to_list()
        orders = lite.read_table("orders").filter(
            (pl.col("customer_id") == customer_id) | pl.col("company_id").is_in(companies)
        )
        assert mine["orders"].sort("id").equals(orders)
        assert mine["customers"]["id"].to_list() == ([customer_id] if customer_id < 10**6 else [])
        assert mine["companies"]["id"].to_list() == sorted(companies)
    assert lite.read_customer(b2b)["companies"].height == 1
    with pytest.raises(ValueError):
        lite.read_customer("1 OR 1=1")  # type: ignore[arg-type]
