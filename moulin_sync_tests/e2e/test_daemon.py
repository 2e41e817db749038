"""The daemon of the production deployment at work: `moulin-sync up` on PostgreSQL, the
pipeline pointed at a small generated source and a HubSpot emulator.

One deployment serves the three tests, which build on each other in file order: the
schedule's tick syncs the history, a backfill of every month adds new orders' deals, a
killed run adds more. After each, every order of the history has exactly one deal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import signal
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from moulin_sync.demo_data.generator import generate
from moulin_sync.testing.deployment import Deployment, running_deployment
from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync_tests.e2e.conftest import REPO_ROOT, SOURCE_SIZES, TODAY

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

# A short history (seven months, 18 orders) keeps the nightly run to one span of months.
HISTORY_START = "2026-06-01"
DEAL_ASSETS = [["app_du_moulin", "orders"], ["hubspot_payloads", "deals"], ["hubspot", "deals"]]
DEALS_CREATE = "/crm/v3/objects/deals/batch/create"
ORDER_COLUMNS = ("customer_id, company_id, ordered_at, paid_at, status, amount_eur, channel, "
                 "pickup_point_id, notes, created_at, updated_at")  # fmt: skip
IN_PROGRESS = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")


@dataclass
class World:
    deployment: Deployment
    hubspot: EmulatorHandle
    source: Path
    pg: dict[str, str]

    def history_orders(self) -> set[str]:
        """The ids of the orders placed since the history's start."""
        with contextlib.closing(sqlite3.connect(self.source)) as connection:
            rows = connection.execute(
                "SELECT id FROM orders WHERE ordered_at >= ?", (HISTORY_START,)
            ).fetchall()
        return {str(order_id) for (order_id,) in rows}

    def deal_order_ids(self) -> list[str]:
        """The order id of every live deal in HubSpot, repeats kept."""
        deals = self.hubspot.admin.state()["objects"]["deals"]
        return [d["properties"].get("moulin_order_id") for d in deals if not d["archived"]]

    def assert_one_deal_per_order(self) -> None:
        ids = self.deal_order_ids()
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        assert not repeated, f"orders with more than one deal: {repeated}"
        assert set(ids) == self.history_orders()

    def add_orders(self, first: str, last: str, suffix: str) -> set[str]:
        """New orders, as the App du Moulin would take them: copies of the orders of the
        months `first` to `last` ("2026-06"), mid-month so no time zone moves them."""
        with contextlib.closing(sqlite3.connect(self.source)) as connection, connection:
            [(top,)] = connection.execute("SELECT max(id) FROM orders").fetchall()
            originals = connection.execute(
                "SELECT id FROM orders WHERE substr(ordered_at, 1, 7) BETWEEN ? AND ? "
                "AND substr(ordered_at, 9, 2) BETWEEN '02' AND '27' AND ordered_at >= ?",
                (first, last, HISTORY_START),
            ).fetchall()
            for offset, (original,) in enumerate(originals, start=1):
                connection.execute(
                    f"INSERT INTO orders (id, order_number, {ORDER_COLUMNS}) "
                    f"SELECT ?, order_number || ?, {ORDER_COLUMNS} FROM orders WHERE id = ?",
                    (top + offset, suffix, original),
                )
        assert originals, f"no order to copy in {first} to {last}"
        return {str(top + offset) for offset in range(1, len(originals) + 1)}

    def slots_held(self, run_id: str) -> int:
        """HubSpot pool slots a run holds, read in Dagster's PostgreSQL tables."""
        with (
            contextlib.closing(pg_connect(self.pg, self.pg["dbname"])) as connection,
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT count(*) FROM concurrency_slots WHERE run_id = %s", (run_id,))
            return cursor.fetchone()[0]

    def settle(self) -> None:
        """No more ticks, and no run left in flight, before a test launches its own."""
        self.deployment.stop_schedule("nightly_sync_schedule")
        self.deployment.wait_for(
            lambda: not [r for r in self.deployment.runs() if r["status"] in IN_PROGRESS],
            "quiet deployment",
            timeout=300,
        )


@pytest.fixture(scope="module")
def world(
    postgres_server: str, hubspot: EmulatorHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    root = tmp_path_factory.mktemp("daemon")
    source = root / "app_du_moulin.db"
    generate(f"sqlite:///{source}", **SOURCE_SIZES, seed=1, today=TODAY)
    server = make_url(postgres_server)
    pg = {"host": server.host or "127.0.0.1", "port": str(server.port or 5432),
          "user": server.username or "postgres", "password": server.password or "",
          "dbname": f"moulin_daemon_{uuid.uuid4().hex[:8]}"}  # fmt: skip
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "MOULIN_", "HUBSPOT_"))
    }
    env |= {
        "DAGSTER_HOME": str(root / "home"),
        "DAGSTER_PG_HOST": pg["host"],
        "DAGSTER_PG_PORT": pg["port"],
        "DAGSTER_PG_USER": pg["user"],
        "DAGSTER_PG_PASSWORD": pg["password"],
        "DAGSTER_PG_DB": pg["dbname"],
        "MOULIN_SOURCE_URL": f"sqlite:///{source}",
        "MOULIN_STATE_URL": f"sqlite:///{root / 'sync_state.db'}",
        "MOULIN_DATA_DIR": str(root / "data"),
        "MOULIN_HISTORY_START": HISTORY_START,
        # Every minute: the test sees a tick without waiting for 02:00.
        "MOULIN_NIGHTLY_CRON": "* * * * *",
        # These tests add orders for the nightly run to find: no live run beside them.
        "MOULIN_LIVE": "off",
        "HUBSPOT_BASE_URL": hubspot.base_url,
        "HUBSPOT_ACCESS_TOKEN": hubspot.token,
        "HUBSPOT_TIER": "unlimited",
    }
    try:
        with running_deployment(root / "production", env, cwd=REPO_ROOT) as deployment:
            yield World(deployment, hubspot, source, pg)
    finally:
        admin = pg_connect(pg, "postgres")
        admin.autocommit = True  # DROP DATABASE runs outside a transaction
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{pg["dbname"]}" WITH (FORCE)')
        admin.close()


