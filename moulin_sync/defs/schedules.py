"""The nightly schedule: 02:00 Europe/Paris, when nobody is using HubSpot."""

import datetime as dt

from dagster import RunRequest, ScheduleEvaluationContext, schedule

from moulin_sync.defs.jobs import nightly_sync_job
from moulin_sync.defs.partitions import monthly_partitions

NIGHTLY_CRON = "0 2 * * *"


def nightly_partition_keys(now: dt.datetime) -> list[str]:
    """The previous and the current month at `now`: late payments and refunds still land."""
    keys = monthly_partitions.get_partition_keys(current_time=now)
    return keys[-2:]


@schedule(
    job=nightly_sync_job,
    cron_schedule=NIGHTLY_CRON,
    execution_timezone=monthly_partitions.timezone,
    description="Every night at 02:00 Europe/Paris: sync the previous and current month.",
)
def nightly_sync_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    keys = nightly_partition_keys(context.scheduled_execution_time)
    return RunRequest(
        run_key=f"nightly-{keys[-1]}-{context.scheduled_execution_time:%Y%m%d}",
        tags={
            "dagster/asset_partition_range_start": keys[0],
            "dagster/asset_partition_range_end": keys[-1],
        },
    )
