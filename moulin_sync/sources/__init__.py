"""The registry of sources: adding a source is adding its spec here.

In the order they are read: a source that matches its rows to the App du Moulin's
customers comes after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from moulin_sync.sources.app_du_moulin.source import APP_DU_MOULIN
from moulin_sync.sources.freshdesk.source import FRESHDESK
from moulin_sync.sources.spec import Frames, Scope, SourceFrames, SourceSpec
from moulin_sync.sources.typeform.source import TYPEFORM

if TYPE_CHECKING:
    from moulin_sync.settings import MoulinSettings

SOURCES: tuple[SourceSpec, ...] = (APP_DU_MOULIN, TYPEFORM, FRESHDESK)


def source(name: str) -> SourceSpec:
    for spec in SOURCES:
        if spec.name == name:
            return spec
    raise KeyError(f"no source {name!r}; the sources are {', '.join(s.name for s in SOURCES)}")


def enabled_sources() -> tuple[SourceSpec, ...]:
    """The sources that are on, as the environment sets them up."""
    return tuple(spec for spec in SOURCES if spec.enabled())


def _served(scope: Scope, serve: str, names: Collection[str] | None) -> SourceFrames:
    on = enabled_sources() if names is None else [s for s in SOURCES if s.name in names]
    frames: dict[str, Frames] = {}
    for spec in on:
        frames[spec.name] = getattr(spec, serve)(replace(scope, known=SourceFrames(frames)))
    return SourceFrames(frames)


def tables(scope: Scope, names: Collection[str] | None = None) -> SourceFrames:
    """The tables of the sources that are on (`names`; default: as the environment sets
    them up) for the scope's months, by full asset key."""
    return _served(scope, "tables", names)


def customer_tables(scope: Scope, names: Collection[str] | None = None) -> SourceFrames:
    """The share of one customer (`scope.customer_id`) of the sources that are on, by
    full asset key."""
    return _served(scope, "customer", names)


def configs(settings: MoulinSettings) -> dict[str, Any]:
    """Every enabled source's settings, from the environment, by source name."""
    return {spec.name: spec.config(settings) for spec in enabled_sources()}


def environment_scope(settings: MoulinSettings, **scope: Any) -> Scope:
    """A `Scope` over the enabled sources as the environment sets them up, as of now."""
    return Scope(
        timezone=settings.timezone,
        now=dt.datetime.now(dt.UTC),
        config=configs(settings),
        data_dir=settings.data_dir,
        **scope,
    )
