"""Fixtures for the Freshdesk emulator tests: one emulator process for the session (an
httpx client talking to a server thread of its own process waits ~40 ms per call),
emptied before each test (unlimited plan, real clock, no fault)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from moulin_sync.testing.emulator import EmulatorProcess, run_emulator_process

from .helpers import API_KEY, MODULE, Freshdesk, basic_auth


@pytest.fixture(scope="session")
def freshdesk_process() -> Iterator[EmulatorProcess]:
    with run_emulator_process(
        MODULE, auth=basic_auth(API_KEY), extra_args=["--api-key", API_KEY, "--plan", "unlimited"]
    ) as handle:
        yield handle


@pytest.fixture
def fd(freshdesk_process: EmulatorProcess) -> Iterator[Freshdesk]:
    if not freshdesk_process.running:
        freshdesk_process.start()
    admin = freshdesk_process.admin
    admin.reset()
    admin.clear_faults()
    admin.reset_stats()
    with Freshdesk(freshdesk_process.base_url) as client:
        client.plan("unlimited")
        client.clock(now=None)
        yield client
