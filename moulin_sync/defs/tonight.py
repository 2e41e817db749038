"""What the nightly run syncs: the previous and current month, and every older month whose
orders changed since it was last synced — a refund in a months-old partition lands the
next night. Months are run in contiguous spans (a run covers one range of months), so a
month with no change costs nothing: no HubSpot read, no write, no check.

The schedule and `moulin-sync sync --nightly` both ask here, so they run the same months.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from moulin_sync.defs.partitions import monthly_partitions
from moulin_sync.hubspot.streams import enabled_streams
from moulin_sync.hubspot.sync.state import SyncState
from moulin_sync.settings import MoulinSettings
from moulin_sync.sources import enabled_sources
from moulin_sync.sources.months import months_changed

ALWAYS = "the previous and the current month, every night"
NEVER_SYNCED = "never synced"


@dataclass(frozen=True)
class MonthSpan:
    """One run's months, [first, last], and why each is in it."""

    first: str
    last: str
    reasons: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        """ "2024-03-01 (1 order(s) changed since ...)"; months of one reason together."""
        months = self.first if self.first == self.last else f"{self.first} → {self.last}"
        by_reason: dict[str, list[str]] = {}
        for month, reason in self.reasons.items():
            by_reason.setdefault(reason, []).append(month)
        if len(by_reason) == 1:
            return f"{months} ({next(iter(by_reason))})"
        why = "; ".join(f"{', '.join(ms)}: {reason}" for reason, ms in by_reason.items())
        return f"{months} ({why})"


def tonights_spans(now: dt.datetime, settings: MoulinSettings) -> list[MonthSpan]:
    """The spans of months the nightly run at `now` syncs, oldest first: each monthly
    stream's months that changed in a source of its, by that source's change feed (a
    source without one is pulled incrementally every night, whatever the months)."""
    keys = monthly_partitions.get_partition_keys(current_time=now)
    reasons = {month: ALWAYS for month in keys[-2:]}
    changes = {
        spec.name: spec.month_changes(spec.config(settings), settings.timezone)
        for spec in enabled_sources()
        if spec.month_changes is not None
    }
    with SyncState(settings.state_url) as state:
        for spec in enabled_streams():
            if not spec.partitioned:
                continue
            synced = state.months_synced(spec.name)
            for source in spec.source_names:
                if source not in changes:
                    continue
                for month, count in months_changed(changes[source], keys[:-2], synced).items():
                    reasons.setdefault(month, _why(count, synced.get(month), settings.timezone))
    return spans(reasons, keys)


def _why(count: int, as_of: dt.datetime | None, timezone: str) -> str:
    if as_of is None:
        return NEVER_SYNCED
    local = as_of.astimezone(ZoneInfo(timezone))
    return (
        f"{count} order(s) changed since {local:%Y-%m-%d %H:%M} "
        "(the order, its customer, company or pickup point)"
    )


def spans(reasons: dict[str, str], keys: list[str]) -> list[MonthSpan]:
    """Contiguous runs of the months in `reasons`, in partition order."""
    found: list[MonthSpan] = []
    position = {key: i for i, key in enumerate(keys)}
    for month in sorted(reasons, key=position.__getitem__):
        last = found[-1] if found else None
        if last is not None and position[month] == position[last.last] + 1:
            found[-1] = MonthSpan(last.first, month, {**last.reasons, month: reasons[month]})
        else:
            found.append(MonthSpan(month, month, {month: reasons[month]}))
    return found
