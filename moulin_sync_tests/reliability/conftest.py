"""The reliability sample's shared world: the App du Moulin and Typeform (its emulator,
filled consistently), one HubSpot emulator, one reference.

The full matrix (every crash point, every drill variant) is `make reliability`
(bench/reliability.py), which drives the same functions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from moulin_sync.testing.hubspot_emulator import EmulatorHandle, run_hubspot_emulator
from moulin_sync.testing.reliability.crash_matrix import Reference, reference_run
from moulin_sync.testing.reliability.harness import MONTHS, World, make_source
from moulin_sync.testing.reliability.typeform_world import TypeformService, typeform_service


@pytest.fixture(scope="session")
def reliability_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reliability")


@pytest.fixture(scope="session")
def source_url(reliability_root: Path) -> str:
    return make_source(reliability_root / "app_du_moulin.db")


@pytest.fixture(scope="session")
def hubspot() -> Iterator[EmulatorHandle]:
    with run_hubspot_emulator(token="reliability-sample-token") as handle:
        yield handle


@pytest.fixture(scope="session")
def typeform(reliability_root: Path, source_url: str) -> Iterator[TypeformService]:
    with typeform_service(reliability_root / "typeform", source_url) as service:
        yield service


@pytest.fixture(scope="session")
def world(
    reliability_root: Path, source_url: str, hubspot: EmulatorHandle, typeform: TypeformService
) -> World:
    return World(reliability_root / "runs", source_url, hubspot, MONTHS, (typeform,))


@pytest.fixture(scope="session")
def reference(world: World) -> Reference:
    """The expected HubSpot: a clean first load on an empty portal."""
    return reference_run(world, in_process=True)
