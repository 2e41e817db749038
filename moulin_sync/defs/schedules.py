"""The schedules: every night at 02:00 Europe/Paris (MOULIN_NIGHTLY_CRON), when nobody is
using HubSpot, what changed; every Sunday at 03:00, the whole history, as a safety net for
a row changed without its `updated_at`."""

import datetime as dt

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from moulin_sync.defs.jobs import nightly_sync_job
from moulin_sync.defs.partitions import monthly_partitions
from moulin_sync.defs.tonight import MonthSpan, tonights_spans
from moulin_sync.settings import load_settings, settings

NIGHTLY_CRON = settings().nightly_cron  # MOULIN_NIGHTLY_CRON, 02:00 by default
WEEKLY_CRON = "0 3 * * 0"
# A run's tags are short: the reasons are in the schedule's log and `sync --nightly`.
REASON_TAG_CHARS = 200


def nightly_partition_keys(now: dt.datetime) -> list[str]:
    """The previous and the current month at `now`: late payments and refunds still land."""
    keys = monthly_partitions.get_partition_keys(current_time=now)
    return keys[-2:]


def span_request(span: MonthSpan, run_key: str, why: str) -> RunRequest:
    return RunRequest(
        run_key=run_key,
        tags={
            "dagster/asset_partition_range_start": span.first,
            "dagster/asset_partition_range_end": span.last,
            "moulin/why": why[:REASON_TAG_CHARS],
        },
    )


@schedule(
    job=nightly_sync_job,
    cron_schedule=NIGHTLY_CRON,
    execution_timezone=monthly_partitions.timezone,
    # On from the first start of the daemon: the sync is what the deployment is for.
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 Europe/Paris (MOULIN_NIGHTLY_CRON): the previous and "
    "current month, and every older month whose orders (or their customers, companies, "
    "pickup points) changed since it was last synced; one run per span of months.",
)
def nightly_sync_schedule(context: ScheduleEvaluationContext) -> list[RunRequest]:
    current = load_settings()
    now = context.scheduled_execution_time
    found = tonights_spans(now, current)
    requests = []
    for span in found:
        context.log.info(f"nightly: {span.describe()}")
        key = f"nightly-{now:%Y%m%d}-{span.first}-{span.last}"
        requests.append(span_request(span, key, span.describe()))
    return requests


@schedule(
    job=nightly_sync_job,
    cron_schedule=WEEKLY_CRON,
    execution_timezone=monthly_partitions.timezone,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every Sunday at 03:00 Europe/Paris: the whole history in one run, for "
    "changes the App du Moulin made without touching updated_at.",
)
def weekly_full_sync_schedule(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
    keys = monthly_partitions.get_partition_keys(current_time=context.scheduled_execution_time)
    if not keys:
        return SkipReason("no month of history yet")
    span = MonthSpan(keys[0], keys[-1])
    key = f"weekly-{context.scheduled_execution_time:%Y%m%d}"
    return span_request(span, key, "the whole history, every Sunday")
