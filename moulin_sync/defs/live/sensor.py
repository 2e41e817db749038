"""A source's change sensor: every MOULIN_LIVE_INTERVAL seconds, one indexed look per
watched table past its cursor; what changed becomes `live_sync` runs, keyed by the
cursor's range so a repeated tick launches nothing twice.

The cursor moves only with the run requests of its tick (Dagster stores both at once):
a daemon stopped between two ticks loses no change, and one that died during a run
leaves that run to run monitoring (its `dagster/max_runtime`) and run retries. Nothing
changed: no run, no HubSpot call. The lag — how old the oldest change not yet in HubSpot
is — is in each tick's message, observed on `hubspot/contacts` (the UI plots it) and
alerted past MOULIN_LIVE_MAX_LAG.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dagster import (
    AssetKey,
    AssetObservation,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from moulin_sync.alerts.channels import AlertChannels
from moulin_sync.alerts.messages import live_lag_paragraph, live_lag_subject
from moulin_sync.defs.live.job import LIVE_JOB, OP, live_sync_job
from moulin_sync.runs.tags import MAX_RUNTIME_SECONDS_TAG
from moulin_sync.settings import MoulinSettings, load_settings, settings
from moulin_sync.sources.spec import LiveChanges, SourceSpec

# Customers per run: a 10,000-order import is a few large runs, not thousands of small.
CUSTOMERS_PER_RUN = 2_000
# Rows a watched table gives per look: past it, the next tick goes on from the cursor.
ROWS_PER_LOOK = 20_000
SOURCE_TAG = "moulin/live_source"
OLDEST_TAG = "moulin/live_oldest_change"
CHANGES_TAG = "moulin/live_changes"
IN_FLIGHT = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
]
LAG_ASSET = AssetKey(["hubspot", "contacts"])


@dataclass
class SensorCursor:
    """The feed's cursor, and whether the lag is being alerted / observed as > 0."""

    feed: dict[str, Any] | None = None
    alerted: bool = False
    lagging: bool = False

    @classmethod
    def parse(cls, text: str | None) -> SensorCursor:
        if not text:
            return cls()
        found = json.loads(text)
        return cls(found.get("feed"), bool(found.get("alerted")), bool(found.get("lagging")))

    def dump(self) -> str:
        return json.dumps(
            {"feed": self.feed, "alerted": self.alerted, "lagging": self.lagging}, sort_keys=True
        )


@dataclass
class Tick:
    """What one look decided: the runs to request, the cursor after, the lag."""

    requests: list[RunRequest] = field(default_factory=list)
    cursor: SensorCursor = field(default_factory=SensorCursor)
    lag_s: float = 0.0
    message: str = ""


def max_runtime_s(base_s: int, customers: int) -> int:
    """How long a live run may go before run monitoring fails it (and run retries run it
    again): a run whose worker died with its daemon would otherwise stay STARTED."""
    return base_s + customers // 10


def run_requests(
    source: str, before: dict[str, Any], found: LiveChanges, now: dt.datetime, runtime_s: int
) -> list[RunRequest]:
    """The runs of what `found` holds: `CUSTOMERS_PER_RUN` customers each (the changed
    companies in the first), keyed by the cursor's range and the run's place in it."""
    span = json.dumps([before, found.cursor], sort_keys=True, default=str)
    key = f"{source}:{hashlib.sha256(span.encode()).hexdigest()[:16]}"
    customers = found.customer_ids
    parts: list[list[int]] = [
        customers[i : i + CUSTOMERS_PER_RUN] for i in range(0, len(customers), CUSTOMERS_PER_RUN)
    ] or [[]]
    oldest = found.oldest.isoformat() if found.oldest else None
    # Every change before `now` is in these runs or earlier ones, unless a table had more
    # than one look takes: then the months are left for a later run (or the night) to mark.
    until = now.isoformat() if found.complete else None
    changes = sum(found.counts.values())
    made = []
    for number, part in enumerate(parts):
        config = {
            "customer_ids": part,
            "company_ids": found.company_ids if number == 0 else [],
            "oldest_change": oldest,
            # Only the last run's: the months are current once all are done.
            "synced_until": until if number == len(parts) - 1 else None,
        }
        made.append(
            RunRequest(
                run_key=f"{key}:{number}",
                run_config={"ops": {OP: {"config": config}}},
                tags={
                    SOURCE_TAG: source,
                    CHANGES_TAG: str(changes),
                    **({OLDEST_TAG: oldest} if oldest else {}),
                    MAX_RUNTIME_SECONDS_TAG: str(max_runtime_s(runtime_s, len(part))),
                },
            )
        )
    return made


