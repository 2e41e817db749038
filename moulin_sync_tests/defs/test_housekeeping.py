"""Housekeeping deletes the finished runs older than the retention age, and only those."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, job, op

from moulin_sync.defs.housekeeping import delete_old_runs, housekeeping, housekeeping_schedule


@op
def noop() -> None:
    return None


@job
def tiny() -> None:
    noop()


def _backdate(home: Path, run_id: str, days: int) -> None:
    """What a run finished `days` ago looks like in the run storage."""
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).replace(tzinfo=None)
    with sqlite3.connect(home / "history" / "runs.db") as db:
        db.execute(
            "UPDATE runs SET create_timestamp = ?, update_timestamp = ? WHERE run_id = ?",
            (when, when, run_id),
        )


def test_old_finished_runs_and_their_events_go_recent_and_running_ones_stay(
    tmp_path: Path,
) -> None:
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        old = tiny.execute_in_process(instance=instance).run_id
        recent = tiny.execute_in_process(instance=instance).run_id
        going = instance.create_run_for_job(tiny, run_config={}).run_id
        for run_id in (old, going):
            _backdate(tmp_path, run_id, days=120)
        _backdate(tmp_path, recent, days=30)
        assert instance.all_logs(old)

        result = housekeeping.execute_in_process(
            instance=instance,
            run_config={"ops": {"delete_expired_runs": {"config": {"keep_days": 90}}}},
        )
        assert result.success
        assert instance.get_run_by_id(old) is None
        assert not instance.all_logs(old), "the run's event log stayed behind"
        assert instance.get_run_by_id(recent) is not None
        going_run = instance.get_run_by_id(going)
        assert going_run is not None and going_run.status == DagsterRunStatus.NOT_STARTED
        [output] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
        assert output.event_specific_data.metadata["runs_deleted"].value == 1
        # The housekeeping run itself is recent: a second pass deletes nothing.
        assert delete_old_runs(instance, keep_days=90) == 0


def test_the_schedule_is_on_every_night_after_the_sync() -> None:
    assert housekeeping_schedule.cron_schedule == "0 4 * * *"
    assert housekeeping_schedule.default_status.value == "RUNNING"
