"""The sources beyond the App du Moulin in a reliability world, and their scenarios.

Each such source has one scenario file in `scenarios/` (found there, listed nowhere):

    NAME = "typeform"                      # a part of `make reliability --only`
    def service(root, source_url) -> ContextManager[SourceService]
        # its emulator started and filled with data consistent with the App du Moulin
    def scenarios(world, reference) -> Iterator[Outcome | None]
        # its faults, each judged by the oracle (`make reliability`)

The world turns each service's source on (its variables for `moulin-sync sync`, its
resources in process), puts its data back before every scenario, and hands its audit —
the source's streams in HubSpot judged against the source itself — to the oracle.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from moulin_sync.testing.reliability.crash_matrix import Reference
    from moulin_sync.testing.reliability.harness import World
    from moulin_sync.testing.reliability.oracle import HubSpotImage, Verdict
    from moulin_sync.testing.reliability.outcomes import Outcome


class SourceService(Protocol):
    """A source's stand-in in a reliability world."""

    source: str  # the source it turns on: "typeform"
    env_prefix: str  # its variables ("TYPEFORM_"): never inherited by a run

    def env(self) -> dict[str, str]:
        """The variables that turn the source on for `moulin-sync sync`."""
        ...

    def resources(self) -> dict[str, Any]:
        """Its Dagster resources for a run in process."""
        ...

    def reset(self) -> None:
        """Its data as the first load finds it; no fault, no counter, its own limits."""
        ...

    def audit(self, image: HubSpotImage, *, source_url: str) -> Verdict:
        """Its streams in HubSpot (`image`) against what it holds now, matched to the
        App du Moulin at `source_url` (the world's, as a scenario may have changed it)."""
        ...


class ScenarioFile(Protocol):
    NAME: str

    def service(self, root: Path, source_url: str) -> AbstractContextManager[SourceService]: ...

    def scenarios(self, world: World, reference: Reference) -> Iterator[Outcome | None]: ...


def scenario_files() -> list[ModuleType]:
    """Every module of `moulin_sync.testing.reliability.scenarios`, by name."""
    from moulin_sync.testing.reliability import scenarios

    return [
        importlib.import_module(f"{scenarios.__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(scenarios.__path__), key=lambda i: i.name)
    ]
