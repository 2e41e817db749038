"""Run the nightly job from the command line, outside the Dagster daemon.

`moulin-sync sync` and `make demo` use it: the same job, assets and checks as the
schedule, on the Dagster instance of DAGSTER_HOME (an in-memory one when unset).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dagster import (
    AssetCheckSeverity,
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
)

from moulin_sync.runs.failures import failure_reason
from moulin_sync.runs.launch import InProcessJob, quiet_dagster
from moulin_sync.runs.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

JOB = "nightly_sync"
# Steps run in the run's process (the executor of every job); step logs stay in the
# instance, the terminal gets the progress and the summary.
RUN_CONFIG = {
    "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
}


@dataclass
class RunSummary:
    run_id: str
    success: bool
    partitions: tuple[str, str]
    assets: dict[str, dict[str, Any]] = field(default_factory=dict)
    checks: list[tuple[str, bool, dict[str, Any]]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    # Checks that failed with ERROR severity (the source checks only warn).
    blocking_failures: set[str] = field(default_factory=set)


def _values(metadata: Mapping[str, Any]) -> dict[str, Any]:
    return {name: getattr(value, "value", value) for name, value in metadata.items()}


def run_nightly_sync(
    first: str | None = None,
    last: str | None = None,
    *,
    instance: DagsterInstance | None = None,
    view: RunView | None = None,
) -> RunSummary:
    """Run `nightly_sync` over the months [first, last] (default: the whole history),
    in this process, as a run of the job itself: the UI lists it under the job, as the
    schedule's runs. `view` is told each event as it happens (progress)."""
    quiet_dagster()
    from moulin_sync.defs.partitions import monthly_partitions

    keys = monthly_partitions.get_partition_keys()
    first, last = first or keys[0], last or keys[-1]
    tags = {
        ASSET_PARTITION_RANGE_START_TAG: first,
        ASSET_PARTITION_RANGE_END_TAG: last,
        "moulin/started_by": "moulin-sync",
    }
    owned = instance is None
    if instance is None:
        instance = (
            DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
        )
    try:
        events, run_id = _execute(instance, tags, view or RunView())
        run = instance.get_run_by_id(run_id)
        success = run is not None and run.status == DagsterRunStatus.SUCCESS
    finally:
        if owned:
            instance.dispose()
    return _summary(run_id, success, (first, last), events)


class RunView:
    """What a command shows while its run goes on; this one shows nothing."""

    def __enter__(self) -> RunView:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def event(self, event: DagsterEvent) -> None:
        return None


def _execute(
    instance: DagsterInstance, tags: Mapping[str, str], view: RunView
) -> tuple[list[DagsterEvent], str]:
    job = InProcessJob.load(JOB)
    run = job.create_run(instance, run_config=RUN_CONFIG, tags=tags)
    events = []
    with view:
        for event in job.execute(run, instance):
            events.append(event)
            view.event(event)
    return events, run.run_id


def _summary(
    run_id: str, success: bool, partitions: tuple[str, str], events: list[DagsterEvent]
) -> RunSummary:
    from moulin_sync.defs.hubspot.reports import run_figures

    summary = RunSummary(run_id=run_id, success=success, partitions=partitions)
    for event in events:
        if event.is_step_materialization:
            materialization = event.step_materialization_data.materialization
            key = "/".join(materialization.asset_key.path)
            # A monthly asset reports each month's figures, and the run's under `run_`.
            summary.assets[key] = run_figures(_values(materialization.metadata))
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.asset_check_evaluation_data
            summary.checks.append(
                (evaluation.check_name, evaluation.passed, _values(evaluation.metadata))
            )
            if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR:
                summary.blocking_failures.add(evaluation.check_name)
        elif event.is_step_failure:
            summary.failures.append(f"{event.step_key}: {failure_reason(event)}")
        elif event.is_run_failure and getattr(event.event_specific_data, "error", None):
            summary.failures.append(f"the run: {failure_reason(event)}")
    return summary
