"""The card's support tickets, with Freshdesk set up: the status lists the customer's open
tickets from HubSpot (subject, status, age, link), and a press brings a new one in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from dagster import AssetKey, AssetSelection

from moulin_sync.defs.freshdesk.resources import Freshdesk
from moulin_sync.testing.freshdesk_emulator import (
    DOMAIN,
    FreshdeskHandle,
    iso,
    run_freshdesk_emulator,
)
from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync.testing.sync_world import SyncWorld, new_world

from .conftest import Service, serve
from .signing import send, signed, status_request

T0 = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def freshdesk() -> Iterator[FreshdeskHandle]:
    with run_freshdesk_emulator() as handle:
        handle.reset()
        yield handle


@pytest.fixture(scope="module")
def service(
    hubspot: EmulatorHandle, freshdesk: FreshdeskHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """A synced world whose first customer has an open and a closed ticket, served with
    Freshdesk on."""
    root = tmp_path_factory.mktemp("refresh-tickets")
    world = new_world(root / "world", hubspot, customers=40, companies=2, orders=200,
                      dirty_rate=0)  # fmt: skip
    world.sources = ("app_du_moulin", "freshdesk")
    world.extra = {"freshdesk": Freshdesk(domain=DOMAIN, api_key=freshdesk.api_key,
                                          base_url=freshdesk.base_url, plan="unlimited")}  # fmt: skip
    (_, email), (_, other) = customers(world)
    requesters = freshdesk.bulk(contacts=[{"name": "A", "email": email},
                                          {"name": "B", "email": other}])["contacts"]  # fmt: skip
    common = {"requester_id": requesters[0], "description": "x", "priority": 2,
              "created_at": iso(T0), "updated_at": iso(T0)}  # fmt: skip
    freshdesk.bulk(tickets=[{**common, "subject": "Pain rassis", "status": 2},
                            {**common, "subject": "Vieille facture", "status": 5}])  # fmt: skip
    world.run(AssetSelection.assets(AssetKey(["hubspot", "tickets"])).upstream())
    env = {"FRESHDESK_DOMAIN": DOMAIN, "FRESHDESK_API_KEY": freshdesk.api_key,
           "FRESHDESK_BASE_URL": freshdesk.base_url, "FRESHDESK_PLAN": "unlimited"}  # fmt: skip
    with serve(world, root, env) as running:
        yield running


def customers(world: SyncWorld) -> list[tuple[int, str]]:
    return world.sql(
        "SELECT id, lower(trim(email)) FROM customers WHERE deleted_at IS NULL "
        "AND anonymized_at IS NULL AND email LIKE '%@%.%' ORDER BY id LIMIT 2"
    )


def contact_of(service: Service, customer: int) -> str:
    [found] = [
        c["id"]
        for c in service.world.objects("contacts")
        if c["properties"].get("moulin_customer_id") == str(customer)
    ]
    return found


def test_the_status_lists_the_customers_open_tickets(service: Service) -> None:
    (customer, _), (other, _) = customers(service.world)

    status = send(status_request(service, contact_of(service, customer))).json()

    [ticket] = status["tickets"]
    assert ticket["subject"] == "Pain rassis" and ticket["status"] == "Open"
    assert ticket["createdAt"].startswith("2026-10-01T09:00:00")
    assert ticket["ageDays"] >= 0 and ticket["url"].endswith("/a/tickets/1")
    assert send(status_request(service, contact_of(service, other))).json()["tickets"] == []


def test_a_press_brings_in_a_new_ticket(service: Service, freshdesk: FreshdeskHandle) -> None:
    _, (customer, email) = customers(service.world)
    contact = contact_of(service, customer)
    freshdesk.create_ticket(email=email, subject="Retrait impossible")

    press = send(signed(service, "POST", "/hubspot/refresh", {"objectId": contact}))
    assert press.status_code == 200, press.text
    assert press.json()["status"] == "succeeded"

    status = send(status_request(service, contact)).json()
    assert [t["subject"] for t in status["tickets"]] == ["Retrait impossible"]
