"""Run the nightly job from the command line, outside the Dagster daemon.

`moulin-sync sync` and `make demo` use it: the same job, assets and checks as the
schedule, on the Dagster instance of DAGSTER_HOME (an in-memory one when unset).
"""

from __future__ import annotations

import os
import sys
import warnings
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
from dagster._core.definitions.reconstruct import ReconstructableRepository
from dagster._core.definitions.repository_definition.valid_definitions import (
    SINGLETON_REPOSITORY_NAME,
)
from dagster._core.remote_origin import (
    ManagedGrpcPythonEnvCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

JOB = "nightly_sync"
# The code location of workspace.yaml.
MODULE, LOCATION = "moulin_sync.definitions", "moulin_sync"
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


def failure_reason(event: Any) -> str:
    """Why a step failed, in one line: the error our code raised, not Dagster's wrapper
    ("Execution of step ... failed"), nor the stack. Our errors never carry a secret
    (the HubSpot client redacts the token; URLs are shown with their password as ***)."""
    data = event.step_failure_data if event.is_step_failure else None
    # A run that fails outside any step (a resource that cannot start) carries the error.
    error = data.error if data is not None else getattr(event.event_specific_data, "error", None)
    # Dagster's wrappers, and the Failure our steps raise for a failure not worth a retry,
    # carry our error as their cause.
    while (
        error is not None
        and error.cause is not None
        and (error.cls_name.startswith("Dagster") or error.cls_name == "Failure")
    ):
        error = error.cause
    if error is None:
        return str(event.message or "failed")
    text = error.message.strip().splitlines()[0] if error.message.strip() else error.cls_name
    return text[:1000]


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
    warnings.filterwarnings("ignore", category=UserWarning, module="dagster")
    warnings.filterwarnings("ignore", message=".*is currently in (beta|preview).*")
    from moulin_sync.defs.partitions import monthly_partitions

    keys = monthly_partitions.get_partition_keys()
    first, last = first or keys[0], last or keys[-1]
    tags = {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
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


def job_origin(name: str) -> RemoteJobOrigin:
    """The job as the code location of workspace.yaml serves it, so that the run is
    listed under the job (by its repository label) like a scheduled run."""
    target = LoadableTargetOrigin(
        executable_path=sys.executable, module_name=MODULE, working_directory=os.getcwd()
    )
    location = ManagedGrpcPythonEnvCodeLocationOrigin(target, LOCATION)
    return RemoteJobOrigin(RemoteRepositoryOrigin(location, SINGLETON_REPOSITORY_NAME), name)


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
    from dagster._core.execution.api import execute_run_iterator

    from moulin_sync.definitions import defs

    recon = ReconstructableRepository.for_module(MODULE, "defs", os.getcwd())
    job = recon.get_reconstructable_job(JOB)
    run = instance.create_run_for_job(
        defs.resolve_job_def(JOB),
        run_config=RUN_CONFIG,
        tags=tags,
        remote_job_origin=job_origin(JOB),
        job_code_origin=job.get_python_origin(),
    )
    events = []
    with view:
        for event in execute_run_iterator(job, run, instance):
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
