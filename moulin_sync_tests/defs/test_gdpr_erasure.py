"""A customer erased at the source (GDPR) leaves HubSpot, whatever the policy, and their
deals stay without them."""

from pathlib import Path

import polars as pl
import pytest

from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync.testing.sync_world import CONTACT_ASSETS, DEAL_ASSETS, SyncWorld, new_world

MONTHS = ("2025-09-01", "2026-02-01")
ERASED_NAME = "client effacé (RGPD)"


@pytest.fixture
def world(hubspot: EmulatorHandle, tmp_path: Path) -> SyncWorld:
    return new_world(tmp_path, hubspot, customers=300, companies=10, orders=4_000)


def _synced_customer(world: SyncWorld, *, b2b: bool) -> tuple[str, list[str]]:
    """A customer HubSpot holds, with deals in MONTHS: (customer id, their order ids)."""
    in_hubspot = {
        o["properties"]["moulin_customer_id"]: o["id"]
        for o in world.objects("contacts")
        if o["properties"].get("moulin_customer_id")
    }
    deals = {o["properties"].get("moulin_order_id") for o in world.objects("deals")}
    rows = world.sql(
        "SELECT customer_id, id FROM orders WHERE company_id IS "
        + ("NOT NULL" if b2b else "NULL")
        + " ORDER BY customer_id, id"
    )
    by_customer: dict[str, list[str]] = {}
    for customer_id, order_id in rows:
        if str(customer_id) in in_hubspot and str(order_id) in deals:
            by_customer.setdefault(str(customer_id), []).append(str(order_id))
    customer = max(by_customer, key=lambda c: len(by_customer[c]))
    return customer, by_customer[customer]


def _deals_of(world: SyncWorld, order_ids: list[str]) -> list[dict]:
    wanted = set(order_ids)
    return [o for o in world.objects("deals") if o["properties"].get("moulin_order_id") in wanted]


def _contact(world: SyncWorld, customer: str, *, archived: bool = False) -> list[dict]:
    return [
        o
        for o in world.objects("contacts", archived=archived)
        if o["properties"].get("moulin_customer_id") == customer
    ]


def _assert_deals_without_the_person(
    world: SyncWorld, order_ids: list[str], contact_id: str, name: str
) -> None:
    deals = _deals_of(world, order_ids)
    assert len(deals) == len(order_ids), "an erased customer's deals stay"
    for deal in deals:
        assert name not in deal["properties"]["dealname"]
        assert "contacts" not in deal["associations"], "a deal keeps a link to the person"
    companies = world.objects("companies")
    assert not any(
        contact_id in {a["id"] for a in c["associations"].get("contacts", [])} for c in companies
    ), "a company keeps the erased contact"


def _erase(world: SyncWorld, customer: str, how: str = "deleted_at") -> str:
    first, last = world.sql(
        "SELECT first_name, last_name FROM customers WHERE id = ?", (int(customer),)
    )[0]
    world.sql(f"UPDATE customers SET {how} = '2026-11-20 10:00:00' WHERE id = ?", (int(customer),))
    return f"{first} {last}"


def test_an_erased_customer_is_deleted_for_good_and_their_deals_renamed(world: SyncWorld) -> None:
    world.run(DEAL_ASSETS, MONTHS)
    customer, orders = _synced_customer(world, b2b=False)
    [contact] = _contact(world, customer)
    email = contact["properties"]["email"]
    name = _erase(world, customer)

    meta = world.run(DEAL_ASSETS, MONTHS)

    assert meta["hubspot/contacts"]["gdpr_deleted"] == 1
    assert _contact(world, customer, archived=True) == [], "still in HubSpot, even archived"
    assert email in world.hubspot.admin.state()["gdprBlocklist"]
    _assert_deals_without_the_person(world, orders, contact["id"], name)
    for deal in _deals_of(world, orders):
        assert deal["properties"]["dealname"].endswith(f" — {ERASED_NAME}")
    assert meta["check:deals_are_associated"]["passed"]
    assert meta["check:every_order_has_a_deal"]["passed"]
    # Done once: the next nights neither delete again nor bring the person back.
    world.hubspot.admin.reset_stats()
    meta = world.run(DEAL_ASSETS, MONTHS)
    assert world.write_calls() == 0
    assert meta["hubspot/contacts"]["created"] == 0
    assert _contact(world, customer, archived=True) == []
    held = world.state().load("contacts").filter(pl.col("source_key") == customer)
    assert held.select("status", "hubspot_id").rows() == [("deleted", None)]


def test_an_erased_b2b_contact_leaves_its_company(world: SyncWorld) -> None:
    world.run(DEAL_ASSETS, MONTHS)
    customer, orders = _synced_customer(world, b2b=True)
    [contact] = _contact(world, customer)
    name = _erase(world, customer, "anonymized_at")
    world.run(DEAL_ASSETS, MONTHS)
    _assert_deals_without_the_person(world, orders, contact["id"], name)
    for deal in _deals_of(world, orders):
        assert deal["associations"]["companies"], "a B2B deal keeps its company"


@pytest.mark.parametrize("policy", ["archive", "ignore"])
def test_other_policies_still_take_the_person_off_the_deals(world: SyncWorld, policy: str) -> None:
    world.gdpr_erasure = policy
    world.run(DEAL_ASSETS, MONTHS)
    customer, orders = _synced_customer(world, b2b=False)
    assert len(_contact(world, customer)) == 1
    name = _erase(world, customer)
    meta = world.run(DEAL_ASSETS, MONTHS)
    if policy == "archive":
        assert meta["hubspot/contacts"]["archived"] == 1
        assert _contact(world, customer) == []
        assert [c["archived"] for c in _contact(world, customer, archived=True)] == [True]
    else:
        assert meta["hubspot/contacts"]["archived"] == meta["hubspot/contacts"]["gdpr_deleted"] == 0
        assert len(_contact(world, customer)) == 1, "ignore leaves the contact alone"
    deals = _deals_of(world, orders)
    assert all(name not in d["properties"]["dealname"] for d in deals)
    assert all("contacts" not in d["associations"] for d in deals)


def test_erasure_survives_a_stop_between_the_contact_and_its_deals(world: SyncWorld) -> None:
    world.run(DEAL_ASSETS, MONTHS)
    customer, orders = _synced_customer(world, b2b=False)
    [contact] = _contact(world, customer)
    name = _erase(world, customer)
    # The contacts step runs, then the run stops before the deals step.
    world.run(CONTACT_ASSETS)
    assert _contact(world, customer, archived=True) == []
    meta = world.run(DEAL_ASSETS, MONTHS)
    assert meta["hubspot/contacts"]["gdpr_deleted"] == 0, "deleted once"
    assert meta["hubspot/deals"]["updated"] == len(orders)
    _assert_deals_without_the_person(world, orders, contact["id"], name)
