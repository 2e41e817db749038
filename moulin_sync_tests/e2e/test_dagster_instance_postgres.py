"""The repo's production `dagster.yaml`, unchanged, against a real PostgreSQL.

DAGSTER_HOME is a temporary folder holding a copy of the repo's `dagster.yaml`; the
DAGSTER_PG_* variables point at a fresh database. Every read-back goes through a
second instance object (or plain SQL), so nothing is served from memory.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from dagster import AssetKey, DagsterInstance, DagsterRunStatus, materialize
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster._utils.concurrency import ConcurrencySlotStatus
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage
from sqlalchemy.engine import make_url

from moulin_sync.definitions import defs
from moulin_sync.defs.app_du_moulin import assets
from moulin_sync.defs.app_du_moulin.resources import AppDuMoulinSource
from moulin_sync.defs.hubspot.property_schema import property_schema
from moulin_sync.defs.hubspot.resources import HubSpot
from moulin_sync.defs.io_manager import ParquetIOManager
from moulin_sync.defs.resources import SyncSettings
from moulin_sync.sources.app_du_moulin.reader import SourceReader
from moulin_sync.testing.hubspot_emulator import run_hubspot_emulator
from moulin_sync_tests.e2e.conftest import REPO_ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

HUBSPOT_POOL = "hubspot_api"
CUSTOMERS = AssetKey(["app_du_moulin", "customers"])
PICKUP_POINTS = AssetKey(["app_du_moulin", "pickup_points"])
PROPERTY_SCHEMA = AssetKey(["hubspot", "property_schema"])


@pytest.fixture
def database(postgres_database: str) -> str:
    return make_url(postgres_database).database or ""


@pytest.fixture
def production_home(
    postgres_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """DAGSTER_HOME with the repo's dagster.yaml; DAGSTER_PG_* on a fresh database."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    url = make_url(postgres_database)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_PG_HOST", url.host or "127.0.0.1")
    monkeypatch.setenv("DAGSTER_PG_PORT", str(url.port or 5432))
    monkeypatch.setenv("DAGSTER_PG_USER", url.username or "postgres")
    # Trust auth: an empty password must be accepted as "no password".
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", url.password or "")
    monkeypatch.setenv("DAGSTER_PG_DB", url.database or "")
    yield home


def _sql(postgres_database: str, query: str, *params: object) -> list[tuple]:
    url = make_url(postgres_database)
    connection = psycopg2.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password,
        dbname=url.database, connect_timeout=5,
    )  # fmt: skip
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()
    finally:
        connection.close()


def test_production_config_puts_every_storage_in_postgres(
    production_home: Path, postgres_database: str, database: str
) -> None:
    with DagsterInstance.get() as instance:
        assert instance.root_directory == str(production_home)
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        for storage in (
            instance.run_storage,
            instance.event_log_storage,
            instance.schedule_storage,
        ):
            url = make_url(storage.postgres_url)
            assert url.drivername == "postgresql+psycopg2"
            assert url.database == database

        # The rest of dagster.yaml is in force too.
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        concurrency = instance.get_concurrency_config()
        assert concurrency.pool_config.default_pool_limit == 1
        assert concurrency.run_queue_config.max_concurrent_runs == 4
        assert instance.run_retries_enabled
        assert instance.run_retries_max_retries == 2
        # Runs retried whole only when they fail outside a step (defs/retries.py).
        assert instance.run_retries_retry_on_asset_or_op_failure is False
        # Run monitoring runs in the daemon. The default launcher neither checks nor
        # resumes run workers, so it frees the pool slot a dead one held.
        assert instance.run_monitoring_enabled
        assert "MONITORING" in instance.get_required_daemon_types()
        assert not instance.run_launcher.supports_check_run_worker_health
        assert instance.run_monitoring_max_resume_run_attempts == 0
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0
        assert not instance.telemetry_enabled

    # Dagster created its schema in our database, not elsewhere.
    tables = {
        name
        for (name,) in _sql(
            postgres_database,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        )
    }
    assert {"runs", "event_logs", "jobs", "job_ticks", "concurrency_limits"} <= tables


