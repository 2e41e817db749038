"""A synced world, and `moulin-sync serve-refresh` over it as production runs it: its own
process (group), a Dagster instance on disk, the HubSpot emulator behind it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from moulin_sync.testing.hubspot_emulator import EmulatorHandle, free_port
from moulin_sync.testing.sync_world import DEAL_ASSETS, SyncWorld, new_world
from moulin_sync_tests.e2e.conftest import stop_process_groups

SECRET = "card-secret-7d2e"  # the HubSpot app's client secret in these tests
MONTHS = ("2026-06-01", "2026-11-01")


@dataclass
class Service:
    url: str
    world: SyncWorld
    dagster_home: Path
    env: dict[str, str]


def service_env(world: SyncWorld, dagster_home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "MOULIN_SOURCE_URL": world.source_url,
        "MOULIN_STATE_URL": world.state_url,
        "MOULIN_DATA_DIR": str(world.data_dir),
        "HUBSPOT_BASE_URL": world.hubspot.base_url,
        "HUBSPOT_ACCESS_TOKEN": world.hubspot.token,
        "HUBSPOT_TIER": "unlimited",
        "MOULIN_REFRESH_SECRET": SECRET,
        # Typeform off unless a test turns it on, whatever this shell has set.
        "TYPEFORM_TOKEN": "",
        "TYPEFORM_FORM_ID": "",
    }


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not come up: {log.read_text()[-2000:]}")


@contextmanager
def serve(
    world: SyncWorld, root: Path, extra_env: dict[str, str] | None = None
) -> Iterator[Service]:
    """`moulin-sync serve-refresh` over `world`, in its own process group."""
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**service_env(world, home), **(extra_env or {})}
    port = free_port()
    log = root / "serve-refresh.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moulin_sync.cli", "serve-refresh", "--port", str(port),
             "--workers", "2"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/healthz", process, log)
        yield Service(url, world, home, env)
    finally:
        stop_process_groups(process)


@pytest.fixture(scope="module")
def service(hubspot: EmulatorHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("refresh")
    world = new_world(root / "world", hubspot, customers=120, companies=6, orders=1_500)
    world.run(DEAL_ASSETS, MONTHS)
    with serve(world, root) as running:
        yield running
