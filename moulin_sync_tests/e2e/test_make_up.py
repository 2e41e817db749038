"""`moulin-sync up` (`make up`) starts the production deployment on PostgreSQL with the
schedules on; a browser sees them Running; `down` stops every process of it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psycopg2
import pytest

from moulin_sync.testing.hubspot_emulator import free_port
from moulin_sync_tests.e2e.conftest import CHROMIUM_ARGS, REPO_ROOT

ARTIFACTS = Path(os.environ.get("MOULIN_TEST_ARTIFACTS", REPO_ROOT / "test-artifacts"))
SCHEDULES = """{ schedulesOrError(repositorySelector: {repositoryName: "__repository__",
  repositoryLocationName: "moulin_sync"}) { ... on Schedules { results { name
  scheduleState { status } } } } }"""
SENSORS = """{ sensorsOrError(repositorySelector: {repositoryName: "__repository__",
  repositoryLocationName: "moulin_sync"}) { ... on Sensors { results { name
  sensorState { status } } } } }"""


def _cli(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "moulin_sync.cli", *arguments],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def _gone(pids: list[int]) -> bool:
    for pid in pids:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            continue
        return False
    return True


def test_up_runs_the_deployment_on_postgres_with_schedules_on_and_down_stops_it(
    chromium: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    database = f"moulin_up_{uuid.uuid4().hex[:8]}"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "MOULIN_"))}
    env |= {"DAGSTER_PG_DB": database, "DAGSTER_HOME": str(tmp_path / "home")}
    root = tmp_path / "production"
    started = _cli("up", "--port", str(port), "--dir", str(root), env=env)
    pids = (
        list(json.loads((root / "pids.json").read_text()).values())
        if started.returncode == 0
        else []
    )
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"http://127.0.0.1:{port}" in started.stdout
        url = f"http://127.0.0.1:{port}"
        # Its runs and schedules live in PostgreSQL.
        with (
            psycopg2.connect(host="127.0.0.1", user="postgres", dbname=database) as pg,
            pg.cursor() as cursor,
        ):
            cursor.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'runs'"
            )
            assert cursor.fetchone()[0] == 1
        answer = httpx.post(f"{url}/graphql", json={"query": SCHEDULES}, timeout=60).json()
        states = {s["name"]: s["scheduleState"]["status"]
                  for s in answer["data"]["schedulesOrError"]["results"]}  # fmt: skip
        assert states["nightly_sync_schedule"] == states["weekly_full_sync_schedule"] == "RUNNING"
        # Live sync is on in production: the App du Moulin's change sensor runs.
        answer = httpx.post(f"{url}/graphql", json={"query": SENSORS}, timeout=60).json()
        sensors = {s["name"]: s["sensorState"]["status"]
                   for s in answer["data"]["sensorsOrError"]["results"]}  # fmt: skip
        assert sensors["app_du_moulin_live"] == "RUNNING"

        shots = ARTIFACTS / "make-up"
        shots.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(60_000)
            try:
                page.goto(f"{url}/automation")
                expect(page.get_by_text("nightly_sync_schedule").first).to_be_visible()
                page.wait_for_load_state("networkidle")  # the on/off switches load last
                page.screenshot(path=shots / "schedules-running.png", full_page=True)
            finally:
                browser.close()

        again = _cli("up", "--port", str(port), "--dir", str(root), env=env)
        assert again.returncode != 0 and "already up" in again.stderr
    finally:
        stopped = _cli("down", "--dir", str(root), env=env)
        pg = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
        pg.autocommit = True  # DROP DATABASE runs outside a transaction
        with pg.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        pg.close()
    assert stopped.returncode == 0, stopped.stderr
    deadline = time.monotonic() + 15
    while not _gone(pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _gone(pids), "a process of the deployment outlived `down`"
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/server_info", timeout=2)
