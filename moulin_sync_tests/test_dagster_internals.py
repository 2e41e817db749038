"""What moulin-sync still takes from Dagster's private modules, pinned: each name in
moulin_sync/lib/dagster_internals.py still exists and still does what moulin-sync uses it
for, and the run statuses and tags moulin-sync names itself still match Dagster's. After
a Dagster upgrade, a failure here says which one moved or changed."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import inspect
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster
import pytest
from dagster import (
    AssetCheckKey,
    AssetKey,
    DagsterInstance,
    DagsterRunStatus,
    in_process_executor,
    job,
    op,
)

from moulin_sync.lib import dagster_internals as internals
from moulin_sync.runs import statuses, tags
from moulin_sync.runs.launch import InProcessJob
from moulin_sync.runs.origin import LOCATION, job_origin

SOURCE = Path(internals.__file__)
PARIS = ZoneInfo("Europe/Paris")


def _private_names() -> list[tuple[str, str]]:
    """(module, name) of each import in the internals module, read from its source."""
    tree = ast.parse(SOURCE.read_text())
    return [
        (node.module, alias.name)
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    ]


@pytest.mark.parametrize(("module", "name"), _private_names(), ids=lambda v: v)
def test_each_private_name_is_still_there(module: str, name: str) -> None:
    assert module.startswith("dagster._"), f"{name}: a public name belongs where it is used"
    try:
        getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        pytest.fail(
            f"Dagster {dagster.__version__} moved {module}.{name} ({exc}): import it from "
            f"where it went, or its public replacement, in {SOURCE.name}"
        )


# Runs launched outside the webserver ------------------------------------------------


@op
def _say_done() -> str:
    return "done"


@job(executor_def=in_process_executor)
def tiny() -> None:
    _say_done()


def test_runs_carry_the_workspace_code_location_as_origin() -> None:
    origin = job_origin("nightly_sync")
    assert internals.SINGLETON_REPOSITORY_NAME == "__repository__"
    assert origin.job_name == "nightly_sync"
    assert origin.repository_origin.get_label() == f"__repository__@{LOCATION}"
    assert origin.repository_origin.code_location_origin.location_name == LOCATION
    target = origin.repository_origin.code_location_origin.loadable_target_origin
    assert target.module_name == "moulin_sync.definitions"


def test_a_job_loads_from_the_workspace_module_by_name() -> None:
    loaded = InProcessJob.load("housekeeping")
    assert isinstance(loaded.recon, internals.ReconstructableJob)
    assert loaded.recon.job_name == loaded.definition.name == "housekeeping"
    assert loaded.recon.get_python_origin().job_name == "housekeeping"


def test_a_created_run_executes_in_this_process() -> None:
    recon = dagster.reconstructable(tiny)
    assert list(inspect.signature(internals.execute_run_iterator).parameters)[:3] == [
        "job",
        "dagster_run",
        "instance",
    ]
    with DagsterInstance.ephemeral() as instance:
        run = instance.create_run_for_job(
            tiny, remote_job_origin=job_origin("tiny"), job_code_origin=recon.get_python_origin()
        )
        events = list(internals.execute_run_iterator(recon, run, instance))
        done = instance.get_run_by_id(run.run_id)
    assert any(event.is_successful_output for event in events)
    assert done is not None and done.status == DagsterRunStatus.SUCCESS
    assert done.remote_job_origin == job_origin("tiny")


# The rest ---------------------------------------------------------------------------


def test_a_check_history_filters_by_completed_status() -> None:
    status = internals.AssetCheckExecutionRecordStatus
    key = AssetCheckKey(AssetKey(["hubspot", "deals"]), "no_duplicate_deals")
    with DagsterInstance.ephemeral() as instance:
        history = instance.event_log_storage.get_asset_check_execution_history(
            key, limit=1, status={status.SUCCEEDED, status.FAILED}
        )
    assert history == []


def test_cron_strings_are_checked_as_the_schedule_does() -> None:
    assert internals.is_valid_cron_string("0 2 * * *")
    assert internals.is_valid_cron_string("30 1 * * 1-5")
    for wrong in ("0 2 * *", "0 2 * * * *", "every night", "0 25 * * *", "0 0 30 2 *"):
        assert not internals.is_valid_cron_string(wrong), wrong


def test_cron_ticks_follow_the_time_zone() -> None:
    start = dt.datetime(2026, 3, 28, 12, tzinfo=PARIS).timestamp()
    ticks = internals.cron_string_iterator(start, "0 2 * * *", "Europe/Paris", start_offset=0)
    first, second = next(ticks), next(ticks)
    assert first.tzinfo is not None
    # The night the clocks skip 02:00, the tick is at 03:00.
    assert [(t.day, t.hour) for t in (first.astimezone(PARIS), second.astimezone(PARIS))] == [
        (29, 3),
        (30, 2),
    ]


def test_run_status_groups_match_dagsters() -> None:
    from dagster._core.storage.dagster_run import FINISHED_STATUSES, IN_PROGRESS_RUN_STATUSES

    assert set(FINISHED_STATUSES) == statuses.FINISHED
    assert set(IN_PROGRESS_RUN_STATUSES) == statuses.IN_PROGRESS


def test_run_tags_match_dagsters() -> None:
    from dagster._core.storage import tags as dagster_tags

    ours = {name: value for name, value in vars(tags).items() if name.endswith("_TAG")}
    assert ours, "runs/tags.py names no tag"
    for name, value in ours.items():
        assert getattr(dagster_tags, name, None) == value, f"Dagster's {name} is no more {value}"
