"""Every order of a real customer reaches HubSpot, even when the customer's email is
unusable: missing, invalid or another customer's. Against the HubSpot emulator."""

from pathlib import Path

import httpx
import pytest

from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync.testing.sync_world import DEAL_ASSETS, SyncWorld, new_world, table_text

MONTHS = ("2025-09-01", "2026-02-01")
CONTACTS_CHECK = "check:hubspot/contacts:no_drift"


@pytest.fixture
def world(hubspot: EmulatorHandle, tmp_path: Path) -> SyncWorld:
    return new_world(tmp_path, hubspot, customers=200, companies=8, orders=2_500, dirty_rate=0)


def _contacts(world: SyncWorld) -> dict[str, dict]:
    return {
        o["properties"]["moulin_customer_id"]: o
        for o in world.objects("contacts")
        if o["properties"].get("moulin_customer_id")
    }


def _deals(world: SyncWorld) -> dict[str, dict]:
    return {
        o["properties"]["moulin_order_id"]: o
        for o in world.objects("deals")
        if o["properties"].get("moulin_order_id")
    }


def _b2c_customers(world: SyncWorld, n: int) -> list[int]:
    """B2C customers with orders in MONTHS, the most orders first."""
    rows = world.sql(
        "SELECT customer_id FROM orders WHERE company_id IS NULL AND ordered_at >= ? "
        "AND ordered_at < '2026-03-01' AND customer_id NOT IN "
        "(SELECT customer_id FROM company_contacts) GROUP BY customer_id "
        "ORDER BY count(*) DESC, customer_id LIMIT ?",
        (MONTHS[0], n),
    )
    return [customer for (customer,) in rows]


def _orders_of(world: SyncWorld, customer: int) -> list[str]:
    rows = world.sql(
        "SELECT id FROM orders WHERE customer_id = ? AND ordered_at >= ? "
        "AND ordered_at < '2026-03-01'",
        (customer, MONTHS[0]),
    )
    return [str(order) for (order,) in rows]


