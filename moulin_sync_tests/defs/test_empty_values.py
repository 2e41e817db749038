"""An empty value never erases a person's work: moulin-sync clears a HubSpot property
only when the value it clears is one it wrote itself."""

from pathlib import Path

import httpx
import pytest

from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync.testing.sync_world import SyncWorld, new_world

PHONE = "+33612345678"


@pytest.fixture
def world(hubspot: EmulatorHandle, tmp_path: Path) -> SyncWorld:
    return new_world(tmp_path, hubspot)


def _contacts(world: SyncWorld) -> dict[str, dict]:
    return {
        o["properties"]["moulin_customer_id"]: o
        for o in world.objects("contacts")
        if o["properties"].get("moulin_customer_id")
    }


def _edit_in_hubspot(world: SyncWorld, contact_id: str, **properties: str) -> None:
    """What a salesperson does in HubSpot's UI."""
    answer = httpx.patch(
        f"{world.hubspot.base_url}/crm/v3/objects/contacts/{contact_id}",
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
        json={"properties": properties},
    )
    assert answer.status_code == 200, answer.text


def _b2c_customer(world: SyncWorld, *, with_phone: bool) -> str:
    synced = _contacts(world)
    rows = world.sql(
        "SELECT id FROM customers WHERE phone IS "
        + ("NOT NULL" if with_phone else "NULL")
        + " AND id NOT IN (SELECT customer_id FROM company_contacts) ORDER BY id"
    )
    return next(str(i) for (i,) in rows if str(i) in synced and (
        not with_phone or synced[str(i)]["properties"].get("phone")
    ))  # fmt: skip


def test_a_value_typed_in_hubspot_survives_an_empty_source_value(world: SyncWorld) -> None:
    world.run()
    customer = _b2c_customer(world, with_phone=False)
    contact = _contacts(world)[customer]
    assert not contact["properties"].get("phone")
    _edit_in_hubspot(world, contact["id"], phone=PHONE, jobtitle="Boulangère")
    # The customer changes something else: the update sends that, not their empty phone.
    world.sql("UPDATE customers SET city = 'Yzeure' WHERE id = ?", (int(customer),))
    meta = world.run()
    assert meta["hubspot/contacts"]["updated"] == 1
    now = _contacts(world)[customer]["properties"]
    assert now["city"] == "Yzeure"
    assert now["phone"] == PHONE, "an empty source value erased what a person typed"
    assert now["jobtitle"] == "Boulangère"


def test_a_value_moulin_sync_wrote_is_cleared_when_the_source_empties_it(
    world: SyncWorld,
) -> None:
    world.run()
    customer = _b2c_customer(world, with_phone=True)
    world.sql("UPDATE customers SET phone = NULL WHERE id = ?", (int(customer),))
    world.run()
    assert not _contacts(world)[customer]["properties"].get("phone"), "our value stayed"


def test_a_value_a_person_replaced_is_kept_when_the_source_empties_it(world: SyncWorld) -> None:
    world.run()
    customer = _b2c_customer(world, with_phone=True)
    _edit_in_hubspot(world, _contacts(world)[customer]["id"], phone=PHONE)
    world.sql("UPDATE customers SET phone = NULL WHERE id = ?", (int(customer),))
    world.run()
    assert _contacts(world)[customer]["properties"]["phone"] == PHONE
    # Not ours any more: later runs leave it too.
    world.sql("UPDATE customers SET city = 'Cusset' WHERE id = ?", (int(customer),))
    world.run()
    assert _contacts(world)[customer]["properties"]["phone"] == PHONE


def test_adoption_keeps_what_a_form_filled_where_the_source_is_empty(world: SyncWorld) -> None:
    customer = 5
    world.sql("UPDATE customers SET phone = NULL, city = 'Moulins' WHERE id = ?", (customer,))
    [(email,)] = world.sql("SELECT email FROM customers WHERE id = ?", (customer,))
    made = httpx.post(
        f"{world.hubspot.base_url}/crm/v3/objects/contacts",
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
        json={"properties": {"email": email.strip().lower(), "phone": PHONE, "city": "Paris"}},
    )
    assert made.status_code == 201, made.text
    meta = world.run()
    assert meta["hubspot/contacts"]["adopted"] >= 1
    adopted = _contacts(world)[str(customer)]
    assert adopted["id"] == made.json()["id"]
    assert adopted["properties"]["phone"] == PHONE, "adoption erased the form's phone"
    assert adopted["properties"]["city"] == "Moulins", "the source's own value wins"


def test_a_contact_leaving_its_company_for_none_loses_the_association(world: SyncWorld) -> None:
    world.run()
    contacts = _contacts(world)
    links = world.sql("SELECT customer_id, company_id FROM company_contacts ORDER BY customer_id")
    customer = next(
        str(c)
        for c, _ in links
        if contacts.get(str(c), {}).get("associations", {}).get("companies")
    )
    world.sql("DELETE FROM company_contacts WHERE customer_id = ?", (int(customer),))
    meta = world.run()
    assert meta["hubspot/contacts"]["updated"] == 1
    contact = _contacts(world)[customer]
    assert not contact["associations"].get("companies"), "the old company stays associated"
    assert not contact["properties"].get("company"), "the company name we wrote stays"
    assert contact["properties"]["moulin_customer_type"] == "B2C"
