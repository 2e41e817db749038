"""Drift is seen: a managed property someone changed in HubSpot is reported by a WARN
check, left alone (MOULIN_DRIFT=report) or written back by the next run (restore)."""

import datetime as dt
from pathlib import Path

import httpx
import pytest

from moulin_sync.hubspot.client.errors import SearchWindowTooLarge
from moulin_sync.hubspot.sync import drift
from moulin_sync.hubspot.sync.drift import OVERLAP
from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync.testing.sync_world import DEAL_ASSETS, SyncWorld, new_world, table_text

MONTHS = ("2026-01-01", "2026-02-01")
DEALS_CHECK = "check:hubspot/deals:no_drift"
CONTACTS_CHECK = "check:hubspot/contacts:no_drift"


@pytest.fixture
def world(hubspot: EmulatorHandle, tmp_path: Path) -> SyncWorld:
    return new_world(tmp_path, hubspot, customers=120, orders=600)


def _edit_in_hubspot(world: SyncWorld, object_type: str, record_id: str, **values: str) -> None:
    """What a salesperson does in HubSpot's UI."""
    answer = httpx.patch(
        f"{world.hubspot.base_url}/crm/v3/objects/{object_type}/{record_id}",
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
        json={"properties": values},
    )
    assert answer.status_code == 200, answer.text


def _deals(world: SyncWorld) -> dict[str, dict]:
    return {
        o["properties"]["moulin_order_id"]: o
        for o in world.objects("deals")
        if o["properties"].get("moulin_order_id")
    }


def _one_deal(world: SyncWorld) -> tuple[str, dict]:
    return min(_deals(world).items())


def _quiet_since_now(world: SyncWorld) -> None:
    """As if the last check ran a while ago: only what changes from now on is read."""
    with world.state() as state:
        for stream in ("companies", "contacts", "deals"):
            state.record_drift_checked(stream, dt.datetime.now(dt.UTC) + OVERLAP)


def test_a_deal_renamed_in_hubspot_is_reported_and_left(world: SyncWorld) -> None:
    first = world.run(DEAL_ASSETS, MONTHS)
    assert first[DEALS_CHECK]["passed"]
    assert first[DEALS_CHECK]["modified_since"] == "first check: drift is watched from now on"
    order, deal = _one_deal(world)
    ours = deal["properties"]["dealname"]
    _edit_in_hubspot(world, "deals", deal["id"], dealname="Renamed by Anne", amount="1.00")

    meta = world.run(DEAL_ASSETS, MONTHS)
    check = meta[DEALS_CHECK]
    assert check["passed"] is False
    assert check["drifted_records"] == 1
    assert check["drifted_properties"] == 2
    assert check["by_property"] == {"amount": 1, "dealname": 1}
    examples = table_text(check["examples"])
    assert f"deal {order} (HubSpot {deal['id']})" in examples
    assert "Renamed by Anne" in examples and ours in examples
    assert meta["hubspot/deals"]["updated"] == 0
    assert _deals(world)[order]["properties"]["dealname"] == "Renamed by Anne", "overwritten"

    # Reported again by the next check, though HubSpot did not modify it since.
    _quiet_since_now(world)
    again = world.run(DEAL_ASSETS, MONTHS)[DEALS_CHECK]
    assert again["drifted_records"] == 1 and again["records_compared"] == 1


def test_restore_writes_our_values_back_on_the_next_run(world: SyncWorld) -> None:
    world.drift = "restore"
    world.run(DEAL_ASSETS, MONTHS)
    order, deal = _one_deal(world)
    ours = deal["properties"]["dealname"]
    _edit_in_hubspot(world, "deals", deal["id"], dealname="Renamed by Anne")

    found = world.run(DEAL_ASSETS, MONTHS)
    assert found[DEALS_CHECK]["drifted_records"] == 1
    assert "writes moulin-sync's values back" in found[DEALS_CHECK]["next_run"]

    restored = world.run(DEAL_ASSETS, MONTHS)
    assert restored["hubspot/deals"]["updated"] == 1
    assert _deals(world)[order]["properties"]["dealname"] == ours
    assert restored[DEALS_CHECK]["passed"], "the restored record is still reported"


def test_a_person_clearing_a_value_of_ours_is_drift(world: SyncWorld) -> None:
    world.run()
    contact = next(
        o
        for o in world.objects("contacts")
        if o["properties"].get("moulin_customer_id") and o["properties"].get("city")
    )
    _edit_in_hubspot(world, "contacts", contact["id"], city="")
    check = world.run()[CONTACTS_CHECK]
    assert check["drifted_records"] == 1
    assert "(empty)" in table_text(check["examples"])


def test_a_value_we_never_wrote_is_the_persons_not_drift(world: SyncWorld) -> None:
    world.run()
    contact = next(
        o
        for o in world.objects("contacts")
        if o["properties"].get("moulin_customer_id") and not o["properties"].get("phone")
    )
    _edit_in_hubspot(world, "contacts", contact["id"], phone="+33612345678", jobtitle="Chef")
    check = world.run()[CONTACTS_CHECK]
    assert check["passed"], check["examples"]
    assert check["records_compared"] >= 1


def test_the_check_reads_only_what_changed(world: SyncWorld) -> None:
    world.run(DEAL_ASSETS, MONTHS)
    _quiet_since_now(world)
    deals = sorted(_deals(world).values(), key=lambda d: d["id"])[:3]
    for deal in deals:
        _edit_in_hubspot(world, "deals", deal["id"], description="a note, not ours")
    check = world.run(DEAL_ASSETS, MONTHS)[DEALS_CHECK]
    assert check["records_compared"] == 3
    assert check["passed"], "a property we do not manage is not drift"
    # One search call: a page holds every record modified since the last check.
    assert check["search_calls"] == 1, check["search_calls"]


def test_more_changes_in_two_seconds_than_a_search_reads_are_read_by_id(
    world: SyncWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import can modify more than 10,000 records within the smallest window the check
    halves to: then every record of ours is read by id, and the check still finds drift."""
    world.run(DEAL_ASSETS, MONTHS)
    order, deal = _one_deal(world)
    _edit_in_hubspot(world, "deals", deal["id"], dealname="Renamed by Anne")

    def too_many(client, spec, since, until):  # what HubSpot answers past 10,000 results
        raise SearchWindowTooLarge(spec.object_type, 12_000)

    monkeypatch.setattr(drift, "_modified_since", too_many)
    check = world.run(DEAL_ASSETS, MONTHS)[DEALS_CHECK]
    assert check["passed"] is False
    assert check["drifted_records"] == 1
    assert check["records_compared"] == len(_deals(world))
    assert f"deal {order} (HubSpot {deal['id']})" in table_text(check["examples"])