def look(
    spec: SourceSpec,
    config: Any,
    cursor: SensorCursor,
    in_flight: Sequence[dt.datetime],
    now: dt.datetime,
    runtime_s: int,
) -> Tick:
    """One tick of the sensor, given the oldest change of each live run still in flight."""
    feed = spec.live
    assert feed is not None, f"{spec.name} has no change feed"
    if cursor.feed is None:
        started = SensorCursor(feed.start(config))
        return Tick(cursor=started, message=f"started watching the {spec.label}: changes from "
                    "now on are synced live (earlier ones by the nightly run)")  # fmt: skip
    found = feed.changes(config, cursor.feed, ROWS_PER_LOOK)
    oldest = min([*in_flight, *([found.oldest] if found.oldest else [])], default=None)
    lag = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
    after = SensorCursor(found.cursor, cursor.alerted, cursor.lagging)
    if found.empty:
        return Tick(cursor=after, lag_s=lag, message=f"nothing changed; lag {lag:.0f} s")
    requests = run_requests(spec.name, cursor.feed, found, now, runtime_s)
    counted = ", ".join(f"{n} {table}" for table, n in found.counts.items() if n)
    message = (
        f"{counted} changed: {len(found.customer_ids)} customers, {len(found.company_ids)} "
        f"companies in {len(requests)} run(s); lag {lag:.0f} s"
    )
    return Tick(requests, after, lag, message)


def in_flight_oldest(context: SensorEvaluationContext, source: str) -> list[dt.datetime]:
    """The oldest change of each live run of `source` queued or running."""
    runs = context.instance.get_runs(
        filters=RunsFilter(job_name=LIVE_JOB, statuses=IN_FLIGHT, tags={SOURCE_TAG: source})
    )
    found = []
    for run in runs:
        oldest = run.tags.get(OLDEST_TAG)
        if oldest:
            found.append(dt.datetime.fromisoformat(oldest))
    return found


def _alert(
    context: SensorEvaluationContext, settings: MoulinSettings, label: str, lag: float
) -> None:
    channels = AlertChannels.from_settings(settings)
    for note in channels.notes:
        context.log.warning(note)
    subject = live_lag_subject(label, lag)
    if not channels.configured:
        context.log.warning(f"{subject}; no alert channel configured")
        return
    for failure in channels.send(
        subject, live_lag_paragraph(label, lag, settings.live_max_lag, settings.ui_url)
    ):
        context.log.warning(f"alert not delivered: {failure}")


def live_sensor(spec: SourceSpec) -> SensorDefinition:
    """The change sensor of a source with a change feed, on when MOULIN_LIVE=on."""
    chosen = settings()

    @sensor(
        name=f"{spec.name}_live",
        job=live_sync_job,
        minimum_interval_seconds=chosen.live_interval,
        default_status=DefaultSensorStatus.RUNNING
        if chosen.live == "on"
        else DefaultSensorStatus.STOPPED,
        description=f"Live sync: every MOULIN_LIVE_INTERVAL s ({chosen.live_interval}), one "
        f"indexed look per watched table of the {spec.label} ({', '.join(spec.live.tables)}); "
        "what changed becomes live_sync runs. The lag (oldest change not in HubSpot) is in each "
        "tick and observed on hubspot/contacts.",
    )
    def watch(context: SensorEvaluationContext) -> SensorResult:
        current = load_settings()
        if current.live != "on":
            return SensorResult(skip_reason="MOULIN_LIVE is off: the nightly run syncs changes")
        now = dt.datetime.now(dt.UTC)
        cursor = SensorCursor.parse(context.cursor)
        if cursor.feed is None:
            from moulin_sync.sources.indexes import live_index_warnings

            for warning in live_index_warnings(current):
                context.log.warning(warning)
        tick = look(
            spec, spec.config(current), cursor, in_flight_oldest(context, spec.name), now,
            current.live_max_runtime,
        )  # fmt: skip
        late = tick.lag_s > current.live_max_lag
        if late and not tick.cursor.alerted:
            _alert(context, current, spec.label, tick.lag_s)
        tick.cursor.alerted = late
        events = []
        if tick.requests or tick.cursor.lagging != (tick.lag_s > 0):
            events.append(
                AssetObservation(
                    asset_key=LAG_ASSET,
                    metadata={"live_lag_s": round(tick.lag_s, 1), "live_source": spec.name},
                )
            )
        tick.cursor.lagging = tick.lag_s > 0
        context.log.info(tick.message)
        if tick.requests:
            return SensorResult(
                run_requests=tick.requests, cursor=tick.cursor.dump(), asset_events=events
            )
        return SensorResult(
            skip_reason=tick.message, cursor=tick.cursor.dump(), asset_events=events
        )

    return watch
