"""Live sync through the production deployment: `moulin-sync up` on PostgreSQL with
MOULIN_LIVE=on, the App du Moulin's change sensor looking every second (Dagster's sensor
daemon: every 5 s at most), a small generated source and a HubSpot emulator.

One deployment serves the tests, in file order: nothing changed costs nothing; an order
becomes a deal with no run launched by hand (two changes in one second both land); a live
run racing a nightly run and a refresh press leaves one deal with the newest values; a
daemon killed mid-run and started again loses no change.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from moulin_sync.demo_data.generator import generate
from moulin_sync.testing.deployment import Deployment, running_deployment
from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync_tests.e2e.conftest import REPO_ROOT, SOURCE_SIZES, TODAY

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SENSOR = "app_du_moulin_live"
LIVE = {"dagster/sensor_name": SENSOR}
IN_PROGRESS = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")
ORDER_COLUMNS = ("customer_id, company_id, ordered_at, paid_at, status, amount_eur, channel, "
                 "pickup_point_id, notes, created_at")  # fmt: skip


@dataclass
class World:
    deployment: Deployment
    hubspot: EmulatorHandle
    source: Path
    env: dict[str, str]
    instance: Path  # where its dagster.yaml is

    def sql(self, statement: str, parameters: tuple = ()) -> list[tuple]:
        with contextlib.closing(sqlite3.connect(self.source)) as connection, connection:
            return connection.execute(statement, parameters).fetchall()

    def deals_of(self, order_id: int) -> list[dict]:
        deals = self.hubspot.admin.state()["objects"]["deals"]
        return [
            d["properties"]
            for d in deals
            if not d["archived"] and d["properties"].get("moulin_order_id") == str(order_id)
        ]

    def amount_of(self, order_id: int) -> float | None:
        found = self.deals_of(order_id)
        return float(found[0]["amount"]) if len(found) == 1 else None

    def assert_no_duplicate_deal(self) -> None:
        deals = self.hubspot.admin.state()["objects"]["deals"]
        ids = [d["properties"].get("moulin_order_id") for d in deals if not d["archived"]]
        assert not sorted({i for i in ids if ids.count(i) > 1})

    def b2c_orders(self, count: int) -> list[tuple[int, int, str]]:
        """(order id, customer id, month) of B2C orders of distinct customers."""
        rows = self.sql(
            "SELECT min(id), customer_id, min(substr(ordered_at, 1, 7)) FROM orders "
            "WHERE company_id IS NULL AND customer_id IN (SELECT id FROM customers "
            "WHERE deleted_at IS NULL AND anonymized_at IS NULL AND email LIKE '%@%') "
            "AND ordered_at >= '2026-06-05' AND ordered_at < '2026-10-25' "
            "GROUP BY customer_id ORDER BY customer_id LIMIT ?",
            (count,),
        )
        return [(o, c, f"{m}-01") for o, c, m in rows]

    def quiet(self) -> None:
        self.deployment.wait_for(
            lambda: not [r for r in self.deployment.runs() if r["status"] in IN_PROGRESS],
            "no run in flight",
            timeout=240,
        )


def now_text() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def fast_monitoring_instance(folder: Path) -> Path:
    """The production dagster.yaml with run monitoring polling every 5 s instead of 30:
    the same monitoring fails a run a killed daemon left STARTED, a minute sooner."""
    folder.mkdir()
    production = (REPO_ROOT / "dagster.yaml").read_text()
    faster = production.replace("poll_interval_seconds: 30", "poll_interval_seconds: 5")
    assert faster != production, "dagster.yaml's run monitoring poll interval moved"
    (folder / "dagster.yaml").write_text(faster)
    return folder


@pytest.fixture(scope="module")
def world(
    postgres_server: str, hubspot: EmulatorHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    root = tmp_path_factory.mktemp("live")
    source = root / "app_du_moulin.db"
    generate(f"sqlite:///{source}", **SOURCE_SIZES, seed=3, dirty_rate=0.0, today=TODAY)
    server = make_url(postgres_server)
    database = f"moulin_live_{uuid.uuid4().hex[:8]}"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "MOULIN_", "HUBSPOT_"))
    }
    env |= {
        "DAGSTER_HOME": str(root / "home"),
        "DAGSTER_PG_HOST": server.host or "127.0.0.1",
        "DAGSTER_PG_PORT": str(server.port or 5432),
        "DAGSTER_PG_USER": server.username or "postgres",
        "DAGSTER_PG_PASSWORD": server.password or "",
        "DAGSTER_PG_DB": database,
        "MOULIN_SOURCE_URL": f"sqlite:///{source}",
        "MOULIN_STATE_URL": f"sqlite:///{root / 'sync_state.db'}",
        "MOULIN_DATA_DIR": str(root / "data"),
        "MOULIN_HISTORY_START": "2026-06-01",
        "MOULIN_LIVE": "on",
        "MOULIN_LIVE_INTERVAL": "1",
        # A run left STARTED by a killed daemon is failed (and retried) this soon.
        "MOULIN_LIVE_MAX_RUNTIME": "30",
        "HUBSPOT_BASE_URL": hubspot.base_url,
        "HUBSPOT_ACCESS_TOKEN": hubspot.token,
        "HUBSPOT_TIER": "unlimited",
    }
    hubspot.admin.reset()
    try:
        instance = fast_monitoring_instance(root / "instance")
        with running_deployment(root / "production", env, cwd=instance) as deployment:
            yield World(deployment, hubspot, source, env, instance)
    finally:
        admin = psycopg2.connect(
            host=env["DAGSTER_PG_HOST"], port=env["DAGSTER_PG_PORT"],
            user=env["DAGSTER_PG_USER"], password=env["DAGSTER_PG_PASSWORD"] or None,
            dbname="postgres", connect_timeout=5,
        )  # fmt: skip
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()


@pytest.mark.timeout(180)
def test_nothing_changed_is_no_run_and_no_hubspot_call_over_ten_ticks(world: World) -> None:
    deployment = world.deployment
    with deployment.explained():
        # The first tick starts the cursor at the source's present.
        [first, *_] = deployment.wait_for(
            lambda: deployment.sensor_ticks(SENSOR), "a first tick", timeout=90
        )
        world.hubspot.admin.reset_stats()

        def later_ticks() -> list[dict]:
            ticks = deployment.sensor_ticks(SENSOR)
            return [t for t in ticks if t["timestamp"] > first["timestamp"]]

        later = deployment.wait_for(
            lambda: len(found := later_ticks()) >= 10 and found, "ten more ticks", 120, poll=2
        )
        assert all(t["status"] == "SKIPPED" and not t["runIds"] for t in later)
        assert all(t["skipReason"].startswith("nothing changed") for t in later)
        assert deployment.runs({"dagster/sensor_name": SENSOR}) == []
        assert sum(r["count"] for r in world.hubspot.admin.stats()) == 0


@pytest.mark.timeout(180)
def test_an_order_becomes_a_deal_with_no_manual_run_and_same_second_changes_all_land(
    world: World,
) -> None:
    deployment = world.deployment
    [(original, _, _), (other, _, _)] = world.b2c_orders(2)
    with deployment.explained():
        [(top,)] = world.sql("SELECT max(id) FROM orders")
        new = top + 1
        at = now_text()  # both changes in one second
        world.sql(
            f"INSERT INTO orders (id, order_number, {ORDER_COLUMNS}, updated_at) "
            f"SELECT ?, order_number || '-L', {ORDER_COLUMNS}, ? FROM orders WHERE id = ?",
            (new, at, original),
        )
        world.sql("UPDATE orders SET amount_eur = 1234.5, updated_at = ? WHERE id = ?",
                  (at, other))  # fmt: skip
        deployment.wait_for(
            lambda: world.deals_of(new) and world.amount_of(other) == 1234.5,
            "the new order's deal and the other order's new amount",
            timeout=120,
        )
        runs = deployment.runs(LIVE)
        assert runs and all(r["tags"]["moulin/kind"] == "live" for r in runs)
        assert deployment.runs({"dagster/schedule_name": "nightly_sync_schedule"}) == []
        assert len(world.deals_of(new)) == 1
        world.assert_no_duplicate_deal()


@pytest.mark.timeout(300)
def test_a_live_run_racing_a_nightly_run_and_a_refresh_leaves_one_deal_with_the_newest_values(
    world: World,
) -> None:
    deployment = world.deployment
    [(order, customer, month)] = world.b2c_orders(1)
    with deployment.explained():
        world.quiet()
        world.sql("UPDATE orders SET amount_eur = 111, updated_at = ? WHERE id = ?",
                  (now_text(), order))  # fmt: skip
        months = {"dagster/asset_partition_range_start": month,
                  "dagster/asset_partition_range_end": month}  # fmt: skip
        nightly = deployment.launch_run("nightly_sync", months)
        refresh = deployment.launch_run(
            "refresh_customer",
            {},
            run_config={
                "ops": {"refresh_one_customer": {"config": {"moulin_customer_id": str(customer)}}}
            },
        )
        # The newest value, while the three are in flight.
        world.sql("UPDATE orders SET amount_eur = 222, updated_at = ? WHERE id = ?",
                  (now_text(), order))  # fmt: skip
        for run_id in (nightly, refresh):
            assert deployment.wait_finished(run_id, timeout=240)["status"] == "SUCCESS"
        world.quiet()
        deployment.wait_for(lambda: world.amount_of(order) == 222, "the newest amount", 60)
        assert len(world.deals_of(order)) == 1
        world.assert_no_duplicate_deal()


@pytest.mark.timeout(420)
def test_a_daemon_killed_mid_run_and_started_again_loses_no_change(world: World) -> None:
    deployment, admin = world.deployment, world.hubspot.admin
    [_, (order, _, _)] = world.b2c_orders(2)
    with deployment.explained():
        world.quiet()
        before = {r["runId"] for r in deployment.runs(LIVE)}
        admin.set_limits(latency_ms=[5000, 5000])  # a slow HubSpot: the run is mid-way when killed
        try:
            world.sql("UPDATE orders SET amount_eur = 333, updated_at = ? WHERE id = ?",
                      (now_text(), order))  # fmt: skip
            [run] = deployment.wait_for(
                lambda: [r for r in deployment.runs(LIVE)
                         if r["runId"] not in before and r["status"] == "STARTED"],
                "a live run started",
                timeout=90,
                poll=0.5,
            )  # fmt: skip
            deployment.kill_daemon()
        finally:
            admin.set_limits(latency_ms=None)
        assert world.amount_of(order) != 333
        deployment.start_daemon({"MOULIN_LIVE": "on", **world.env}, world.instance)
        deployment.wait_for(lambda: world.amount_of(order) == 333, "the change", timeout=300)
        assert deployment.run(run["runId"])["status"] == "FAILURE"
        world.assert_no_duplicate_deal()
