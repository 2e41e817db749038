"""The tour a person takes after `moulin-sync demo --ui`, in a real headless Chromium.

The demo runs the nightly job, then leaves dagster-webserver and dagster-daemon up over
it. The browser asserts what the web team reads: the deal checks Passed (on the asset
and on the lineage card), a month's own figures, the run listed under `nightly_sync` and
on the overview timeline, the rejections as rendered tables. Ctrl-C then stops it all.

Screenshots are kept in MOULIN_TEST_ARTIFACTS (default: test-artifacts/ under the
repository), one folder per test.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import polars as pl
import pytest
from dagster import AssetKey, DagsterInstance

from moulin_sync.hubspot.sync.state import SyncState
from moulin_sync.testing.hubspot_emulator import free_port
from moulin_sync_tests.e2e.conftest import CHROMIUM_ARGS, REPO_ROOT, stop_process_groups

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ARTIFACTS = Path(os.environ.get("MOULIN_TEST_ARTIFACTS", REPO_ROOT / "test-artifacts"))
DEMO_SIZES = ["--customers", "200", "--companies", "6", "--orders", "1500"]
DEAL_CHECKS = ("deals_are_associated", "every_order_has_a_deal", "no_duplicate_deals")
DEALS = AssetKey(["hubspot", "deals"])
BUDGET_S = 420
UI_TIMEOUT_MS = 60_000


def _wait_for_address(log: Path, process: subprocess.Popen, deadline: float) -> str:
    while time.monotonic() < deadline:
        found = re.search(r"Dagster UI: (http://\S+)", log.read_text(errors="replace"))
        if found:
            return found.group(1)
        if process.poll() is not None:
            pytest.fail(f"the demo exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        time.sleep(1)
    pytest.fail(f"the demo printed no UI address in time:\n{log.read_text()[-3000:]}")


def _month_figures(home: Path) -> tuple[str, dict[str, int]]:
    """The month with the most deals created, and its materialization's figures."""
    with DagsterInstance.from_config(str(home)) as instance:
        records = instance.fetch_materializations(DEALS, limit=200).records
        [run] = instance.get_runs()
    by_month = {
        r.partition_key: {k: v.value for k, v in r.asset_materialization.metadata.items()}
        for r in records
    }
    month = max(by_month, key=lambda m: by_month[m]["created"])
    return month, by_month[month] | {"run_id": run.run_id}


@pytest.mark.timeout(BUDGET_S + 30)
def test_a_person_tours_the_ui_after_the_demo(chromium: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = ARTIFACTS / "ui-tour"
    shots.mkdir(parents=True, exist_ok=True)
    print(f"screenshots in {shots}")
    deadline = time.monotonic() + BUDGET_S
    root, log = tmp_path / "demo", tmp_path / "demo.log"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("MOULIN_", "HUBSPOT_", "DAGSTER_"))
    }
    command = [sys.executable, "-m", "moulin_sync.cli", "demo", "--ui", "--dir", str(root),
               "--port", str(free_port()), *DEMO_SIZES]  # fmt: skip
    with log.open("wb") as out:
        demo = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    try:
        url = _wait_for_address(log, demo, deadline)
        month, figures = _month_figures(root / "dagster_home")
        synced = SyncState(f"sqlite:///{root / 'sync_state.db'}").load("deals")
        of_month = synced.filter(
            (pl.col("partition_key") == month) & (pl.col("status") == "synced")
        )
        assert figures["created"] == of_month.height > 0
        assert figures["run_created"] > figures["created"], "a month shows the run's totals"

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1600, "height": 1400})
            page.set_default_timeout(UI_TIMEOUT_MS)
            try:
                # 1. The deal checks Passed, once for the run's months (no "Skipped").
                page.goto(f"{url}/assets/hubspot/deals?view=checks")
                for name in DEAL_CHECKS:
                    expect(page.get_by_text(name, exact=True).first).to_be_visible()
                expect(page.get_by_text("Succeeded", exact=True)).to_have_count(4)
                expect(page.get_by_text("Passed", exact=True).first).to_be_visible()
                expect(page.get_by_text("Skipped")).to_have_count(0)
                page.screenshot(path=shots / "1-deal-checks-passed.png")

                # 2. The lineage card says so too.
                page.goto(f"{url}/assets/hubspot/deals?view=lineage")
                card = page.locator("[class*=AssetNode_assetNodeContainer]", has_text="deals")
                expect(
                    card.filter(has_text=re.compile(r"4\s*/\s*4\s*Passed")).first
                ).to_be_visible()
                page.screenshot(path=shots / "2-lineage-card.png")

                # 3. A month's materialization: that month's figures, the run's named so,
                # the rejections and waits as tables, not markdown behind a button.
                page.goto(f"{url}/assets/hubspot/deals?view=partitions&partition={month}")
                for name in ("created", "run_created"):
                    row = page.get_by_role("row", name=f"{name} {figures[name]}", exact=True)
                    expect(row.first).to_be_visible()
                expect(page.locator("table", has_text="records").first).to_be_visible()
                expect(page.get_by_text("rejections_by_cause").first).to_be_visible()
                expect(page.get_by_text("Show Markdown")).to_have_count(0)
                page.screenshot(path=shots / "3-month-figures.png", full_page=True)

                # 4. The demo's run is listed under the job, and on the overview timeline.
                page.goto(f"{url}/locations/moulin_sync/jobs/nightly_sync/runs")
                expect(page.get_by_text(figures["run_id"][:8]).first).to_be_visible()
                page.screenshot(path=shots / "4-job-runs.png")
                page.goto(f"{url}/overview/activity/timeline")
                expect(page.get_by_text("nightly_sync").first).to_be_visible()
                page.screenshot(path=shots / "5-timeline.png")
            finally:
                browser.close()

        # Ctrl-C stops the UI, the daemon and the emulator.
        os.killpg(demo.pid, signal.SIGINT)
        assert demo.wait(60) == 0, log.read_text()[-2000:]
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{url}/server_info", timeout=2)
    finally:
        stop_process_groups(demo)
