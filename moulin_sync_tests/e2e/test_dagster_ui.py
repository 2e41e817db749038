"""The Dagster UI in a real, headless Chromium, used the way the web team uses it.

`dagster-webserver -w workspace.yaml` and `dagster-daemon run` run as in production, with
a DAGSTER_HOME of their own (SQLite here: the PostgreSQL instance is covered by
test_dagster_instance_postgres.py), a small generated source and the HubSpot emulator
(never the real HubSpot). The browser opens the catalog and the lineage, then launches a
materialization of app_du_moulin/customers with the asset page's Materialize button; the
daemon dequeues the run and it must succeed. Screenshots land in the test's tmp_path.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import polars as pl
import pytest
from dagster import AssetKey, DagsterInstance, DagsterRunStatus
from dagster_graphql import DagsterGraphQLClient

from moulin_sync.sources.app_du_moulin.reader import SourceReader
from moulin_sync.testing.hubspot_emulator import free_port, run_hubspot_emulator
from moulin_sync_tests.e2e.conftest import CHROMIUM_ARGS, REPO_ROOT, stop_process_groups

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# A throwaway SQLite instance: no telemetry, no "join the community" dialog over the UI.
INSTANCE_YAML = """\
telemetry:
  enabled: false
nux:
  enabled: false
