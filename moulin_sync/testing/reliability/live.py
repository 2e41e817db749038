"""Live sync under a crash: a `live_sync` run SIGKILLed right after HubSpot committed its
writes (the answer never came back), then the catch-up — the same run again, as Dagster's
run retries launch it (the sensor's cursor moved with the run request, so the changes are
that run's). HubSpot must end with every change in it, each record once.

The run is the job of the one Definitions, executed in a process of its own (as a run
worker is), with the settings from its environment:

    python -m moulin_sync.testing.reliability.live '<run config as JSON>'
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections import Counter

from moulin_sync.testing.reliability.harness import RUN_TIMEOUT_S, SyncProcess, World
from moulin_sync.testing.reliability.lifecycle import (
    _customers_with_deals,
    _ran,
    _source_copy,
    _sql,
)
from moulin_sync.testing.reliability.oracle import Verdict
from moulin_sync.testing.reliability.outcomes import Outcome

DEALS_UPDATE = "/crm/v3/objects/deals/batch/update"
STAMP = "%Y-%m-%d %H:%M:%S"


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime(STAMP)


def live_run_killed_then_caught_up(world: World) -> Outcome:
    """Three orders' amounts, a new order and a customer's name changed at the source;
    the live run their sensor asks for is SIGKILLed after HubSpot committed the deals'
    update; the run again: 0 lost, 0 duplicated."""
    from moulin_sync.defs.live.sensor import SensorCursor, look
    from moulin_sync.sources.app_du_moulin.source import APP_DU_MOULIN

    started = time.monotonic()
    outcome = Outcome("lifecycle", "live sync, SIGKILL during a live run, then catch-up", 0,
                      Verdict())  # fmt: skip
    run = world.run_dir("live-crash")
    scenario, source = _source_copy(world, run)
    world.reset_hubspot()
    outcome.problems += _ran(scenario.sync(run, "first"), "the first load")
    url = scenario.source_url
    cursor = look(APP_DU_MOULIN, url, SensorCursor(), [], dt.datetime.now(dt.UTC), 1800).cursor
    customers = _customers_with_deals(world, source, b2b=False)[:4]
    held = {
        o["properties"].get("moulin_order_id")
        for o in world.hubspot.admin.state()["objects"]["deals"]
    }
    orders = [
        next(i for (i,) in _sql(source, "SELECT id FROM orders WHERE customer_id = ? ORDER BY id",
                                (c,)) if str(i) in held)
        for c in customers[:3]
    ]  # fmt: skip
    amounts = {str(o): 4000.0 + n for n, o in enumerate(orders)}
    for order, amount in amounts.items():
        _sql(source, "UPDATE orders SET amount_eur = ?, updated_at = ? WHERE id = ?",
             (amount, _now(), int(order)))  # fmt: skip
    [(top,)] = _sql(source, "SELECT max(id) FROM orders")
    _sql(source, "INSERT INTO orders (id, order_number, customer_id, company_id, ordered_at, "
         "paid_at, status, amount_eur, channel, pickup_point_id, notes, created_at, updated_at) "
         "SELECT ?, order_number || '-LIVE', customer_id, company_id, ordered_at, paid_at, "
         "status, 55.5, channel, pickup_point_id, notes, created_at, ? FROM orders WHERE id = ?",
         (top + 1, _now(), orders[0]))  # fmt: skip
    amounts[str(top + 1)] = 55.5
    renamed = customers[3]
    _sql(source, "UPDATE customers SET first_name = 'Séverine', updated_at = ? WHERE id = ?",
         (_now(), renamed))  # fmt: skip
    tick = look(APP_DU_MOULIN, url, cursor, [], dt.datetime.now(dt.UTC), 1800)
    if len(tick.requests) != 1:
        outcome.problems.append(f"the sensor asked for {len(tick.requests)} runs, not 1")
        return outcome
    config = json.dumps(tick.requests[0].run_config)
    env = scenario.env(run)
    admin = world.hubspot.admin
    fault = admin.add_fault(kind="hang_after_commit", method="POST", route=DEALS_UPDATE,
                            count=1_000)  # fmt: skip
    command = [sys.executable, "-m", "moulin_sync.testing.reliability.live", config]
    process = SyncProcess(command, env, run / "killed")
    hit = admin.wait_for_fault(
        fault["id"], counter="committed", timeout=RUN_TIMEOUT_S, still_waiting=process.running
    )
    if hit is None:
        result = process.wait()
        outcome.problems.append(f"the live run never updated a deal: {result.failure_text()}")
        return outcome
    process.kill()
    outcome.faults = 1
    admin.clear_faults()
    outcome.problems += _ran(SyncProcess(command, env, run / "again").wait(), "the catch-up")
    outcome.problems += _judge(world, amounts, renamed)
    outcome.seconds = time.monotonic() - started
    return outcome


def _judge(world: World, amounts: dict[str, float], renamed: int) -> list[str]:
    """Each changed order's one deal holds its amount, the renamed customer's one contact
    the name; no order has two deals, no customer two contacts."""
    objects = world.hubspot.admin.state()["objects"]
    problems = []
    for kind, key in (("deals", "moulin_order_id"), ("contacts", "moulin_customer_id")):
        counted = Counter(o["properties"].get(key) for o in objects[kind] if not o["archived"])
        twice = sorted(k for k, n in counted.items() if k and n > 1)
        if twice:
            problems.append(f"{kind} held twice: {', '.join(twice[:10])}")
    deals = {
        o["properties"].get("moulin_order_id"): o["properties"]
        for o in objects["deals"]
        if not o["archived"]
    }
    for order, amount in amounts.items():
        held = deals.get(order)
        if held is None:
            problems.append(f"order {order}: no deal (lost)")
        elif float(held.get("amount") or "nan") != amount:
            problems.append(f"order {order}: amount {held.get('amount')}, not {amount}")
    contacts = [
        o["properties"]
        for o in objects["contacts"]
        if not o["archived"] and o["properties"].get("moulin_customer_id") == str(renamed)
    ]
    if not contacts or contacts[0].get("firstname") != "Séverine":
        problems.append(f"customer {renamed}: the new first name is not in HubSpot (lost)")
    return problems


def main() -> None:
    """Run `live_sync` with the run config given, in this process."""
    from dagster import DagsterInstance

    from moulin_sync.definitions import defs

    with DagsterInstance.ephemeral() as instance:
        result = defs.get_job_def("live_sync").execute_in_process(
            run_config=json.loads(sys.argv[1]), instance=instance, raise_on_error=False
        )
    sys.exit(0 if result.success else 1)


if __name__ == "__main__":
    main()
