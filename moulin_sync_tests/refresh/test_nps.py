"""The card's NPS, with Typeform set up: the status reads the customer's latest answer
from their HubSpot contact, and a press brings a newer answer in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from moulin_sync.defs.typeform.resources import Typeform
from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync.testing.sync_world import DEAL_ASSETS, SyncWorld, new_world
from moulin_sync.testing.typeform_emulator import (
    FORM_ID,
    TypeformHandle,
    answer,
    run_typeform_emulator,
)

from .conftest import MONTHS, Service, serve
from .signing import send, signed, status_request

T0 = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)
COMMENT = "Le pain est parfait.\nLa livraison, un peu lente."


@pytest.fixture(scope="module")
def typeform() -> Iterator[TypeformHandle]:
    with run_typeform_emulator() as handle:
        handle.reset()
        handle.create_form()
        yield handle


@pytest.fixture(scope="module")
def service(
    hubspot: EmulatorHandle, typeform: TypeformHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """A synced world whose first customer answered the survey, served with Typeform on."""
    root = tmp_path_factory.mktemp("refresh-nps")
    world = new_world(root / "world", hubspot, customers=40, companies=2, orders=200,
                      dirty_rate=0)  # fmt: skip
    world.sources = ("app_du_moulin", "typeform")
    world.extra = {
        "typeform": Typeform(token=typeform.token, form_id=FORM_ID, base_url=typeform.base_url)
    }
    (_, email), _ = customers(world)
    typeform.submit([answer("r1", T0, score=9, comment=COMMENT, email=email)])
    world.run(DEAL_ASSETS, MONTHS)
    env = {
        "TYPEFORM_TOKEN": typeform.token,
        "TYPEFORM_FORM_ID": FORM_ID,
        "TYPEFORM_BASE_URL": typeform.base_url,
    }
    with serve(world, root, env) as running:
        yield running


def customers(world: SyncWorld) -> list[tuple[int, str]]:
    """The first two customers: their ids and emails."""
    return world.sql(
        "SELECT id, lower(trim(email)) FROM customers WHERE deleted_at IS NULL "
        "AND anonymized_at IS NULL ORDER BY id LIMIT 2"
    )


def contact_of(service: Service, customer: int) -> str:
    [found] = [
        c["id"]
        for c in service.world.objects("contacts")
        if c["properties"].get("moulin_customer_id") == str(customer)
    ]
    return found


def test_the_status_shows_the_customers_latest_nps_answer(service: Service) -> None:
    (answered, _), (silent, _) = customers(service.world)

    status = send(status_request(service, contact_of(service, answered)))
    assert status.status_code == 200, status.text
    assert status.json()["found"] is True
    assert status.json()["nps"] == {
        "score": 9,
        "category": "promoter",
        "submittedAt": "2026-10-01T09:00:00.000Z",
        "comment": COMMENT,
    }

    none = send(status_request(service, contact_of(service, silent)))
    assert none.json()["found"] is True and none.json()["nps"] is None


def test_a_press_brings_in_a_newer_answer(service: Service, typeform: TypeformHandle) -> None:
    _, (customer, email) = customers(service.world)
    contact = contact_of(service, customer)
    typeform.submit([answer("r2", T0 + dt.timedelta(days=30), score=4, email=email)])

    press = send(signed(service, "POST", "/hubspot/refresh", {"objectId": contact}))
    assert press.status_code == 200, press.text
    assert press.json()["status"] == "succeeded"

    status = send(status_request(service, contact)).json()
    assert status["nps"] == {
        "score": 4,
        "category": "detractor",
        "submittedAt": "2026-10-31T09:00:00.000Z",
        "comment": None,
    }
