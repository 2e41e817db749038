"""The `refresh_customer` job: one customer brought up to date, as the nightly run would."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from dagster import DagsterInstance

from moulin_sync.defs.hubspot.refresh import refresh_customer_job
from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync.testing.sync_world import DEAL_ASSETS, SyncWorld, new_world

MONTHS = ("2026-06-01", "2026-11-01")  # what the nightly runs have synced so far


@pytest.fixture
def world(hubspot: EmulatorHandle, tmp_path: Path) -> SyncWorld:
    made = new_world(tmp_path, hubspot, customers=120, companies=6, orders=1_500)
    made.run(DEAL_ASSETS, MONTHS)
    return made


def refresh(world: SyncWorld, **config: object) -> dict:
    with DagsterInstance.ephemeral() as instance:
        result = refresh_customer_job.execute_in_process(
            run_config={"ops": {"refresh_one_customer": {"config": config}}},
            resources=world.resources(),
            instance=instance,
            raise_on_error=False,
        )
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    [output] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    return {k: v.value for k, v in output.event_specific_data.metadata.items()}


def busy_customer(world: SyncWorld) -> tuple[int, list[int]]:
    """A B2C customer synced as a contact, with orders inside and outside the synced months."""
    contacts = {c["properties"]["moulin_customer_id"] for c in world.objects("contacts")}
    rows = world.sql(
        "SELECT customer_id, group_concat(id) FROM orders WHERE company_id IS NULL "
        "GROUP BY customer_id HAVING sum(ordered_at < '2026-05-15') >= 2 "
        "AND sum(ordered_at >= '2026-06-15') >= 2 ORDER BY count(*) DESC"
    )
    for customer_id, ids in rows:
        if str(customer_id) in contacts:
            return customer_id, [int(i) for i in ids.split(",")]
    raise AssertionError("no customer with orders on both sides of the synced months")


def deals_of(world: SyncWorld, order_ids: list[int]) -> dict[str, list[dict]]:
    wanted = {str(i) for i in order_ids}
    found: dict[str, list[dict]] = {}
    for deal in world.objects("deals"):
        key = deal["properties"].get("moulin_order_id")
        if key in wanted:
            found.setdefault(key, []).append(deal)
    return found


def test_a_refresh_brings_contact_and_every_deal_up_to_date_and_the_night_finds_nothing(
    world: SyncWorld,
) -> None:
    customer_id, orders = busy_customer(world)
    synced = deals_of(world, orders)
    missing = [o for o in orders if str(o) not in synced]
    assert missing, "some of the customer's orders are outside the synced months"
    changed = sorted(synced, key=int)[:2]
    world.sql(
        "UPDATE customers SET first_name = 'Renée', updated_at = '2026-11-27 09:00:00' "
        "WHERE id = ?",
        (customer_id,),
    )
    for order_id in changed:
        world.sql("UPDATE orders SET amount_eur = amount_eur + 1 WHERE id = ?", (order_id,))

    outcome = refresh(world, moulin_customer_id=str(customer_id))

    assert outcome["contact"] == "updated"
    # A deal's name carries the customer's: every synced deal is renamed, two re-priced.
    assert outcome["deals_updated"] == len(synced)
    assert outcome["deals_created"] == len(missing)
    assert outcome["duplicates_found"] == 0
    [contact] = [
        c
        for c in world.objects("contacts")
        if c["properties"]["moulin_customer_id"] == str(customer_id)
    ]
    assert contact["properties"]["firstname"] == "Renée"
    after = deals_of(world, orders)
    assert sorted(after, key=int) == sorted(map(str, orders), key=int)
    assert all(len(deals) == 1 for deals in after.values()), "an order has two deals"
    assert all("Renée" in d[0]["properties"]["dealname"] for d in after.values())
    for order_id in changed:
        [amount] = world.sql("SELECT amount_eur FROM orders WHERE id = ?", (order_id,))[0]
        assert float(after[order_id][0]["properties"]["amount"]) == pytest.approx(float(amount))
    assert all(d[0]["associations"]["contacts"][0]["id"] == contact["id"] for d in after.values())

    # The next nightly run sees the refresh's work as its own: nothing to write.
    world.hubspot.admin.reset_stats()
    meta = world.run(DEAL_ASSETS, MONTHS)
    assert world.write_calls() == 0
    assert meta["hubspot/contacts"]["updated"] == 0
    # By its HubSpot contact id, again: nothing left to do.
    again = refresh(world, contact_id=contact["id"])
    assert (again["contact"], again["deals_created"], again["deals_updated"]) == (
        "unchanged",
        0,
        0,
    )


def test_a_refresh_reports_a_duplicate_and_merges_it_when_asked(world: SyncWorld) -> None:
    customer_id, orders = busy_customer(world)
    synced = deals_of(world, orders)
    order_id = sorted(synced, key=int)[0]
    ours = synced[order_id][0]
    contact = ours["associations"]["contacts"][0]["id"]
    answer = httpx.post(  # a legacy import of the same order: no key, same contact/amount/day
        f"{world.hubspot.base_url}/crm/v3/objects/deals",
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
        json={
            "properties": {
                "dealname": f"Import commande {order_id}",
                "amount": ours["properties"]["amount"],
                "closedate": ours["properties"]["closedate"],
                "dealstage": "closedwon",
            },
            "associations": [{"to": {"id": contact}, "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]}],
        },
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    legacy = answer.json()["id"]

    reported = refresh(world, email=world.sql(
        "SELECT email FROM customers WHERE id = ?", (customer_id,))[0][0])  # fmt: skip
    assert (reported["duplicates_found"], reported["duplicates_merged"]) == (1, 0)
    assert legacy in {d["id"] for d in world.objects("deals")}

    merged = refresh(world, moulin_customer_id=str(customer_id), merge_duplicates=True)
    assert (merged["duplicates_found"], merged["duplicates_merged"]) == (1, 1)
    assert legacy not in {d["id"] for d in world.objects("deals")}
    assert ours["id"] in {d["id"] for d in world.objects("deals")}


def test_an_unknown_customer_fails_the_run_in_one_sentence(world: SyncWorld) -> None:
    with DagsterInstance.ephemeral() as instance:
        result = refresh_customer_job.execute_in_process(
            run_config={"ops": {"refresh_one_customer": {"config": {"contact_id": "999999"}}}},
            resources=world.resources(),
            instance=instance,
            raise_on_error=False,
        )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    error = failure.step_failure_data.error
    assert "HubSpot contact 999999 is not a customer moulin-sync knows" in error.message
    assert error.cls_name == "Failure"  # a sentence, not a traceback from our code


def test_refreshes_racing_the_nightly_run_make_no_duplicate(world: SyncWorld) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from moulin_sync.defs.partitions import monthly_partitions

    customer_id, orders = busy_customer(world)
    missing = [o for o in orders if str(o) not in deals_of(world, orders)]
    assert missing
    # HubSpot's own time per call, so the night's writes and the refreshes interleave.
    world.hubspot.admin.set_limits(latency_ms=[20, 60])
    earlier = (monthly_partitions.get_partition_keys()[0], "2026-05-01")
    with ThreadPoolExecutor(1) as night:
        nightly = night.submit(world.run, DEAL_ASSETS, earlier)
        outcomes = []
        while not nightly.done() or not outcomes:
            outcomes.append(refresh(world, moulin_customer_id=str(customer_id)))
        nightly.result()
    world.hubspot.admin.set_limits(latency_ms=None)
    assert len(outcomes) >= 2
    # The customer's missing deals were created once, by whichever got there first.
    assert sum(o["deals_created"] for o in outcomes) <= len(missing)
    every_order: dict[str, int] = {}
    for deal in world.objects("deals"):
        key = deal["properties"].get("moulin_order_id")
        if key:
            every_order[key] = every_order.get(key, 0) + 1
    assert every_order and max(every_order.values()) == 1, "an order has two deals"
    assert all(str(o) in every_order for o in orders)
    # And the state store agrees with HubSpot: the next run writes nothing.
    world.hubspot.admin.reset_stats()
    world.run(DEAL_ASSETS, earlier)
    assert world.write_calls() == 0
