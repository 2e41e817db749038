"""The one Definitions of moulin-sync (loaded by workspace.yaml): every `defs` module's
assets, checks, jobs and schedules, collected, and the resources built from the settings."""

from __future__ import annotations

from collections.abc import Collection
from functools import cache

from dagster import Definitions, in_process_executor
from dagster.components import load_defs

import moulin_sync.defs
from moulin_sync.defs.enabled import only_enabled
from moulin_sync.defs.resources import build_resources
from moulin_sync.settings import settings
from moulin_sync.sources import enabled_sources


@cache
def collected_defs() -> Definitions:
    """What the `defs` modules define, every source's, without resources."""
    return load_defs(moulin_sync.defs)


def enabled_defs(sources: Collection[str] | None = None) -> Definitions:
    """What the `defs` modules define for the enabled `sources` (default: as the
    environment sets them up), without resources (tests and benchmarks run these with
    resources of their own)."""
    names = [s.name for s in enabled_sources()] if sources is None else sources
    return only_enabled(collected_defs(), names)


# Every job's steps run in its run's own process, one after another: a process per step
# (the multiprocess executor) pays Dagster's and polars' start-up each time, far more than
# running the source steps side by side saves; the HubSpot steps take turns anyway (the
# `hubspot_api` pool).
defs = Definitions.merge(
    enabled_defs(),
    Definitions(resources=build_resources(settings()), executor=in_process_executor),
)
