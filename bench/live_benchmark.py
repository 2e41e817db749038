"""Live sync, timed through dagster-daemon on PostgreSQL (`make bench-live`).

    .venv/bin/python bench/live_benchmark.py [--minutes 5] [--burst 10000]

A world of 2,000 customers, 40 companies and 12,000 orders is synced to the emulator
(professional tier: 190 calls in 10 s) by a nightly run in process; then `moulin-sync up`
runs the production deployment with MOULIN_LIVE=on and the default interval (30 s), and:
1. a trickle of one change a second for `--minutes` (orders' amounts, customers' first
   names, one company's name), each on a record of its own: the latency from the source
   commit to HubSpot holding the value (the emulator's `updatedAt` of the record) —
   target p50 <= 30 s, p95 <= 60 s; HubSpot calls against the minimum for those changes
   (per live run, ⌈records ÷ 100⌉ per object type and kind of write) — target <= x1.05;
2. a burst of `--burst` new orders in one transaction: from the commit to the last deal
   in HubSpot — target <= 1.1 x the rate floor (its minimum calls ÷ 19/s) + one interval.
Writes bench/results/live-<date>.json and prints the README's table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_machine import machine
from daemon_runs import Deployment

from moulin_sync.testing.hubspot_emulator import run_hubspot_emulator
from moulin_sync.testing.sync_world import DEAL_ASSETS, SyncWorld, new_world

ROOT = Path(__file__).resolve().parent.parent
HISTORY = ("2024-01-01", "2026-11-01")
INTERVAL_S = 30
STEADY_CALLS_PER_S = 19.0
P50_S, P95_S, CALLS_RATIO, BURST_RATIO = 30.0, 60.0, 1.05, 1.1
STAMP = "%Y-%m-%d %H:%M:%S"
LIVE = {"dagster/sensor_name": "app_du_moulin_live"}


def now_text() -> str:
    return dt.datetime.now(dt.UTC).strftime(STAMP)


def parse(moment: str) -> float:
    return dt.datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp()


def sql(world: SyncWorld, statement: str, parameters: tuple = ()) -> list[tuple]:
    return world.sql(statement, parameters)


def records_by_key(world: SyncWorld) -> dict[tuple[str, str], dict[str, Any]]:
    """(object type, our key) → the record as the emulator holds it."""
    keys = {"contacts": "moulin_customer_id", "companies": "moulin_company_id",
            "deals": "moulin_order_id"}  # fmt: skip
    found = {}
    objects = world.hubspot.admin.state()["objects"]
    for kind, key in keys.items():
        for record in objects[kind]:
            value = record["properties"].get(key)
            if value and not record["archived"]:
                found[(kind, value)] = record
    return found


def trickle_changes(world: SyncWorld, count: int) -> list[tuple[str, str, str, str]]:
    """(object type, key, property, value) of `count` changes, each on a record of its
    own, already synced: mostly orders, a fifth customers, one company."""
    held = records_by_key(world)
    orders = [str(i) for (i,) in sql(world, "SELECT id FROM orders WHERE company_id IS NULL "
                                            "ORDER BY id DESC")]  # fmt: skip
    customers = [str(i) for (i,) in sql(world, "SELECT id FROM customers WHERE deleted_at IS "
                                               "NULL AND anonymized_at IS NULL ORDER BY id")]  # fmt: skip
    orders = [o for o in orders if ("deals", o) in held]
    customers = [c for c in customers if ("contacts", c) in held]
    [(company,)] = sql(world, "SELECT id FROM companies ORDER BY id LIMIT 1")
    made: list[tuple[str, str, str, str]] = [("companies", str(company), "name", "Moulin Live SAS")]
    # A customer whose orders change is changed once: one change per record.
    owners = dict(sql(world, "SELECT CAST(id AS TEXT), CAST(customer_id AS TEXT) FROM orders"))
    used: set[str] = set()
    for n in range(1, count):
        if n % 5 == 0:
            customer = next(c for c in customers if c not in used)
            used.add(customer)
            made.append(("contacts", customer, "firstname", f"Live{n}"))
        else:
            order = next(o for o in orders if owners[o] not in used)
            used.add(owners[order])
            orders.remove(order)
            made.append(("deals", order, "amount", f"{1000 + n}.5"))
    return made


def apply(world: SyncWorld, change: tuple[str, str, str, str]) -> float:
    """Commit one change at the source; its commit time."""
    kind, key, _, value = change
    at = now_text()
    if kind == "deals":
        sql(world, "UPDATE orders SET amount_eur = ?, updated_at = ? WHERE id = ?",
            (float(value), at, int(key)))  # fmt: skip
    elif kind == "contacts":
        sql(world, "UPDATE customers SET first_name = ?, updated_at = ? WHERE id = ?",
            (value, at, int(key)))  # fmt: skip
    else:
        sql(world, "UPDATE companies SET name = ?, updated_at = ? WHERE id = ?",
            (value, at, int(key)))  # fmt: skip
    return time.time()


def holds(record: dict[str, Any] | None, prop: str, value: str) -> bool:
    if record is None:
        return False
    held = record["properties"].get(prop)
    if prop == "amount":
        return held is not None and float(held) == float(value)
    return held == value


def live_runs_minimum(deployment: Deployment, since: float) -> tuple[int, int, list[str]]:
    """(runs, minimum calls) of the live runs that started after `since`: per run, per
    stream, ⌈records ÷ 100⌉ for what it created and for what it updated."""
    from dagster import DagsterEventType, RunsFilter

    instance = deployment.instance
    runs = instance.get_run_records(filters=RunsFilter(tags=LIVE))
    minimum, ids = 0, []
    for record in runs:
        if (record.start_time or 0) < since:
            continue
        ids.append(record.dagster_run.run_id)
        for entry in instance.all_logs(record.dagster_run.run_id,
                                       of_type=DagsterEventType.STEP_OUTPUT):  # fmt: skip
            metadata = entry.dagster_event.step_output_data.metadata
            for name, value in metadata.items():
                if name.endswith(("_created", "_updated")):
                    minimum += math.ceil(int(value.value) / 100)
    return len(ids), minimum, ids


def total_calls(world: SyncWorld) -> int:
    return sum(r["count"] for r in world.hubspot.admin.stats())


def wait_quiet(deployment: Deployment, timeout: float = 900) -> None:
    from dagster import DagsterRunStatus, RunsFilter

    flight = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED,
              DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]  # fmt: skip
    deadline = time.monotonic() + timeout
    while deployment.instance.get_run_records(filters=RunsFilter(statuses=flight)):
        if time.monotonic() > deadline:
            raise TimeoutError("live runs still in flight")
        time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--burst", type=int, default=10_000)
    args = parser.parse_args()
    results: dict[str, Any] = {"machine": machine(), "interval_s": INTERVAL_S}
    with (
        tempfile.TemporaryDirectory(prefix="live-bench-") as tmp,
        run_hubspot_emulator(tier="professional") as hubspot,
    ):
        root = Path(tmp)
        world = new_world(root, hubspot, customers=2_000, companies=40, orders=12_000)
        hubspot.admin.set_limits(per_10s=None, daily=None)
        started = time.monotonic()
        world.run(DEAL_ASSETS, HISTORY)
        print(f"initial sync in process: {time.monotonic() - started:.0f} s")
        hubspot.admin.set_limits(latency_ms=[50, 150], per_10s=190)
        settings = {
            "MOULIN_SOURCE_URL": world.source_url,
            "MOULIN_STATE_URL": world.state_url,
            "MOULIN_DATA_DIR": str(world.data_dir),
            "MOULIN_HISTORY_START": HISTORY[0],
            "MOULIN_LIVE": "on",
            "MOULIN_LIVE_INTERVAL": str(INTERVAL_S),
            "HUBSPOT_BASE_URL": hubspot.base_url,
            "HUBSPOT_ACCESS_TOKEN": hubspot.token,
            "HUBSPOT_TIER": "professional",
        }
        with Deployment(root, settings) as deployment:
            count = int(args.minutes * 60)
            changes = trickle_changes(world, count + 1)
            # Warm-up: the sensor's first tick, and a first run (the portal's schema cached).
            time.sleep(INTERVAL_S + 10)
            warm = changes.pop()
            apply(world, warm)
            while not holds(records_by_key(world).get(warm[:2]), warm[2], warm[3]):
                time.sleep(2)
            wait_quiet(deployment)
            results["trickle"] = trickle(world, deployment, changes[:count])
            print(json.dumps({k: v for k, v in results["trickle"].items() if k != "by_route"}))
            results["burst"] = burst(world, deployment, args.burst)
            results["load_average"] = os.getloadavg()
    out = ROOT / "bench" / "results" / f"live-{dt.date.today().isoformat()}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print(json.dumps({k: v for k, v in results.items() if k != "machine"}, indent=2, default=str))
    print(f"wrote {out}")


def trickle(world: SyncWorld, deployment: Deployment, changes: list) -> dict[str, Any]:
    world.hubspot.admin.reset_stats()
    since = time.time()
    committed = []
    for change in changes:
        tick = time.monotonic()
        committed.append(apply(world, change))
        time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
    deadline = time.monotonic() + 600
    while True:
        held = records_by_key(world)
        pending = [c for c in changes if not holds(held.get(c[:2]), c[2], c[3])]
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(5)
    wait_quiet(deployment)
    latencies = sorted(
        parse(held[c[:2]]["updatedAt"]) - at
        for c, at in zip(changes, committed, strict=True)
        if holds(held.get(c[:2]), c[2], c[3])
    )
    runs, minimum, _ = live_runs_minimum(deployment, since)
    calls = total_calls(world)
    p95 = latencies[max(0, math.ceil(0.95 * len(latencies)) - 1)] if latencies else None
    found = {
        "changes": len(changes),
        "landed": len(latencies),
        "p50_s": round(statistics.median(latencies), 1) if latencies else None,
        "p95_s": round(p95, 1) if p95 is not None else None,
        "max_s": round(latencies[-1], 1) if latencies else None,
        "runs": runs,
        "hubspot_calls": calls,
        "minimum_calls": minimum,
        "calls_ratio": round(calls / minimum, 3) if minimum else None,
        "by_route": world.hubspot.admin.stats(),
    }
    found["passed"] = bool(
        found["landed"] == len(changes)
        and found["p50_s"] is not None
        and found["p50_s"] <= P50_S
        and found["p95_s"] <= P95_S
        and found["calls_ratio"] is not None
        and found["calls_ratio"] <= CALLS_RATIO
    )
    return found


def burst(world: SyncWorld, deployment: Deployment, size: int) -> dict[str, Any]:
    """`size` new orders in one transaction, spread over the customers with a contact."""
    world.hubspot.admin.reset_stats()
    since = time.time()
    [(top,)] = sql(world, "SELECT max(id) FROM orders")
    # Customers whose contact HubSpot holds (an order of a customer the App du Moulin no
    # longer has is quarantined, not a deal).
    held = records_by_key(world)
    customers = [c for (c,) in sql(world, "SELECT id FROM customers ORDER BY id")
                 if ("contacts", str(c)) in held]  # fmt: skip
    [(template,)] = sql(world, "SELECT id FROM orders WHERE company_id IS NULL AND status = "
                               "'paid' ORDER BY id LIMIT 1")  # fmt: skip
    at = now_text()
    with sqlite3.connect(world.source_path) as connection:
        connection.executemany(
            "INSERT INTO orders (id, order_number, customer_id, company_id, ordered_at, paid_at,"
            " status, amount_eur, channel, pickup_point_id, notes, created_at, updated_at) "
            "SELECT ?, ?, ?, NULL, ?, ?, status, amount_eur, channel, pickup_point_id, notes, ?, ?"
            " FROM orders WHERE id = ?",
            [(top + 1 + n, f"M-2026-8{n:06d}", customers[n % len(customers)],
              "2026-11-20 10:00:00", "2026-11-20 10:05:00", at, at, template)
             for n in range(size)],
        )  # fmt: skip
        connection.commit()
    committed = time.time()
    wanted = {str(top + 1 + n) for n in range(size)}
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        held = records_by_key(world)
        if all(("deals", key) in held for key in wanted):
            break
        time.sleep(5)
    wait_quiet(deployment)
    landed = [parse(held[("deals", k)]["updatedAt"]) for k in wanted if ("deals", k) in held]
    runs, minimum, _ = live_runs_minimum(deployment, since)
    calls = total_calls(world)
    floor_s = minimum / STEADY_CALLS_PER_S
    took = max(landed) - committed if landed else None
    return {
        "orders": size,
        "landed": len(landed),
        "seconds": round(took, 1) if took is not None else None,
        "runs": runs,
        "hubspot_calls": calls,
        "minimum_calls": minimum,
        "floor_s": round(floor_s, 1),
        "target_s": round(BURST_RATIO * floor_s + INTERVAL_S, 1),
        "passed": took is not None
        and len(landed) == size
        and took <= BURST_RATIO * floor_s + INTERVAL_S,
    }


if __name__ == "__main__":
    main()
