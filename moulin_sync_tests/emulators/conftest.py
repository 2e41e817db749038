"""Fixtures for the HubSpot emulator tests: one emulator process per session, reset per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from moulin_sync.testing.hubspot_emulator import (
    EmulatorHandle,
    hubspot_client,
    run_hubspot_emulator,
)

TOKEN = "test-token-4f1b9c"


@pytest.fixture(scope="session")
def hubspot_emulator() -> Iterator[EmulatorHandle]:
    with run_hubspot_emulator(tier="unlimited", token=TOKEN) as handle:
        yield handle


@pytest.fixture
def hs(hubspot_emulator: EmulatorHandle) -> EmulatorHandle:
    """The shared emulator, emptied (schema included), faults cleared, limits lifted."""
    if not hubspot_emulator.running:
        hubspot_emulator.start()
    admin = hubspot_emulator.admin
    admin.reset(schema=True)
    admin.clear_faults()
    admin.reset_stats()
    admin.set_limits(per_10s=None, daily=None, search_per_s=None, search_lag=0, latency_ms=None)
    return hubspot_emulator


@pytest.fixture
def client(hs: EmulatorHandle) -> Any:
    return hubspot_client(hs)
