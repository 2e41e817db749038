"""Contacts merged, companies deleted by a person in HubSpot: the deals that link to them
are never stranded."""

from pathlib import Path

import httpx
import polars as pl
import pytest

from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync.testing.sync_world import DEAL_ASSETS, SyncWorld, new_world

MONTHS = ("2025-09-01", "2026-02-01")
NEW_ORDER = 9_900_001


@pytest.fixture
def world(hubspot: EmulatorHandle, tmp_path: Path) -> SyncWorld:
    return new_world(tmp_path, hubspot, customers=300, companies=10, orders=4_000)


def _call(world: SyncWorld, method: str, path: str, body: dict | None = None) -> dict:
    answer = httpx.request(
        method,
        world.hubspot.base_url + path,
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
        json=body,
    )
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else {}


def _keyed(world: SyncWorld, object_type: str, key: str) -> dict[str, dict]:
    return {o["properties"][key]: o for o in world.objects(object_type) if o["properties"].get(key)}


def _b2c_customer_with_a_deal(world: SyncWorld) -> str:
    contacts = _keyed(world, "contacts", "moulin_customer_id")
    deals = _keyed(world, "deals", "moulin_order_id")
    rows = world.sql("SELECT id, customer_id FROM orders WHERE company_id IS NULL ORDER BY id")
    return next(str(c) for o, c in rows if str(o) in deals and str(c) in contacts)


def _new_order(world: SyncWorld, customer: str, company: int | None = None) -> None:
    """An order that changes none of the customer's figures (cancelled): the contact step
    has no reason to write the contact, only the deal step sees it."""
    world.sql(
        "INSERT INTO orders VALUES (?, ?, ?, ?, '2026-01-15 10:00:00', NULL, 'cancelled', 19.9, "
        "'web', NULL, NULL, '2026-01-15 10:00:00', '2026-01-15 10:00:00')",
        (NEW_ORDER, f"M-STALE-{NEW_ORDER}", int(customer), company),
    )


def _deal_state(world: SyncWorld) -> tuple[str, str | None]:
    """(status, last error) of the new order's deal in the state store."""
    held = world.state().load("deals").filter(pl.col("source_key") == str(NEW_ORDER))
    [row] = held.select("status", "last_error").rows()
    return row


def _contacts_of_new_deal(world: SyncWorld) -> list[str]:
    deal = _keyed(world, "deals", "moulin_order_id")[str(NEW_ORDER)]
    return [a["id"] for a in deal["associations"].get("contacts", [])]


def test_a_deal_of_a_contact_merged_into_a_form_contact_links_to_the_survivor(
    world: SyncWorld,
) -> None:
    world.run(DEAL_ASSETS, MONTHS)
    customer = _b2c_customer_with_a_deal(world)
    ours = _keyed(world, "contacts", "moulin_customer_id")[customer]
    form = _call(world, "POST", "/crm/v3/objects/contacts", {"properties": {"email": "f@x.org"}})
    _call(world, "POST", "/crm/v3/objects/contacts/merge",
          {"primaryObjectId": form["id"], "objectIdToMerge": ours["id"]})  # fmt: skip
    _new_order(world, customer)

    meta = world.run(DEAL_ASSETS, MONTHS)

    assert _deal_state(world) == ("synced", None)
    assert meta["hubspot/deals"]["links_found_again"] == 1
    assert _contacts_of_new_deal(world) == [form["id"]]
    assert world.state().hubspot_ids("contacts", [customer]) == {customer: form["id"]}
    assert meta["check:deals_are_associated"]["passed"]
    # The next run puts our values (and key) on the survivor, then all is quiet.
    meta = world.run(DEAL_ASSETS, MONTHS)
    assert meta["hubspot/contacts"]["updated"] == 1
    survivor = _keyed(world, "contacts", "moulin_customer_id")[customer]
    assert survivor["id"] == form["id"]
    world.hubspot.admin.reset_stats()
    world.run(DEAL_ASSETS, MONTHS)
    assert world.write_calls() == 0


def test_a_deal_of_a_contact_merged_into_another_of_ours_links_to_the_survivor(
    world: SyncWorld,
) -> None:
    world.run(DEAL_ASSETS, MONTHS)
    customer = _b2c_customer_with_a_deal(world)
    contacts = _keyed(world, "contacts", "moulin_customer_id")
    other = next(k for k in contacts if k != customer)
    _call(world, "POST", "/crm/v3/objects/contacts/merge",
          {"primaryObjectId": contacts[other]["id"],
           "objectIdToMerge": contacts[customer]["id"]})  # fmt: skip
    _new_order(world, customer)

    world.run(DEAL_ASSETS, MONTHS)

    assert _deal_state(world) == ("synced", None)
    assert _contacts_of_new_deal(world) == [contacts[other]["id"]]
    held = world.state().load("contacts").filter(pl.col("source_key") == customer)
    assert held.select("status", "hubspot_id").rows() == [("merged", contacts[other]["id"])]
    assert customer not in _keyed(world, "contacts", "moulin_customer_id"), "merge undone"


def test_a_company_deleted_in_hubspot_comes_back_and_its_new_deal_with_it(
    world: SyncWorld,
) -> None:
    world.run(DEAL_ASSETS, MONTHS)
    companies = _keyed(world, "companies", "moulin_company_id")
    contacts = _keyed(world, "contacts", "moulin_customer_id")
    links = world.sql("SELECT customer_id, company_id FROM company_contacts ORDER BY 1")
    customer, company = next(
        (str(c), str(k)) for c, k in links if str(c) in contacts and str(k) in companies
    )
    _call(world, "DELETE", f"/crm/v3/objects/companies/{companies[company]['id']}")
    _new_order(world, customer, company=int(company))

    meta = world.run(DEAL_ASSETS, MONTHS)

    status, waiting = _deal_state(world)
    assert status == "rejected" and "no longer in HubSpot" in waiting, waiting
    assert str(NEW_ORDER) not in _keyed(world, "deals", "moulin_order_id")
    # The next run makes the company again, then the deal, linked to it.
    meta = world.run(DEAL_ASSETS, MONTHS)
    again = _keyed(world, "companies", "moulin_company_id")[company]
    assert again["id"] != companies[company]["id"]
    assert meta["hubspot/companies"]["created"] == 1
    deal = _keyed(world, "deals", "moulin_order_id")[str(NEW_ORDER)]
    assert [a["id"] for a in deal["associations"]["companies"]] == [again["id"]]
    assert meta["check:deals_are_associated"]["passed"]
