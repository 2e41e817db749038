"""One HubSpot emulator per test module (a subprocess), reset before every test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.testing.hubspot_emulator import EmulatorHandle, run_hubspot_emulator

# Professional tier: every answer carries the X-HubSpot-RateLimit-* headers the client follows.
EMULATOR_LIMITS = {"per_10s": 190, "daily": 625_000, "search_per_s": 5, "search_lag": 0.0}


@pytest.fixture(scope="module")
def hubspot_emulator() -> Iterator[EmulatorHandle]:
    with run_hubspot_emulator(tier="professional") as handle:
        yield handle


@pytest.fixture
def emulator(hubspot_emulator: EmulatorHandle) -> Iterator[EmulatorHandle]:
    """The module's emulator, emptied, with default limits, no faults and fresh stats."""
    admin = hubspot_emulator.admin
    admin.clear_faults()
    admin.set_limits(**EMULATOR_LIMITS)
    admin.reset()
    admin.reset_stats()
    yield hubspot_emulator
    admin.clear_faults()


@pytest.fixture
def make_client(emulator: EmulatorHandle) -> Iterator[Any]:
    """Build clients against the emulator with quick retries; closed after the test."""
    clients: list[HubSpotClient] = []

    def make(**overrides: Any) -> HubSpotClient:
        options: dict[str, Any] = {
            "timeout_s": 5.0,
            "backoff_base_s": 0.01,
            "backoff_max_s": 0.05,
            "locked_wait_s": 0.05,
            **overrides,
        }
        client = HubSpotClient(emulator.base_url, emulator.token, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Any) -> HubSpotClient:
    return make_client()
