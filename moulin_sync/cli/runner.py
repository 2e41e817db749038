"""Run the nightly job from the command line, outside the Dagster daemon.

`moulin-sync sync` and `make demo` use it: the same job, assets and checks as the
schedule, on the Dagster instance of DAGSTER_HOME (an in-memory one when unset).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dagster import AssetCheckSeverity, DagsterInstance


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
    while error is not None and error.cls_name.startswith("Dagster") and error.cause is not None:
        error = error.cause
    if error is None:
        return str(event.message or "failed")
    text = error.message.strip().splitlines()[0] if error.message.strip() else error.cls_name
    return text[:1000]


def run_nightly_sync(
    first: str | None = None, last: str | None = None, *, instance: DagsterInstance | None = None
) -> RunSummary:
    """Run `nightly_sync` over the months [first, last] (default: the whole history)."""
    warnings.filterwarnings("ignore", category=UserWarning, module="dagster")
    warnings.filterwarnings("ignore", message=".*is currently in (beta|preview).*")
    from moulin_sync.definitions import defs
    from moulin_sync.defs.partitions import monthly_partitions

    keys = monthly_partitions.get_partition_keys()
    first, last = first or keys[0], last or keys[-1]
    job = defs.resolve_job_def("nightly_sync")
    owned = instance is None
    if instance is None:
        instance = (
            DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
        )
    try:
        result = job.execute_in_process(
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": first,
                "dagster/asset_partition_range_end": last,
            },
            raise_on_error=False,
            # Step logs stay in the instance; the terminal gets the summary (a failure
            # there in one line, its stack in the run's logs).
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
        )
    finally:
        if owned:
            instance.dispose()
    summary = RunSummary(run_id=result.run_id, success=result.success, partitions=(first, last))
    for event in result.get_asset_materialization_events():
        key = "/".join(event.materialization.asset_key.path)
        values = _values(event.materialization.metadata)
        # A partitioned asset reports once per partition with the same figures: keep one.
        summary.assets[key] = values
    for evaluation in result.get_asset_check_evaluations():
        summary.checks.append(
            (evaluation.check_name, evaluation.passed, _values(evaluation.metadata))
        )
        if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR:
            summary.blocking_failures.add(evaluation.check_name)
    for event in result.all_events:
        if event.is_step_failure:
            summary.failures.append(f"{event.step_key}: {failure_reason(event)}")
        elif event.is_run_failure and getattr(event.event_specific_data, "error", None):
            summary.failures.append(f"the run: {failure_reason(event)}")
    return summary
