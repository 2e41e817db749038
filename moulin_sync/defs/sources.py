"""The enabled sources, as the jobs that read one customer (or a dry run's months) reach
them: each through its own Dagster resource, which holds its settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from moulin_sync.sources import SOURCES, Frames, customer_tables
from moulin_sync.sources.spec import Scope


def source_resource_keys() -> set[str]:
    """Every source's resource (each with a `config()`; one that is off, unset)."""
    return {spec.resource_key for spec in SOURCES}


def customer_frames(
    resources: Any, sources: Sequence[str], timezone: str, customer_id: int
) -> Frames:
    """One customer's share of the sources that are on, each configured by its resource."""
    configs = {
        spec.name: getattr(resources, spec.resource_key).config()
        for spec in SOURCES
        if spec.name in sources
    }
    scope = Scope(timezone, dt.datetime.now(dt.UTC), configs, customer_id=customer_id)
    return customer_tables(scope, sources)