"""
# The whole test, servers included, takes ~70 s on 2 idle cores (the webserver and the
# daemon load the definitions in ~20 s; the run spawns a process per step), 2-3 min when
# other test suites load those 2 cores 3-5 times over. Its waits share one budget under
# the pytest-timeout; a failure says how loaded the machine was.
TEST_BUDGET_S = 230
STARTUP_TIMEOUT_S = 90
UI_TIMEOUT_MS = 60_000
CUSTOMERS = AssetKey(["app_du_moulin", "customers"])
CATALOG_KEYS = [
    "app_du_moulin/customers",
    "app_du_moulin/companies",
    "app_du_moulin/company_contacts",
    "app_du_moulin/orders",
    "app_du_moulin/pickup_points",
    "hubspot/companies",
    "hubspot/contacts",
    "hubspot/property_schema",
    "hubspot_payloads/contacts",
]
TERMINAL = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


@dataclass
class DagsterUI:
    url: str
    port: int
    home: Path
    data_dir: Path
    logs: dict[str, Path]
    deadline: float  # time.monotonic() by which the whole test must be done

    def log_tails(self, chars: int = 3000) -> str:
        return "\n".join(
            f"--- {name} ({path}) ---\n{path.read_text(errors='replace')[-chars:]}"
            for name, path in self.logs.items()
        )


def _wait_for_server(ui: DagsterUI, processes: dict[str, subprocess.Popen]) -> None:
    started = time.monotonic()
    deadline = min(started + STARTUP_TIMEOUT_S, ui.deadline)
    with httpx.Client(trust_env=False, timeout=2) as http:
        while time.monotonic() < deadline:
            for name, process in processes.items():
                if process.poll() is not None:
                    pytest.fail(f"{name} exited with {process.returncode}\n{ui.log_tails()}")
            try:
                info = http.get(f"{ui.url}/server_info")
                if info.status_code == 200 and "dagster_webserver_version" in info.json():
                    print(f"dagster-webserver up in {time.monotonic() - started:.1f} s")
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
    pytest.fail(
        f"dagster-webserver not up after {time.monotonic() - started:.0f} s ({_load()})\n"
        + ui.log_tails()
    )


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} on {os.cpu_count()} cores"


@pytest.fixture
def dagster_ui(tmp_path: Path, source_url: str) -> Iterator[DagsterUI]:
    deadline = time.monotonic() + TEST_BUDGET_S
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML)
    port = free_port()
    ui = DagsterUI(
        url=f"http://127.0.0.1:{port}",
        port=port,
        home=home,
        data_dir=tmp_path / "data",
        logs={name: tmp_path / f"{name}.log" for name in ("webserver", "daemon")},
        deadline=deadline,
    )
    bin_dir = Path(sys.executable).parent
    commands = {
        "webserver": [str(bin_dir / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port),
                      "-w", "workspace.yaml"],
        "daemon": [str(bin_dir / "dagster-daemon"), "run", "-w", "workspace.yaml"],
    }  # fmt: skip
    with run_hubspot_emulator() as hubspot:
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "MOULIN_SOURCE_URL": source_url,
            "MOULIN_STATE_URL": f"sqlite:///{tmp_path / 'sync_state.db'}",
            "MOULIN_DATA_DIR": str(ui.data_dir),
            "HUBSPOT_BASE_URL": hubspot.base_url,
            "HUBSPOT_ACCESS_TOKEN": hubspot.token,
        }
        processes: dict[str, subprocess.Popen] = {}
        try:
            for name, command in commands.items():
                with ui.logs[name].open("wb") as log:
                    processes[name] = subprocess.Popen(
                        command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL, start_new_session=True,
                    )  # fmt: skip
            _wait_for_server(ui, processes)
            yield ui
        finally:
            stop_process_groups(*processes.values())


def _graph_node(page, name: str):
    """An asset node of the lineage graph, by the last part of its key."""
    title = page.locator("[class*=AssetNode_assetName]", has_text=re.compile(f"^{name}$"))
    return page.locator("[class*=AssetNode_assetNodeContainer]", has=title)


def _run_status(client: DagsterGraphQLClient, run_id: str, deadline: float) -> DagsterRunStatus:
    status = client.get_run_status(run_id)
    while status not in TERMINAL and time.monotonic() < deadline:
        time.sleep(1)
        status = client.get_run_status(run_id)
    return status


def _run_errors(instance: DagsterInstance, run_id: str) -> str:
    return "\n".join(
        f"{event.dagster_event_type}: {event.message}"
        for event in instance.all_logs(run_id)
        if event.dagster_event_type and "FAILURE" in str(event.dagster_event_type)
    )


@pytest.mark.timeout(TEST_BUDGET_S + 10)
def test_web_team_materializes_customers_from_the_ui(
    chromium: str, dagster_ui: DagsterUI, source_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from moulin_sync.defs.partitions import monthly_partitions

    ui = dagster_ui
    started = time.monotonic()

    def step(name: str) -> None:  # phase timings, shown by pytest when the test fails
        print(f"[{time.monotonic() - started:6.1f} s] {name}")

    step(f"servers up; logs and screenshots in {tmp_path}")
    customers = SourceReader(source_url).read_table("customers").height
    client = DagsterGraphQLClient("127.0.0.1", port_number=ui.port, timeout=30)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh user-data-dir
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            # Tall enough that the catalog's virtualized table renders every asset row.
            viewport={"width": 1600, "height": 1800},
        )
        try:
            browser.set_default_timeout(UI_TIMEOUT_MS)
            page = browser.new_page()

            step("browser up")
            # 1. The asset catalog lists our assets, by their full keys.
            page.goto(f"{ui.url}/assets")
            for key in CATALOG_KEYS:
                expect(page.locator(f'a[href="/assets/{key}"]').first).to_be_visible(
                    timeout=UI_TIMEOUT_MS
                )
            # Once the statuses load: nothing ran yet, and orders has one partition a month.
            months = len(monthly_partitions.get_partition_keys())
            expect(page.get_by_text(f"{months} partitions").first).to_be_visible(
                timeout=UI_TIMEOUT_MS
            )
            expect(page.get_by_text("Never materialized").first).to_be_visible()
            expect(page.get_by_text(re.compile(r"^Loading"))).to_have_count(
                0, timeout=UI_TIMEOUT_MS
            )
            page.screenshot(path=tmp_path / "1-catalog.png")

            step("catalog checked")
            # 2. The customers row's group link opens the app_du_moulin lineage graph.
            page.locator(
                'a[href^="/asset-groups~"][href$="app_du_moulin%2Fcustomers"]'
            ).first.click()
            expect(page).to_have_url(re.compile(r"/asset-groups~"), timeout=UI_TIMEOUT_MS)
            for name in ("customers", "companies", "company_contacts", "orders", "pickup_points"):
                expect(_graph_node(page, name)).to_be_visible(timeout=UI_TIMEOUT_MS)
            # orders is partitioned by month, one partition per month of history.
            expect(_graph_node(page, "orders")).to_contain_text(f"{months} partitions")
            expect(page.get_by_text("app_du_moulin / customers").first).to_be_visible()
            page.screenshot(path=tmp_path / "2-lineage.png")

            step("lineage checked")
            # 3. The asset page's Materialize button launches a run of customers.
            page.goto(f"{ui.url}/assets/app_du_moulin/customers")
            expect(page.get_by_text("Never materialized")).to_be_visible(timeout=UI_TIMEOUT_MS)
            materialize = page.locator("button", has_text=re.compile(r"^Materialize$"))
            expect(materialize).to_have_count(1)
            materialize.click()
            toast = page.get_by_text(re.compile(r"Launched run [0-9a-f]{8}"))
            expect(toast).to_be_visible(timeout=UI_TIMEOUT_MS)
            launched = re.search(r"Launched run ([0-9a-f]{8})", toast.inner_text())
            assert launched is not None
            short_id = launched.group(1)

            step(f"run {short_id} launched from the UI")
            with DagsterInstance.from_config(str(ui.home)) as instance:
                runs = instance.get_runs()
                assert [run.run_id[:8] for run in runs] == [short_id]
                run_id = runs[0].run_id
                assert runs[0].asset_selection == {CUSTOMERS}

                # 4. The daemon runs it; the GraphQL API and the run page say it succeeded.
                # Meanwhile the browser idles: a live run page costs a software-rendering
                # Chromium a core, which the run's step processes need on a small machine.
                page.goto("about:blank")
                # Keep ~15 s of the budget for the last page checks.
                status = _run_status(client, run_id, ui.deadline - 15)
                waited = time.monotonic() - started
                assert status == DagsterRunStatus.SUCCESS, (
                    f"run {run_id} is {status}, {waited:.0f} s after the servers were up "
                    f"({_load()})\n{_run_errors(instance, run_id)}\n" + ui.log_tails()
                )
                step(f"run ended {status}")
                page.goto(f"{ui.url}/runs/{run_id}")
                expect(page.get_by_text("Success", exact=True).first).to_be_visible(
                    timeout=UI_TIMEOUT_MS
                )
                # The event log ends with the run's success, and no step errored.
                expect(page.get_by_text("RUN_SUCCESS").first).to_be_visible(timeout=UI_TIMEOUT_MS)
                expect(page.get_by_text("Errored (0)")).to_be_visible()
                page.screenshot(path=tmp_path / "3-run.png")

                latest = instance.get_latest_materialization_event(CUSTOMERS)
                assert latest is not None and latest.run_id == run_id

            # 5. The asset page now shows the materialization and its row count.
            page.goto(f"{ui.url}/assets/app_du_moulin/customers")
            expect(page.locator("body")).to_contain_text(
                re.compile(rf"Row count\s*{customers}(?!\d)"), timeout=UI_TIMEOUT_MS
            )
            expect(page.get_by_text("Never materialized")).to_have_count(0)
            page.screenshot(path=tmp_path / "4-customers-materialized.png")
            step("materialization shown")
        finally:
            browser.close()

    # The run wrote its snapshot where MOULIN_DATA_DIR told it to.
    snapshot = ui.data_dir / "app_du_moulin" / "customers" / "all.parquet"
    assert pl.read_parquet(snapshot).height == customers
