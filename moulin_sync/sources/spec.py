"""What a source is: where the streams' input tables come from.

A source names its assets (`<name>/<table>`, the first part its name) and, outside
Dagster — the dry run, rebuilding the state store, inspecting or refreshing one
customer — serves their frames as the assets compute them, says which months changed
(its change feed, when months drive it) and checks that it answers. Its Dagster assets
and resources live in `moulin_sync/defs/<name>/`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl

if TYPE_CHECKING:
    from moulin_sync.settings import MoulinSettings
    from moulin_sync.sources.app_du_moulin.orders import Month

FrameKey = tuple[str, ...]  # an asset key: (source, table)


class Frames(Protocol):
    def frame(self, key: FrameKey) -> pl.DataFrame: ...


@dataclass(frozen=True)
class Scope:
    """What a source is asked for: its tables for the run's months, or one customer's
    share of them (`customer_id`), as of `now`; `config`: each source's own settings, by
    source name."""

    timezone: str
    now: dt.datetime
    config: Mapping[str, Any]
    months: Sequence[Month] = ()
    customer_id: int | None = None
    data_dir: str | None = None  # the snapshots of the sources' last pulls
    # The frames of the sources served before this one (one customer's email, to find
    # their answers in another source by).
    known: Frames | None = None


@dataclass(frozen=True)
class LiveChanges:
    """What changed at a source since a live cursor: whose records to bring up to date."""

    customer_ids: list[int]  # customers whose contact, deals or links changed
    company_ids: list[int]  # companies changed (their records and all that hangs on them)
    oldest: dt.datetime | None  # the oldest change's time (UTC), None: nothing changed
    cursor: dict[str, Any]  # the cursor past these changes
    complete: bool  # False: a table held more than one look takes; the rest comes next
    counts: dict[str, int]  # changed rows per watched table

    @property
    def empty(self) -> bool:
        return not (self.customer_ids or self.company_ids)


@dataclass(frozen=True)
class LiveFeed:
    """A source's change feed for live sync: one indexed look per watched table past a
    cursor (JSON-able: {table: [time of the latest change seen, ids changed then]})."""

    tables: tuple[str, ...]  # what it watches, in words: "orders", "customers"...
    # A cursor at the source's present, given its settings (changes after it count).
    start: Callable[[Any], dict[str, Any]]
    # Changes past the cursor (at most `limit` rows a table), given its settings.
    changes: Callable[[Any, Mapping[str, Any], int], LiveChanges]
    # The `CREATE INDEX` statements of the indexes it needs and the source lacks.
    missing_indexes: Callable[[Any], list[str]]


@dataclass(frozen=True)
class SourceSpec:
    name: str  # its assets' group and key prefix: "app_du_moulin"
    label: str  # in words: "App du Moulin"
    # Its own settings, read from the environment (a `SettingsError` naming the variable
    # when one is wrong), given the shared ones.
    config: Callable[[MoulinSettings], Any]
    enabled: Callable[[], bool]  # on, as the environment sets it up
    tables: Callable[[Scope], Frames]  # its tables for the run's months
    customer: Callable[[Scope], Frames]  # one customer's share of them
    # Raises a one-line error naming the setting when it does not answer or refuses us.
    probe: Callable[[Any], None]
    # The Dagster resource holding its settings (`config()`), for the jobs that read it.
    resource_key: str
    # (month, changed_at) of each source row a monthly stream's months depend on, given
    # its settings and the time zone; None: the source does not drive months (it is
    # pulled incrementally every night).
    month_changes: Callable[[Any, str], pl.DataFrame] | None = None
    # Its changes as they happen, for live sync; None: synced by the nightly run only.
    live: LiveFeed | None = None


class SourceFrames:
    """Frames by full asset key, each served by the source its key names."""

    def __init__(self, by_source: Mapping[str, Frames]) -> None:
        self.by_source = dict(by_source)

    def frame(self, key: FrameKey) -> pl.DataFrame:
        served = self.by_source.get(key[0])
        if served is None:
            raise KeyError(
                f"no source asset {'/'.join(key)}: source {key[0]!r} is not enabled "
                f"(enabled: {', '.join(self.by_source) or 'none'})"
            )
        return served.frame(key)
