"""The `live_sync` job and its sensor's look, in process: exactly the changed records and
what hangs on them, through the nightly run's plan and write, which then finds nothing to
do; a write from an older read never lands over a newer one. (The daemon drives them in
`e2e/test_live.py`.)"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dagster import DagsterInstance

from moulin_sync.defs.hubspot.refresh import portal_cache
from moulin_sync.defs.live.job import live_sync_job
from moulin_sync.defs.live.sensor import SensorCursor, look, max_runtime_s
from moulin_sync.hubspot.sync.customers import sync_customers
from moulin_sync.hubspot.sync.state import SyncState
from moulin_sync.sources.app_du_moulin.one_customer import CustomerTables
from moulin_sync.sources.app_du_moulin.reader import SourceReader
from moulin_sync.sources.app_du_moulin.source import APP_DU_MOULIN
from moulin_sync.sources.spec import SourceFrames
from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync.testing.sync_world import DEAL_ASSETS, SyncWorld, new_world

MONTHS = ("2026-06-01", "2026-11-01")
STAMP = "%Y-%m-%d %H:%M:%S"


@pytest.fixture
def world(hubspot: EmulatorHandle, tmp_path: Path) -> SyncWorld:
    made = new_world(tmp_path, hubspot, customers=60, companies=4, orders=400, dirty_rate=0.0)
    made.run(DEAL_ASSETS, MONTHS)
    return made


def now_text() -> str:
    return dt.datetime.now(dt.UTC).strftime(STAMP)


def synced_order(world: SyncWorld) -> tuple[int, int, str]:
    """(order id, its customer, its month) of a B2C order synced as a deal."""
    deals = {d["properties"]["moulin_order_id"] for d in world.objects("deals")}
    rows = world.sql(
        "SELECT id, customer_id, substr(ordered_at, 1, 7) FROM orders WHERE company_id IS NULL "
        "AND ordered_at >= '2026-07-05' AND ordered_at < '2026-10-25' ORDER BY id"
    )
    for order_id, customer_id, month in rows:
        if str(order_id) in deals:
            return order_id, customer_id, f"{month}-01"
    raise AssertionError("no synced B2C order")


def deal(world: SyncWorld, order_id: int) -> dict:
    [found] = [
        d for d in world.objects("deals") if d["properties"]["moulin_order_id"] == str(order_id)
    ]
    return found["properties"]


def contact(world: SyncWorld, customer_id: int) -> dict:
    [found] = [
        c
        for c in world.objects("contacts")
        if c["properties"].get("moulin_customer_id") == str(customer_id)
    ]
    return found["properties"]


def live_run(world: SyncWorld, cursor: SensorCursor) -> tuple[SensorCursor, list[dict]]:
    """The sensor's look past `cursor`, and each run it asks for executed in process."""
    tick = look(APP_DU_MOULIN, world.source_url, cursor, [], dt.datetime.now(dt.UTC), 300)
    outputs = []
    for request in tick.requests:
        with DagsterInstance.ephemeral() as instance:
            result = live_sync_job.execute_in_process(
                run_config=request.run_config,
                resources=world.resources(),
                instance=instance,
                tags=request.tags,
            )
        assert result.success
        [output] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
        outputs.append({k: v.value for k, v in output.event_specific_data.metadata.items()})
    return tick.cursor, outputs


def test_a_changed_order_and_customer_reach_hubspot_and_the_night_finds_nothing(
    world: SyncWorld,
) -> None:
    cursor, nothing = live_run(world, SensorCursor())  # the first look starts the cursor
    assert nothing == [] and cursor.feed is not None
    cursor, nothing = live_run(world, cursor)
    assert nothing == []  # nothing changed: no run

    order_id, customer_id, month = synced_order(world)
    world.sql("UPDATE orders SET amount_eur = 4321.5, updated_at = ? WHERE id = ?",
              (now_text(), order_id))  # fmt: skip
    world.sql("UPDATE customers SET first_name = 'Éloïse', updated_at = ? WHERE id = ?",
              (now_text(), customer_id))  # fmt: skip
    world.hubspot.admin.reset_stats()
    cursor, [output] = live_run(world, cursor)

    assert float(deal(world, order_id)["amount"]) == 4321.5
    assert contact(world, customer_id)["firstname"] == "Éloïse"
    assert output["customers"] == 1
    assert output["deals_updated"] >= 1 and output["contacts_updated"] == 1
    with SyncState(world.state_url) as state:
        assert state.months_synced("deals")[month] > dt.datetime.now(dt.UTC) - dt.timedelta(
            minutes=11
        )
    # The nightly run over the same months: every record already as the source holds it.
    world.hubspot.admin.reset_stats()
    world.run(DEAL_ASSETS, MONTHS)
    assert world.write_calls() == 0
    assert live_run(world, cursor)[1] == []