def pg_connect(pg: dict[str, str], dbname: str) -> psycopg2.extensions.connection:
    # Trust auth: an empty password is no password.
    return psycopg2.connect(
        host=pg["host"], port=pg["port"], user=pg["user"], password=pg["password"] or None,
        dbname=dbname, connect_timeout=5,
    )  # fmt: skip


def current_month() -> str:
    return dt.datetime.now(ZoneInfo("Europe/Paris")).strftime("%Y-%m-01")


def run_worker_pid(deployment: Deployment, run_id: str) -> int:
    """The run worker's pid, from the engine event its code server logs at launch."""
    for message in deployment.messages(run_id):
        found = re.fullmatch(r"Started process for run \(pid: (\d+)\)\.", message)
        if found:
            return int(found.group(1))
    raise AssertionError(f"run {run_id} logged no run worker pid")


@pytest.mark.timeout(480)
def test_a_schedule_tick_launches_the_nightly_sync_which_succeeds(world: World) -> None:
    deployment = world.deployment
    scheduled = {"dagster/schedule_name": "nightly_sync_schedule"}
    with deployment.explained():
        try:
            [run] = deployment.wait_for(
                lambda: deployment.runs(scheduled), "run launched by a tick", timeout=150
            )
        finally:
            # One tick is the proof; the next would sync again (the other tests' runs).
            deployment.stop_schedule("nightly_sync_schedule")
        finished = deployment.wait_finished(run["runId"], timeout=240)
        assert finished["status"] == "SUCCESS"
        # The night's one span: the history never synced, up to the current month.
        assert run["tags"]["dagster/asset_partition_range_start"] == HISTORY_START
        assert run["tags"]["dagster/asset_partition_range_end"] == current_month()
        assert run["tags"]["moulin/why"]
        assert len(deployment.runs(scheduled)) == 1
        assert len(world.history_orders()) >= 10
        world.assert_one_deal_per_order()


