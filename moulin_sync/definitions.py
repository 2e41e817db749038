"""The one Definitions of moulin-sync (loaded by workspace.yaml): every `defs` module's
assets, checks, jobs and schedules, collected, and the resources built from the settings."""

from __future__ import annotations

from functools import cache

from dagster import Definitions, in_process_executor
from dagster.components import load_defs

import moulin_sync.defs
from moulin_sync.defs.resources import build_resources
from moulin_sync.settings import settings


@cache
def collected_defs() -> Definitions:
    """What the `defs` modules define, without resources (tests and benchmarks run these
    with resources of their own)."""
    return load_defs(moulin_sync.defs)


# Every job's steps run in its run's own process, one after another: a process per step
# (the multiprocess executor) pays Dagster's and polars' start-up each time, far more than
# running the source steps side by side saves; the HubSpot steps take turns anyway (the
# `hubspot_api` pool).
defs = Definitions.merge(
    collected_defs(),
    Definitions(resources=build_resources(settings()), executor=in_process_executor),
)