def test_a_write_from_an_older_read_never_lands_over_a_live_write(world: SyncWorld) -> None:
    order_id, customer_id, _ = synced_order(world)
    reader = SourceReader(world.source_url)
    before = dt.datetime.now(dt.UTC)
    stale = CustomerTables(reader, [customer_id], "Europe/Paris", before)
    stale.frame(("app_du_moulin", "orders"))  # read now, before the change
    cursor, _ = live_run(world, SensorCursor())
    world.sql("UPDATE orders SET amount_eur = 777, updated_at = ? WHERE id = ?",
              (now_text(), order_id))  # fmt: skip
    live_run(world, cursor)
    assert float(deal(world, order_id)["amount"]) == 777

    # A run that read the source before the live run (a nightly made earlier) writes late.
    resources = world.resources()
    hubspot, settings = resources["hubspot"], resources["settings"]
    client = hubspot.client()
    streams = settings.streams()
    portal, pipelines = portal_cache.get(client, hubspot, settings, streams)
    world.hubspot.admin.reset_stats()
    with SyncState(world.state_url) as state:
        done = sync_customers(
            client, state, SourceFrames({"app_du_moulin": stale}), [customer_id],
            timezone="Europe/Paris", portal=portal, pipelines=pipelines, streams=streams,
            read_at=before,
        )  # fmt: skip
    assert done.streams["deals"].updated == 0
    assert world.write_calls() == 0
    assert float(deal(world, order_id)["amount"]) == 777


def test_a_burst_is_a_few_large_runs_with_a_runtime_bound() -> None:
    from moulin_sync.defs.live.sensor import CUSTOMERS_PER_RUN, run_requests
    from moulin_sync.sources.spec import LiveChanges

    found = LiveChanges(
        customer_ids=list(range(1, 4_501)),
        company_ids=[7],
        oldest=dt.datetime(2026, 11, 27, 10, 2, tzinfo=dt.UTC),
        cursor={"orders": ["2026-11-27T10:02:09+00:00", [1, 2]]},
        complete=True,
        counts={"orders": 10_000},
    )
    now = dt.datetime(2026, 11, 27, 10, 2, 30, tzinfo=dt.UTC)
    made = run_requests("app_du_moulin", {"orders": [None, []]}, found, now, 1800)
    assert len(made) == 3 and CUSTOMERS_PER_RUN == 2_000
    configs = [r.run_config["ops"]["sync_changed_customers"]["config"] for r in made]
    assert [len(c["customer_ids"]) for c in configs] == [2_000, 2_000, 500]
    assert [c["company_ids"] for c in configs] == [[7], [], []]
    assert [c["synced_until"] for c in configs] == [None, None, now.isoformat()]
    assert len({r.run_key for r in made}) == 3
    # The same tick again (a daemon that re-evaluates it): the same keys, no new run.
    again = run_requests("app_du_moulin", {"orders": [None, []]}, found, now, 1800)
    assert [r.run_key for r in again] == [r.run_key for r in made]
    assert made[0].tags["dagster/max_runtime"] == str(max_runtime_s(1800, 2_000)) == "2000"


def test_an_erasure_then_a_change_to_the_erased_customers_order_both_reach_hubspot(
    world: SyncWorld,
) -> None:
    cursor, _ = live_run(world, SensorCursor())
    order_id, customer_id, _ = synced_order(world)
    world.sql("UPDATE customers SET deleted_at = ? WHERE id = ?", (now_text(), customer_id))
    cursor, [erased] = live_run(world, cursor)
    assert erased["customers"] == 1
    assert "client effacé" in deal(world, order_id)["dealname"]
    assert not [
        c
        for c in world.objects("contacts")
        if c["properties"].get("moulin_customer_id") == str(customer_id)
    ]
    # Their deal is kept without the person; a refund of the order still reaches it.
    world.sql("UPDATE orders SET amount_eur = 12.5, updated_at = ? WHERE id = ?",
              (now_text(), order_id))  # fmt: skip
    live_run(world, cursor)
    assert float(deal(world, order_id)["amount"]) == 12.5
