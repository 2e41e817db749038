"""When the HubSpot assets are due: the nightly run starts at 02:00 (the sync's time
zone) and is expected done by 06:00, before the sales and support teams start.

The UI shows each HubSpot asset's freshness against this: fresh when it was written
since last night's start, overdue after 06:00 when it was not.
"""

import datetime as dt

from dagster import FreshnessPolicy

from moulin_sync.settings import settings

NIGHTLY_CRON = "0 2 * * *"
DUE_CRON = "0 6 * * *"
NIGHT = dt.timedelta(hours=4)  # from NIGHTLY_CRON to DUE_CRON

synced_every_night = FreshnessPolicy.cron(
    deadline_cron=DUE_CRON, lower_bound_delta=NIGHT, timezone=settings().timezone
)
