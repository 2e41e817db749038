"""Fixtures of the end-to-end tests: a small generated source, process groups, Chromium."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from moulin_sync.demo_data.generator import generate

REPO_ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 27)
SOURCE_SIZES = {"customers": 50, "companies": 3, "orders": 200}
# Debian's package (scripts/install_browser.sh); MOULIN_TEST_CHROMIUM points elsewhere.
CHROMIUM = os.environ.get("MOULIN_TEST_CHROMIUM", "/usr/bin/chromium")
# The machine's network is closed: without these Chromium keeps retrying background calls.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the Dagster UI in a headless Chromium")


@pytest.fixture(scope="session")
def source_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small generated App du Moulin database (SQLite), shared by the e2e tests."""
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e-source') / 'app_du_moulin.db'}"
    generate(url, **SOURCE_SIZES, seed=1, today=TODAY)
    return url


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium and the Playwright driver, or a skip (a failure when CI=true)."""
    problems = []
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        problems.append(f"no Chromium at {CHROMIUM} (run scripts/install_browser.sh)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the Python package playwright is not installed")
    if problems:
        message = "; ".join(problems)
        if in_ci():
            pytest.fail(message + " — CI must run the browser tests, not skip them.")
        pytest.skip(message)
    return CHROMIUM


def stop_process_groups(*processes: subprocess.Popen, grace: float = 3.0) -> None:
    """Stop process groups started with `start_new_session=True`: SIGTERM, then SIGKILL
    after `grace` seconds (dagster-webserver and dagster-daemon may ignore SIGTERM in the
    background), each whole group (code servers, run workers) in every case.

    A leader is reaped only after its group's SIGKILL, so its id cannot have been reused
    by an unrelated process when it is signalled.
    """
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and not all(_has_exited(p) for p in processes):
        time.sleep(0.1)
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    for process in processes:
        process.wait(10)


def _has_exited(process: subprocess.Popen) -> bool:
    """Whether the process has exited, without reaping it (it stays a zombie)."""
    if process.returncode is not None:
        return True
    info = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    return info is not None
