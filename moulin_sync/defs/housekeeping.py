"""Housekeeping: runs, and their event logs, older than the retention age are deleted.

Dagster's own `retention` setting purges schedule and sensor ticks only; runs and their
events would grow for ever. Every night at 04:00 (after the sync), the `housekeeping` job
deletes the finished runs last updated more than `MOULIN_RUN_RETENTION_DAYS` (default 90)
days ago — a run still going is never touched — a batch at a time.
"""

import datetime as dt

from dagster import (
    Config,
    DagsterInstance,
    DefaultScheduleStatus,
    OpExecutionContext,
    Output,
    RunsFilter,
    ScheduleDefinition,
    job,
    op,
)
from pydantic import Field

from moulin_sync.defs.partitions import monthly_partitions
from moulin_sync.runs.statuses import FINISHED
from moulin_sync.settings import load_settings

BATCH = 500


class HousekeepingConfig(Config):
    keep_days: int = Field(
        default_factory=lambda: load_settings().run_retention_days,
        ge=1,
        description="Runs last updated more days ago than this are deleted "
        "(MOULIN_RUN_RETENTION_DAYS).",
    )


def delete_old_runs(
    instance: DagsterInstance, keep_days: int, now: dt.datetime | None = None
) -> int:
    """Delete the finished runs (and their events) older than `keep_days`; how many."""
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=keep_days)
    old = RunsFilter(statuses=list(FINISHED), updated_before=cutoff)
    deleted = 0
    while records := instance.get_run_records(old, limit=BATCH):
        for record in records:
            instance.delete_run(record.dagster_run.run_id)
        deleted += len(records)
    return deleted


@op(description="Delete finished runs, and their event logs, older than the retention age.")
def delete_expired_runs(context: OpExecutionContext, config: HousekeepingConfig) -> Output[None]:
    deleted = delete_old_runs(context.instance, config.keep_days)
    context.log.info(f"deleted {deleted} run(s) older than {config.keep_days} days")
    return Output(None, metadata={"runs_deleted": deleted, "keep_days": config.keep_days})


@job(description="Delete finished runs older than MOULIN_RUN_RETENTION_DAYS (default 90).")
def housekeeping() -> None:
    delete_expired_runs()


housekeeping_schedule = ScheduleDefinition(
    name="housekeeping_schedule",
    job=housekeeping,
    cron_schedule="0 4 * * *",
    execution_timezone=monthly_partitions.timezone,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every night at 04:00: delete the runs older than the retention age.",
)