@pytest.mark.timeout(360)
def test_a_backfill_of_every_month_through_graphql_is_one_run(world: World) -> None:
    deployment = world.deployment
    with deployment.explained():
        world.settle()
        added = world.add_orders("2026-06", "2026-08", "-B")
        assert not added & set(world.deal_order_ids())
        backfill = deployment.launch_backfill(DEAL_ASSETS)
        of_backfill = {"dagster/backfill": backfill}
        [run] = deployment.wait_for(
            lambda: deployment.runs(of_backfill), "run of the backfill", timeout=120
        )
        finished = deployment.wait_finished(run["runId"], timeout=240)
        assert finished["status"] == "SUCCESS"
        # The single-run policy: one run over every month, first to last.
        assert run["tags"]["dagster/asset_partition_range_start"] == HISTORY_START
        assert run["tags"]["dagster/asset_partition_range_end"] == current_month()
        status = deployment.wait_for(
            lambda: (s := deployment.backfill_status(backfill)) not in ("REQUESTED",) and s,
            "end of the backfill",
            timeout=60,
        )
        assert status in ("COMPLETED", "COMPLETED_SUCCESS")
        assert len(deployment.runs(of_backfill)) == 1
        assert added <= set(world.deal_order_ids())
        world.assert_one_deal_per_order()


@pytest.mark.timeout(420)
def test_a_killed_run_is_failed_retried_once_and_leaves_no_duplicate(world: World) -> None:
    deployment, admin = world.deployment, world.hubspot.admin
    with deployment.explained():
        world.settle()
        added = world.add_orders("2026-09", "2026-10", "-C")
        # HubSpot commits the new deals but holds its answer: the worker dies not knowing.
        fault = admin.add_fault(kind="hang_after_commit", method="POST", route=DEALS_CREATE)
        months = {"dagster/asset_partition_range_start": "2026-09-01",
                  "dagster/asset_partition_range_end": "2026-10-01"}  # fmt: skip
        killed = deployment.launch_run("nightly_sync", months)
        assert admin.wait_for_fault(fault["id"], counter="committed", timeout=240), (
            "the run never wrote its deals"
        )
        pid = run_worker_pid(deployment, killed)
        assert b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()  # the run worker
        os.kill(pid, signal.SIGKILL)
        killed_at = time.time()
        assert added <= set(world.deal_order_ids())  # written, unknown to the state store

        failed = deployment.wait_finished(killed, timeout=60)
        assert failed["status"] == "FAILURE"
        # Its code server saw the worker die; the worker's HubSpot slot outlived it.
        assert any("terminated by signal 9" in m for m in deployment.messages(killed))
        assert world.slots_held(killed) == 1

        [retry] = deployment.wait_for(
            lambda: deployment.runs({"dagster/parent_run_id": killed}), "retry", timeout=120
        )
        assert retry["tags"]["dagster/retry_number"] == "1"
        retried = deployment.wait_finished(retry["runId"], timeout=300)
        assert retried["status"] == "SUCCESS"
        # The retry waited in the queue for that slot until run monitoring freed it.
        blocked = f"Run {retry['runId']} is blocked by global concurrency limits"
        assert blocked in deployment.log("daemon")
        assert world.slots_held(killed) == 0
        assert len(deployment.runs({"dagster/parent_run_id": killed})) == 1
        world.assert_one_deal_per_order()
        print(
            f"kill → FAILURE {failed['endTime'] - killed_at:.1f} s, "
            f"→ retry started {retried['startTime'] - killed_at:.1f} s, "
            f"→ retry SUCCESS {retried['endTime'] - killed_at:.1f} s"
        )