def _post_contact(world: SyncWorld, **properties: str) -> str:
    answer = httpx.post(
        f"{world.hubspot.base_url}/crm/v3/objects/contacts",
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
        json={"properties": properties},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _assert_deals_on_contact(world: SyncWorld, customer: int, contact_id: str) -> None:
    orders = _orders_of(world, customer)
    deals = _deals(world)
    assert orders and all(order in deals for order in orders), "an order never reached HubSpot"
    for order in orders:
        linked = [a["id"] for a in deals[order]["associations"].get("contacts", [])]
        assert linked == [contact_id], order


def test_missing_and_invalid_emails_make_contacts_without_email(world: SyncWorld) -> None:
    missing, invalid, fine = _b2c_customers(world, 3)
    world.sql("UPDATE customers SET email = NULL WHERE id = ?", (missing,))
    world.sql("UPDATE customers SET email = 'jean.dupont@gmail' WHERE id = ?", (invalid,))

    meta = world.run(DEAL_ASSETS, MONTHS)

    contacts = _contacts(world)
    gone = contacts[str(missing)]["properties"]
    assert (gone.get("email") or "", gone["moulin_email_issue"]) == ("", "missing")
    bad = contacts[str(invalid)]["properties"]
    assert (bad.get("email") or "", bad["moulin_email_issue"]) == ("", "invalid")
    assert bad["moulin_app_email"] == "jean.dupont@gmail", "kept out of email, beside it"
    assert not contacts[str(fine)]["properties"].get("moulin_email_issue")
    for customer in (missing, invalid):
        assert contacts[str(customer)]["properties"]["firstname"], "with its other properties"
        _assert_deals_on_contact(world, customer, contacts[str(customer)]["id"])
    written = meta["hubspot/contacts"]
    assert written["created_without_email"] == 2 and written["rejected"] == 0
    assert meta["hubspot/deals"]["waiting"] == meta["hubspot/deals"]["rejected"] == 0
    # Still reported for the App du Moulin team to fix: a warning, not a rejection.
    causes = table_text(written["warnings_by_cause"])
    assert "missing email" in causes and "invalid email syntax" in causes
    assert not meta["check:customers_have_valid_emails"]["passed"]
    with world.state() as state:
        statuses = dict(state.load("contacts").select("source_key", "status").iter_rows())
    assert statuses[str(missing)] == statuses[str(invalid)] == "synced"


def test_a_shared_email_stays_with_its_holder_and_the_other_goes_without(
    world: SyncWorld,
) -> None:
    older, newer, latecomer = sorted(_b2c_customers(world, 3))
    email = world.sql("SELECT lower(trim(email)) FROM customers WHERE id = ?", (older,))[0][0]
    world.sql("UPDATE customers SET created_at = '2020-01-01 00:00:00' WHERE id = ?", (older,))
    world.sql("UPDATE customers SET email = ? WHERE id = ?", (email.upper(), newer))

    world.run(DEAL_ASSETS, MONTHS)

    contacts = _contacts(world)
    assert contacts[str(older)]["properties"]["email"] == email, "the oldest keeps it"
    other = contacts[str(newer)]["properties"]
    assert (other.get("email") or "", other["moulin_email_issue"]) == ("", "shared")
    _assert_deals_on_contact(world, newer, contacts[str(newer)]["id"])
    # An even older customer takes the same email later: the one HubSpot holds keeps it.
    world.sql(
        "UPDATE customers SET email = ?, created_at = '2010-01-01 00:00:00' WHERE id = ?",
        (email, latecomer),
    )
    meta = world.run(DEAL_ASSETS, MONTHS)
    contacts = _contacts(world)
    assert contacts[str(older)]["properties"]["email"] == email
    assert contacts[str(latecomer)]["properties"]["moulin_email_issue"] == "shared"
    assert not contacts[str(latecomer)]["properties"].get("email")
    assert meta["hubspot/contacts"]["created_without_email"] == 2
    # Nothing was merged on a guess: three contacts, each with its own deals.
    for customer in (older, newer, latecomer):
        _assert_deals_on_contact(world, customer, contacts[str(customer)]["id"])


def test_an_email_fixed_at_the_source_reaches_the_same_contact(world: SyncWorld) -> None:
    customer = _b2c_customers(world, 1)[0]
    world.sql("UPDATE customers SET email = '' WHERE id = ?", (customer,))
    world.run(DEAL_ASSETS, MONTHS)
    before = _contacts(world)[str(customer)]
    assert not before["properties"].get("email")

    world.sql("UPDATE customers SET email = 'Fixed.Now@example.fr' WHERE id = ?", (customer,))
    meta = world.run(DEAL_ASSETS, MONTHS)

    after = _contacts(world)[str(customer)]
    assert after["id"] == before["id"], "the same contact, never a second one"
    assert after["properties"]["email"] == "fixed.now@example.fr"
    assert not after["properties"].get("moulin_email_issue"), "the flag moulin-sync set is cleared"
    assert meta["hubspot/contacts"]["created_without_email"] == 0
    assert meta["hubspot/contacts"]["created"] == 0
    _assert_deals_on_contact(world, customer, after["id"])


def test_an_email_fixed_to_a_form_contacts_merges_it_into_ours(world: SyncWorld) -> None:
    customer = _b2c_customers(world, 1)[0]
    world.sql("UPDATE customers SET email = NULL WHERE id = ?", (customer,))
    world.run(DEAL_ASSETS, MONTHS)
    ours = _contacts(world)[str(customer)]["id"]
    # A form (Typeform, a landing page) made a contact with the customer's real email.
    form = _post_contact(world, email="vrai.client@example.fr", firstname="Depuis un formulaire")
    world.sql("UPDATE customers SET email = 'vrai.client@example.fr' WHERE id = ?", (customer,))

    meta = world.run(DEAL_ASSETS, MONTHS)

    written = meta["hubspot/contacts"]
    assert written["merged_in"] == 1 and written["rejected"] == 0
    holding = [
        o
        for o in world.objects("contacts")
        if o["properties"].get("email") == "vrai.client@example.fr"
    ]
    assert [o["id"] for o in holding] == [ours], "ours kept as the primary, the form's merged"
    merged = holding[0]["properties"]
    assert form in (merged.get("hs_merged_object_ids") or "").split(";")
    assert merged["moulin_customer_id"] == str(customer)
    assert merged["firstname"] != "Depuis un formulaire", "our values written over the merge"
    assert not merged.get("moulin_email_issue")
    _assert_deals_on_contact(world, customer, ours)
    world.hubspot.admin.reset_stats()
    world.run(DEAL_ASSETS, MONTHS)
    assert world.write_calls() == 0, "settled: the next run has nothing to do"


def test_an_email_another_of_our_contacts_holds_is_a_reported_clash(world: SyncWorld) -> None:
    """HubSpot holds the email on another customer's contact (a person typed it there):
    both contacts stay, ours is updated without it, the clash is reported each run until
    it is gone."""
    mine, theirs = _b2c_customers(world, 2)
    world.run(DEAL_ASSETS, MONTHS)
    contacts = _contacts(world)
    httpx.patch(
        f"{world.hubspot.base_url}/crm/v3/objects/contacts/{contacts[str(theirs)]['id']}",
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
        json={"properties": {"email": "clash@example.fr"}},
    ).raise_for_status()
    world.sql(
        "UPDATE customers SET email = 'clash@example.fr', city = 'Vichy' WHERE id = ?", (mine,)
    )

    meta = world.run(DEAL_ASSETS, MONTHS)

    after = _contacts(world)
    assert after[str(mine)]["id"] == contacts[str(mine)]["id"]
    assert after[str(mine)]["properties"]["city"] == "Vichy", "its other values still land"
    assert after[str(mine)]["properties"]["moulin_email_issue"] == "shared"
    assert after[str(theirs)]["properties"]["email"] == "clash@example.fr"
    written = meta["hubspot/contacts"]
    assert written["rejected"] == 0 and written["merged_in"] == 0
    clash = table_text(written["warnings"])
    assert f"already belongs to HubSpot contact {contacts[str(theirs)]['id']}" in clash
    # The clash is gone (the other customer's email set right): the next run sets it.
    httpx.patch(
        f"{world.hubspot.base_url}/crm/v3/objects/contacts/{contacts[str(theirs)]['id']}",
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
        json={"properties": {"email": "theirs@example.fr"}},
    ).raise_for_status()
    world.run(DEAL_ASSETS, MONTHS)
    assert _contacts(world)[str(mine)]["properties"]["email"] == "clash@example.fr"


def test_b2b_orders_reach_their_company_whatever_happens_to_the_person(
    world: SyncWorld,
) -> None:
    [(customer, company)] = world.sql(
        "SELECT o.customer_id, o.company_id FROM orders o WHERE o.company_id IS NOT NULL "
        "AND o.ordered_at >= ? AND o.ordered_at < '2026-03-01' "
        "GROUP BY o.customer_id ORDER BY count(*) DESC LIMIT 1",
        (MONTHS[0],),
    )
    orders = [
        str(o)
        for (o,) in world.sql(
            "SELECT id FROM orders WHERE company_id = ? AND customer_id = ? AND ordered_at >= ? "
            "AND ordered_at < '2026-03-01'",
            (company, customer, MONTHS[0]),
        )
    ]
    # A contact HubSpot cannot take (a 70,000-character name): rejected, as before.
    world.sql("UPDATE customers SET first_name = ? WHERE id = ?", ("A" * 70_000, customer))

    meta = world.run(DEAL_ASSETS, MONTHS)

    assert str(customer) not in _contacts(world)
    companies = {o["properties"]["moulin_company_id"]: o["id"] for o in world.objects("companies")}
    deals = _deals(world)
    for order in orders:
        assert order in deals, "a B2B order waited for its person"
        linked = [a["id"] for a in deals[order]["associations"].get("companies", [])]
        assert linked == [companies[str(company)]]
        assert "contacts" not in deals[order]["associations"]
    assert meta["hubspot/deals"]["waiting"] == 0
    assert meta["check:deals_are_associated"]["passed"]
    # The person's name is fixed: their contact lands, and their deals get it.
    world.sql("UPDATE customers SET first_name = 'Léa' WHERE id = ?", (customer,))
    world.run(DEAL_ASSETS, MONTHS)
    contact = _contacts(world)[str(customer)]["id"]
    deals = _deals(world)
    for order in orders:
        assert [a["id"] for a in deals[order]["associations"]["contacts"]] == [contact]


def test_erasure_and_drift_hold_for_contacts_without_email(world: SyncWorld) -> None:
    erased, edited = _b2c_customers(world, 2)
    world.sql("UPDATE customers SET email = NULL WHERE id IN (?, ?)", (erased, edited))
    world.run(DEAL_ASSETS, MONTHS)
    contacts = _contacts(world)
    # A salesperson changes the city of one (drift), the other is erased (GDPR).
    httpx.patch(
        f"{world.hubspot.base_url}/crm/v3/objects/contacts/{contacts[str(edited)]['id']}",
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
        json={"properties": {"city": "Ailleurs"}},
    ).raise_for_status()
    world.sql("UPDATE customers SET deleted_at = '2026-11-20 10:00:00' WHERE id = ?", (erased,))

    meta = world.run(DEAL_ASSETS, MONTHS)

    assert meta["hubspot/contacts"]["gdpr_deleted"] == 1
    assert str(erased) not in _contacts(world)
    deals = _deals(world)
    for order in _orders_of(world, erased):
        assert "contacts" not in deals[order]["associations"], "the deal keeps the person"
    check = meta[CONTACTS_CHECK]
    assert check["drifted_records"] == 1
    assert "Ailleurs" in table_text(check["examples"])
