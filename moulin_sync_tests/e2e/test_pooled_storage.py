"""The production instance's storage (moulin_sync/runs/storage.py), against a real
PostgreSQL: a run's events go through one kept connection, and a step's materializations
of many months are stored in one batch."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from dagster import (
    AssetExecutionContext,
    DagsterInstance,
    MonthlyPartitionsDefinition,
    asset,
    materialize,
)
from sqlalchemy.engine import make_url

from moulin_sync.runs.storage import EVENT_BATCH_VARIABLE, PooledPostgresStorage
from moulin_sync_tests.e2e.conftest import REPO_ROOT

pytestmark = [pytest.mark.postgres]

MONTHS = MonthlyPartitionsDefinition(start_date="2024-01-01", end_date="2026-01-01")


@asset(partitions_def=MONTHS)
def monthly(context: AssetExecutionContext) -> None:
    for month in context.partition_keys:
        context.add_asset_metadata({"month": month}, partition_key=month)


@pytest.fixture
def production_instance(
    postgres_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DagsterInstance]:
    """The repo's dagster.yaml on a fresh database; the batch size as the storage sets it."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    url = make_url(postgres_database)
    monkeypatch.delenv(EVENT_BATCH_VARIABLE, raising=False)
    for name, value in {
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_HOST": url.host or "127.0.0.1",
        "DAGSTER_PG_PORT": str(url.port or 5432),
        "DAGSTER_PG_USER": url.username or "postgres",
        "DAGSTER_PG_PASSWORD": url.password or "",
        "DAGSTER_PG_DB": url.database or "",
    }.items():
        monkeypatch.setenv(name, value)
    with DagsterInstance.get() as instance:
        yield instance


def _sessions(postgres_database: str) -> int:
    """Connections PostgreSQL has accepted to the database so far (pg_stat_database)."""
    url = make_url(postgres_database)
    connection = psycopg2.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password,
        dbname="postgres", connect_timeout=5,
    )  # fmt: skip
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT sessions FROM pg_stat_database WHERE datname = %s", (url.database,)
            )
            (count,) = cursor.fetchone()
            return int(count)
    finally:
        connection.close()


def test_the_production_instance_uses_it(production_instance: DagsterInstance) -> None:
    storage = production_instance.get_ref().storage_data
    assert storage is not None
    assert (storage.module_name, storage.class_name) == (
        PooledPostgresStorage.__module__,
        PooledPostgresStorage.__name__,
    )
    assert os.environ[EVENT_BATCH_VARIABLE] == "1000"


def test_a_run_stores_its_events_through_one_connection(
    production_instance: DagsterInstance, postgres_database: str
) -> None:
    before = _sessions(postgres_database)
    result = materialize([monthly], instance=production_instance, partition_key="2025-06-01")
    assert result.success
    events = production_instance.all_logs(result.run_id)
    assert len(events) > 10
    # One kept per storage (runs, events, schedules) and one more while two threads write;
    # stock, every event opens connections of its own (37 for this run's 12 events).
    assert _sessions(postgres_database) - before <= 5


def test_the_months_of_a_step_are_stored_in_one_batch(
    production_instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = production_instance.event_log_storage
    batches: list[int] = []
    store_batch = storage.store_event_batch

    def counted(events: list) -> None:
        batches.append(len(events))
        store_batch(events)

    monkeypatch.setattr(storage, "store_event_batch", counted)
    months = MONTHS.get_partition_keys()
    result = materialize(
        [monthly],
        instance=production_instance,
        tags={
            "dagster/asset_partition_range_start": months[0],
            "dagster/asset_partition_range_end": months[-1],
        },
    )
    assert result.success
    assert len(result.get_asset_materialization_events()) == len(months) == 24
    # The step's 24 materializations (and the 24 planned at the run's start) in one each.
    assert batches.count(len(months)) >= 1
    assert sum(batches) >= len(months)
