"""Secrets never shown; the emulator never open. (The full set: `make reliability`.)"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from moulin_sync.hubspot.sync.state import StateStoreError, SyncState
from moulin_sync.sources.app_du_moulin.reader import SourceError, SourceReader
from moulin_sync.testing.reliability import security
from moulin_sync.testing.reliability.harness import MONTHS, World, moulin_sync_command


def test_the_emulator_requires_a_token_by_default() -> None:
    report = security.SecurityReport()
    security.emulator_requires_a_token(report)
    assert report.checks >= 13 and report.problems == []


def test_the_token_never_leaks(reliability_root: Path, source_url: str) -> None:
    report = security.SecurityReport()
    security.token_never_leaks(
        reliability_root / "security", source_url, MONTHS, report, wrong_token_run=False
    )
    assert report.checks >= 7 and report.problems == []


@pytest.mark.postgres
def test_passwords_in_urls_are_never_printed(
    postgres_server: str, world: World, tmp_path: Path
) -> None:
    password = f"pw-{uuid.uuid4().hex[:12]}"
    missing = make_url(postgres_server).set(database="moulin_no_such_db", password=password)
    url = missing.render_as_string(hide_password=False)
    with pytest.raises(StateStoreError) as state_error:
        SyncState(url)
    with pytest.raises(SourceError) as source_error:
        SourceReader(url).check()
    for error in (state_error.value, source_error.value):
        assert password not in str(error) and "***" in str(error)
    # A command people run (export-deal-ids and sync too: `make reliability`).
    env = world.env(tmp_path, MOULIN_STATE_URL=url)
    shown = subprocess.run(
        [moulin_sync_command(), "plan"], env=env, capture_output=True, text=True, timeout=300
    )
    assert shown.returncode != 0 and "MOULIN_STATE_URL" in shown.stderr
    assert password not in shown.stdout + shown.stderr
