"""The one Definitions of moulin-sync (loaded by workspace.yaml): every `defs` module's
assets, checks, jobs and schedules, collected, and the resources built from the settings."""

from __future__ import annotations

from functools import cache

from dagster import Definitions
from dagster.components import load_defs

import moulin_sync.defs
from moulin_sync.defs.resources import build_resources
from moulin_sync.settings import settings


@cache
def collected_defs() -> Definitions:
    """What the `defs` modules define, without resources (tests and benchmarks run these
    with resources of their own)."""
    return load_defs(moulin_sync.defs)


defs = Definitions.merge(collected_defs(), Definitions(resources=build_resources(settings())))
