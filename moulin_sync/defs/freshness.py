"""When the HubSpot assets are due: the nightly run starts at MOULIN_NIGHTLY_CRON (02:00
by default, in the sync's time zone) and is expected done by 06:00, before the sales and
support teams start.

The UI shows each HubSpot asset's freshness against this: fresh when it was written
since last night's start, overdue after 06:00 when it was not.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from dagster import FreshnessPolicy

from moulin_sync.lib.dagster_internals import cron_string_iterator
from moulin_sync.settings import settings

DUE_CRON = "0 6 * * *"
DUE = dt.time(6, 0)
# A nightly start at 06:00 or later (or not daily) still means "written in the last day".
A_DAY = dt.timedelta(days=1)


def night_length(nightly_cron: str, timezone: str) -> dt.timedelta:
    """From the last nightly start before 06:00 to 06:00 (a day at most): how recent a
    write must be, at 06:00, to count as last night's."""
    zone = ZoneInfo(timezone)
    # A day without a DST change, so the hours are the clock's.
    due = dt.datetime.combine(dt.date(2026, 1, 15), DUE, tzinfo=zone)
    starts = cron_string_iterator((due - A_DAY).timestamp(), nightly_cron, timezone, start_offset=0)
    last = None
    for start in starts:
        if start >= due:
            break
        last = start
    return A_DAY if last is None else due - last


synced_every_night = FreshnessPolicy.cron(
    deadline_cron=DUE_CRON,
    lower_bound_delta=night_length(settings().nightly_cron, settings().timezone),
    timezone=settings().timezone,
)