def test_hubspot_pool_runs_one_step_at_a_time(production_home: Path) -> None:
    # The HubSpot-writing assets are in the pool that dagster.yaml limits.
    graph = defs.resolve_asset_graph()
    writers = [key for key in graph.get_all_asset_keys() if key.path[0] == "hubspot"]
    assert {tuple(key.path) for key in writers} >= {("hubspot", "contacts"), ("hubspot", "deals")}
    for key in writers:
        assert graph.get(key).pools == {HUBSPOT_POOL}, key

    with DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        assert storage.supports_global_concurrency_limits
        info = storage.get_concurrency_info(HUBSPOT_POOL)
        assert info.limit == 1
        assert info.using_default_limit

        # What a step's executor does first: create the pool at dagster.yaml's default.
        assert storage.initialize_concurrency_limit_to_default(HUBSPOT_POOL)
        assert storage.get_concurrency_info(HUBSPOT_POOL).slot_count == 1

        # Two runs' HubSpot steps ask for the pool: the second waits for the first.
        first = storage.claim_concurrency_slot(HUBSPOT_POOL, "run-a", "hubspot__contacts")
        second = storage.claim_concurrency_slot(HUBSPOT_POOL, "run-b", "hubspot__companies")
        assert first.slot_status == ConcurrencySlotStatus.CLAIMED
        assert second.slot_status == ConcurrencySlotStatus.BLOCKED

    # Another instance (another process, in production) sees the same slots in PostgreSQL.
    with DagsterInstance.get() as other:
        storage = other.event_log_storage
        info = storage.get_concurrency_info(HUBSPOT_POOL)
        assert info.slot_count == 1
        assert [(s.run_id, s.step_key) for s in info.claimed_slots] == [
            ("run-a", "hubspot__contacts")
        ]
        assert [(s.run_id, s.step_key) for s in info.pending_steps if not s.assigned_timestamp] == [
            ("run-b", "hubspot__companies")
        ]
        storage.free_concurrency_slots_for_run("run-a")
        assert (
            storage.claim_concurrency_slot(HUBSPOT_POOL, "run-b", "hubspot__companies").slot_status
            == ConcurrencySlotStatus.CLAIMED
        )
        storage.free_concurrency_slots_for_run("run-b")
        assert storage.get_concurrency_info(HUBSPOT_POOL).claimed_slots == []


def test_a_run_is_stored_in_postgres_and_read_back(
    production_home: Path, postgres_database: str, source_url: str, tmp_path: Path
) -> None:
    with (
        run_hubspot_emulator() as hs,
        DagsterInstance.get() as instance,
    ):
        result = materialize(
            [assets.customers, assets.pickup_points, property_schema],
            resources={
                "source": AppDuMoulinSource(url=source_url),
                "io_manager": ParquetIOManager(root=str(tmp_path / "data")),
                "hubspot": HubSpot(base_url=hs.base_url, access_token=hs.token, tier="unlimited"),
                "settings": SyncSettings(timezone="Europe/Paris", gdpr_erasure="delete"),
            },
            instance=instance,
        )
        assert result.success
        run_id = result.run_id

    customers = SourceReader(source_url).read_table("customers").height
    assert customers >= 50

    # A second instance object from the same config reads everything back from PostgreSQL.
    with DagsterInstance.get() as reader:
        run = reader.get_run_by_id(run_id)
        assert run is not None
        assert run.status == DagsterRunStatus.SUCCESS
        assert reader.get_run_records()[0].dagster_run.run_id == run_id

        latest = reader.get_latest_materialization_event(CUSTOMERS)
        assert latest is not None
        assert latest.run_id == run_id
        assert latest.asset_materialization is not None
        assert latest.asset_materialization.metadata["dagster/row_count"].value == customers
        for key in (PICKUP_POINTS, PROPERTY_SCHEMA):
            event = reader.get_latest_materialization_event(key)
            assert event is not None and event.run_id == run_id, key

        # The HubSpot step went through the pool: it created it at the default limit
        # and gave its slot back.
        info = reader.event_log_storage.get_concurrency_info(HUBSPOT_POOL)
        assert info.slot_count == 1
        assert info.claimed_slots == []

    # And it is really PostgreSQL that holds them.
    assert _sql(postgres_database, "SELECT status FROM runs WHERE run_id = %s", run_id) == [
        ("SUCCESS",)
    ]
    materialized = _sql(
        postgres_database,
        "SELECT asset_key FROM event_logs WHERE run_id = %s "
        "AND dagster_event_type = 'ASSET_MATERIALIZATION' ORDER BY asset_key",
        run_id,
    )
    assert [key for (key,) in materialized] == sorted(
        key.to_string() for key in (CUSTOMERS, PICKUP_POINTS, PROPERTY_SCHEMA)
    )
