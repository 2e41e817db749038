"""The nightly schedule runs what changed, whatever its month; the weekly one, everything."""

import datetime as dt
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dagster import DagsterInstance, build_schedule_context

from moulin_sync.defs.partitions import monthly_partitions
from moulin_sync.defs.schedules import nightly_sync_schedule, weekly_full_sync_schedule
from moulin_sync.demo_data.generator import generate
from moulin_sync.hubspot.sync.state import SyncState

PARIS = ZoneInfo("Europe/Paris")
SYNCED_AT = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)


@pytest.fixture
def source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "app.db"
    generate(f"sqlite:///{path}", customers=60, companies=3, orders=600, seed=5,
             dirty_rate=0.0, today=dt.date(2026, 11, 27))  # fmt: skip
    monkeypatch.setenv("MOULIN_SOURCE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("MOULIN_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    return path


def _synced(tmp_path: Path, months: list[str], as_of: dt.datetime = SYNCED_AT) -> None:
    with SyncState(f"sqlite:///{tmp_path / 'state.db'}") as state:
        state.record_months_synced("deals", months, as_of)


def _tick(local: dt.datetime, schedule=nightly_sync_schedule) -> list[dict[str, str]]:
    with DagsterInstance.ephemeral() as instance:
        context = build_schedule_context(
            instance=instance, scheduled_execution_time=local.replace(tzinfo=PARIS)
        )
        result = schedule.evaluate_tick(context)
    return [request.tags for request in result.run_requests or []]


def _ranges(tags: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [
        (t["dagster/asset_partition_range_start"], t["dagster/asset_partition_range_end"])
        for t in tags
    ]


def _sql(source: Path, statement: str, *parameters: object) -> None:
    with sqlite3.connect(source) as connection:
        connection.execute(statement, parameters)


@pytest.mark.parametrize(
    ("local_run_time", "expected"),
    [
        (dt.datetime(2026, 11, 27, 2, 0), ("2026-10-01", "2026-11-01")),
        (dt.datetime(2026, 1, 1, 2, 0), ("2025-12-01", "2026-01-01")),
        # DST starts (02:00 does not exist) and ends (02:00 happens once, after 03:00 CEST).
        (dt.datetime(2026, 3, 29, 3, 0), ("2026-02-01", "2026-03-01")),
        (dt.datetime(2026, 10, 25, 2, 0), ("2026-09-01", "2026-10-01")),
    ],
)
def test_a_quiet_night_runs_the_previous_and_current_month(
    source: Path, tmp_path: Path, local_run_time: dt.datetime, expected: tuple[str, str]
) -> None:
    _synced(
        tmp_path, monthly_partitions.get_partition_keys(), dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    )
    assert _ranges(_tick(local_run_time)) == [expected]


def test_a_refund_months_ago_lands_the_next_night(source: Path, tmp_path: Path) -> None:
    _synced(tmp_path, monthly_partitions.get_partition_keys())
    [(order,)] = list(sqlite3.connect(source).execute(
        "SELECT id FROM orders WHERE ordered_at >= '2025-03-05' AND ordered_at < '2025-03-25' "
        "ORDER BY id LIMIT 1"
    ))  # fmt: skip
    _sql(source, "UPDATE orders SET status = 'refunded', updated_at = '2026-11-29 10:00:00' "
         "WHERE id = ?", order)  # fmt: skip
    tags = _tick(dt.datetime(2026, 11, 30, 2, 0))
    assert _ranges(tags) == [("2025-03-01", "2025-03-01"), ("2026-10-01", "2026-11-01")]
    assert "1 order(s) changed since 2026-11-28 01:00" in tags[0]["moulin/why"]


def test_a_changed_customer_brings_the_months_of_their_orders(source: Path, tmp_path: Path) -> None:
    _synced(tmp_path, monthly_partitions.get_partition_keys())
    connection = sqlite3.connect(source)
    customer, months = next(
        (c, m)
        for c, m in connection.execute(
            "SELECT customer_id, group_concat(DISTINCT substr(ordered_at, 1, 7)) FROM orders "
            "WHERE company_id IS NULL AND ordered_at < '2026-09-01' GROUP BY customer_id"
        )
    )
    _sql(source, "UPDATE customers SET deleted_at = '2026-11-29 10:00:00', "
         "updated_at = '2026-11-29 10:00:00' WHERE id = ?", customer)  # fmt: skip
    ranges = _ranges(_tick(dt.datetime(2026, 11, 30, 2, 0)))
    wanted = {f"{m}-01" for m in months.split(",")}
    covered = {
        key
        for first, last in ranges
        for key in monthly_partitions.get_partition_keys()
        if first <= key <= last
    }
    assert wanted <= covered
    # Nothing else: the months of the erased customer's orders, and the usual two.
    assert covered == wanted | {"2026-10-01", "2026-11-01"}


def test_a_month_never_synced_is_synced_and_said_so(source: Path, tmp_path: Path) -> None:
    keys = monthly_partitions.get_partition_keys()
    _synced(tmp_path, [k for k in keys if k != "2024-06-01"])
    tags = _tick(dt.datetime(2026, 11, 30, 2, 0))
    assert _ranges(tags)[0] == ("2024-06-01", "2024-06-01")
    assert "never synced" in tags[0]["moulin/why"]


def test_the_weekly_run_covers_the_whole_history(source: Path) -> None:
    [tags] = _tick(dt.datetime(2026, 11, 29, 3, 0), weekly_full_sync_schedule)
    assert _ranges([tags]) == [("2019-01-01", "2026-11-01")]
    assert weekly_full_sync_schedule.cron_schedule == "0 3 * * 0"


def test_the_schedules_are_on_from_the_start() -> None:
    from dagster import DefaultScheduleStatus

    for schedule in (nightly_sync_schedule, weekly_full_sync_schedule):
        assert schedule.default_status == DefaultScheduleStatus.RUNNING, schedule.name


def test_the_production_instance_shows_no_community_pop_up() -> None:
    import yaml

    config = yaml.safe_load((Path(__file__).parents[2] / "dagster.yaml").read_text())
    assert config["nux"] == {"enabled": False}
