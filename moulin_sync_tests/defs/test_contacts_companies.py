"""Contacts and companies against the HubSpot emulator: issue 4's "done when"."""

import sqlite3
from pathlib import Path

import httpx
import polars as pl
import pytest

from moulin_sync.sources.app_du_moulin import quality
from moulin_sync.sources.app_du_moulin.reader import SourceReader
from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync.testing.sync_world import SyncWorld, new_world, table_text


@pytest.fixture
def world(hubspot: EmulatorHandle, tmp_path: Path) -> SyncWorld:
    return new_world(tmp_path, hubspot)


def _by_key(objects: list[dict], key: str) -> dict[str, dict]:
    keyed: dict[str, dict] = {}
    for o in objects:
        value = o["properties"].get(key)
        if value:
            assert value not in keyed, f"two HubSpot records carry {key}={value}"
            keyed[value] = o
    return keyed


def test_first_load_puts_every_valid_record_in_hubspot_once(world: SyncWorld) -> None:
    meta = world.run()
    reader = SourceReader(world.source_url)
    customers = reader.read_table("customers")
    live = customers.filter(~quality.is_erased())
    bad = quality.invalid_emails(customers)["id"].to_list()
    dup_losers = [ids[1:] for ids in quality.duplicate_emails(customers)["customer_ids"].to_list()]
    without_email = {str(i) for i in bad} | {str(i) for ids in dup_losers for i in ids}
    assert without_email, "the world has no dirty emails: make it dirtier"

    # Every live customer is a contact; an unusable email costs the email, not the contact.
    contacts = _by_key(world.objects("contacts"), "moulin_customer_id")
    assert set(contacts) == {str(i) for i in live["id"]}
    assert meta["hubspot/contacts"]["created"] == live.height
    assert meta["hubspot/contacts"]["rejected"] == meta["hubspot_payloads/contacts"]["quarantined"]
    assert meta["hubspot/contacts"]["created_without_email"] == len(without_email)
    for key in without_email:
        assert not contacts[key]["properties"].get("email"), key
        assert contacts[key]["properties"]["moulin_email_issue"] in ("missing", "invalid", "shared")
    # Every rejection is in the state store with its reason, for the next run to retry.
    state = world.state().load("contacts")
    rejected = state.filter(pl.col("status") == "rejected")
    assert rejected.height == meta["hubspot/contacts"]["rejected"]
    assert rejected["last_error"].null_count() == 0

    companies = _by_key(world.objects("companies"), "moulin_company_id")
    company_rows = reader.read_table("companies")
    assert len(companies) + meta["hubspot/companies"]["rejected"] == company_rows.height
    assert len(companies) > 0

    # B2B contacts are associated with their company, as primary.
    links = reader.read_table("company_contacts")
    checked = 0
    for customer_id, company_id in links.select("customer_id", "company_id").iter_rows():
        contact = contacts.get(str(customer_id))
        company = companies.get(str(company_id))
        if contact is None or company is None:
            continue
        associated = contact["associations"].get("companies", [])
        assert [a["id"] for a in associated] == [company["id"]], customer_id
        assert 1 in associated[0]["types"], "the company must be the primary one"
        assert contact["properties"]["moulin_customer_type"] == "B2B"
        checked += 1
    assert checked > 0


def test_first_load_uses_the_minimum_of_write_calls(world: SyncWorld) -> None:
    meta = world.run()
    contacts = meta["hubspot/contacts"]
    companies = meta["hubspot/companies"]
    # Contacts with a company go in create calls with inline associations, the others in
    # upserts: at most one call more than ⌈records/100⌉.
    assert contacts["write_calls"] <= -(-contacts["created"] // 100) + 1
    assert companies["write_calls"] == -(-companies["created"] // 100)
    assert contacts["rate_limited_429s"] == 0


def test_an_unchanged_rerun_makes_no_write_call(world: SyncWorld) -> None:
    world.run()
    before = world.hubspot.admin.state()
    world.hubspot.admin.reset_stats()
    meta = world.run()
    assert world.write_calls() == 0
    assert meta["hubspot/contacts"]["write_calls"] == 0
    assert meta["hubspot/companies"]["write_calls"] == 0
    assert meta["hubspot/contacts"]["unchanged"] > 0
    assert world.hubspot.admin.state() == before


@pytest.mark.parametrize("changed", [3, 150])
def test_changing_k_records_costs_ceil_k_over_100_writes(world: SyncWorld, changed: int) -> None:
    world.run()
    # Change k B2C customers that are synced (no company, valid email).
    synced = world.state().load("contacts").filter(pl.col("status") == "synced")
    b2c = set(
        world.sql(
            "SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM company_contacts)"
        )
    )
    keys = [k for k in synced["source_key"].to_list() if (int(k),) in b2c][:changed]
    assert len(keys) == changed, "the world holds too few synced B2C customers: enlarge it"
    world.sql(f"UPDATE customers SET city = 'Moulins' WHERE id IN ({','.join(keys)})")
    world.hubspot.admin.reset_stats()
    meta = world.run()
    assert meta["hubspot/contacts"]["updated"] == changed
    assert meta["hubspot/contacts"]["write_calls"] == -(-changed // 100)
    assert meta["hubspot/companies"]["write_calls"] == 0
    contacts = _by_key(world.objects("contacts"), "moulin_customer_id")
    assert all(contacts[k]["properties"]["city"] == "Moulins" for k in keys)


def test_a_contact_created_by_a_form_is_adopted_not_duplicated(world: SyncWorld) -> None:
    email = world.sql("SELECT lower(trim(email)) FROM customers WHERE id = 1")[0][0]
    created = httpx.post(
        f"{world.hubspot.base_url}/crm/v3/objects/contacts",
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
        json={"properties": {"email": email, "firstname": "Depuis", "lastname": "Typeform"}},
    )
    assert created.status_code == 201, created.text
    form_id = created.json()["id"]
    meta = world.run()
    assert meta["hubspot/contacts"]["adopted"] == 1
    matching = [o for o in world.objects("contacts") if o["properties"].get("email") == email]
    assert len(matching) == 1
    assert matching[0]["id"] == form_id
    assert matching[0]["properties"]["moulin_customer_id"] == "1"


def test_an_email_held_by_another_customer_is_never_taken(world: SyncWorld) -> None:
    """HubSpot holds a new customer's email on the contact of another customer: the new
    customer is not adopted onto it; it is created without the email, and says why."""
    world.run()
    email = world.sql("SELECT lower(trim(email)) FROM customers WHERE id = 1")[0][0]
    [contact] = [o for o in world.objects("contacts") if o["properties"].get("email") == email]
    moved = httpx.patch(
        f"{world.hubspot.base_url}/crm/v3/objects/contacts/{contact['id']}",
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
        json={"properties": {"moulin_customer_id": "999999"}},
    )
    assert moved.status_code == 200, moved.text
    with sqlite3.connect(world.root / "state.db") as connection:  # customer 1 is new again
        connection.execute(
            "DELETE FROM sync_records WHERE stream = 'contacts' AND source_key = '1'"
        )
    meta = world.run()
    assert meta["hubspot/contacts"]["created"] == 1 and meta["hubspot/contacts"]["adopted"] == 0
    warned = table_text(meta["hubspot/contacts"]["warnings"])
    assert f"1 | email {email} already belongs to HubSpot contact {contact['id']}" in warned
    matching = [o for o in world.objects("contacts") if o["properties"].get("email") == email]
    assert [o["properties"]["moulin_customer_id"] for o in matching] == ["999999"]
    [mine] = [o for o in world.objects("contacts") if o["properties"]["moulin_customer_id"] == "1"]
    assert mine["id"] != contact["id"] and mine["properties"]["moulin_email_issue"] == "shared"


def test_one_bad_record_is_isolated_and_its_batch_still_lands(world: SyncWorld) -> None:
    world.run()
    # A record HubSpot refuses as it stands: a contact gets an email another of our
    # contacts holds in HubSpot (a person typed it there) — a uniqueness conflict on update.
    (three,) = world.sql("SELECT id FROM customers WHERE id = 3")[0]
    synced = set(world.state().load("contacts").filter(pl.col("status") == "synced")["source_key"])
    assert {"2", "3"} <= synced
    held = _by_key(world.objects("contacts"), "moulin_customer_id")["2"]
    httpx.patch(
        f"{world.hubspot.base_url}/crm/v3/objects/contacts/{held['id']}",
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
        json={"properties": {"email": "taken@example.org"}},
    ).raise_for_status()
    world.sql("UPDATE customers SET city = 'Vichy' WHERE id BETWEEN 4 AND 60")
    world.sql("UPDATE customers SET email = 'taken@example.org' WHERE id = ?", (three,))
    meta = world.run()
    contacts = meta["hubspot/contacts"]
    # Alone at last, it goes without the email (both contacts stay), reported.
    assert "taken@example.org already belongs" in table_text(contacts["warnings"])
    landed = _by_key(world.objects("contacts"), "moulin_customer_id")
    assert landed["2"]["properties"]["email"] == "taken@example.org"
    assert landed[str(three)]["properties"]["moulin_email_issue"] == "shared"
    vichy = [k for k in map(str, range(4, 61)) if k in landed]
    assert vichy and all(landed[k]["properties"]["city"] == "Vichy" for k in vichy)
    assert contacts["updated"] >= len(vichy)
    # It is tried again next run, and takes its email once the conflict is gone.
    world.sql("UPDATE customers SET email = 'free@example.org' WHERE id = ?", (three,))
    world.run()
    landed = _by_key(world.objects("contacts"), "moulin_customer_id")
    assert landed[str(three)]["properties"]["email"] == "free@example.org"
    assert not landed[str(three)]["properties"].get("moulin_email_issue")


def test_a_429_storm_is_survived_with_nothing_lost(world: SyncWorld) -> None:
    # A tight limit the client paces itself to, and 429s on the first batch writes.
    world.hubspot.admin.set_limits(per_10s=30)
    world.hubspot.admin.add_fault(
        kind="status", status=429, count=2, route="/crm/v3/objects/contacts/batch"
    )
    world.tier = "starter"
    meta = world.run()
    world.hubspot.admin.set_limits(per_10s=None)
    storm = (
        meta["hubspot/contacts"]["rate_limited_429s"]
        + meta["hubspot/companies"]["rate_limited_429s"]
    )
    assert storm > 0, "HubSpot's limiter never answered 429: no storm was tested"
    for stream in ("contacts", "companies"):
        payloads = meta[f"hubspot_payloads/{stream}"]
        expected = payloads["dagster/row_count"]
        written = meta[f"hubspot/{stream}"]
        # Only what the source quarantined: HubSpot refused nothing.
        assert written["rejected"] == payloads["quarantined"], written["rejections"]
        assert written["waiting"] == 0
        assert written["created"] == expected
        assert len(world.objects(stream)) == expected
    # Nothing left over for the next run either.
    again = world.run()
    assert again["hubspot/contacts"]["created"] + again["hubspot/contacts"]["updated"] == 0


def _merge(world: SyncWorld, primary: str, merged: str) -> None:
    answer = httpx.post(
        f"{world.hubspot.base_url}/crm/v3/objects/contacts/merge",
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
        json={"primaryObjectId": primary, "objectIdToMerge": merged},
    )
    assert answer.status_code == 200, answer.text


def test_a_contact_merged_into_a_form_contact_is_reresolved_not_recreated(
    world: SyncWorld,
) -> None:
    world.run()
    contacts = _by_key(world.objects("contacts"), "moulin_customer_id")
    ours = contacts["5"]
    form = httpx.post(
        f"{world.hubspot.base_url}/crm/v3/objects/contacts",
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
        json={"properties": {"email": "jean.form@example.org", "firstname": "Jean"}},
    ).json()
    # Sales merge our contact into the one a form created: the form's record survives.
    _merge(world, form["id"], ours["id"])
    world.sql("UPDATE customers SET city = 'Montluçon' WHERE id = 5")
    meta = world.run()
    assert meta["hubspot/contacts"]["reresolved"] == 1
    assert meta["hubspot/contacts"]["created"] == 0
    now = _by_key(world.objects("contacts"), "moulin_customer_id")
    assert now["5"]["id"] == form["id"]
    assert now["5"]["properties"]["city"] == "Montluçon"
    assert len(world.objects("contacts")) == len(contacts)
    assert world.state().hubspot_ids("contacts", ["5"]) == {"5": form["id"]}


def test_two_of_our_contacts_merged_stay_merged(world: SyncWorld) -> None:
    world.run()
    contacts = _by_key(world.objects("contacts"), "moulin_customer_id")
    _merge(world, contacts["5"]["id"], contacts["6"]["id"])
    world.sql("UPDATE customers SET city = 'Montluçon' WHERE id IN (5, 6)")
    meta = world.run()
    assert meta["hubspot/contacts"]["merged"] == 1
    assert meta["hubspot/contacts"]["created"] == 0
    now = _by_key(world.objects("contacts"), "moulin_customer_id")
    assert "6" not in now, "the merged customer must not be re-created behind the merge"
    assert now["5"]["properties"]["city"] == "Montluçon"
    assert len(world.objects("contacts")) == len(contacts) - 1
    # And the next nights leave it alone.
    world.hubspot.admin.reset_stats()
    world.sql("UPDATE customers SET city = 'Vichy' WHERE id = 6")
    world.run()
    assert world.write_calls() == 0
    assert "6" not in _by_key(world.objects("contacts"), "moulin_customer_id")


def test_a_contact_moving_company_takes_its_association_along(world: SyncWorld) -> None:
    world.run()
    contacts = _by_key(world.objects("contacts"), "moulin_customer_id")
    companies = _by_key(world.objects("companies"), "moulin_company_id")
    links = world.sql("SELECT customer_id, company_id FROM company_contacts ORDER BY customer_id")
    customer_id, old_company = next(
        (c, k) for c, k in links if str(c) in contacts and str(k) in companies
    )
    new_company = next(k for k in map(int, companies) if k != old_company)
    world.sql(
        "UPDATE company_contacts SET company_id = ? WHERE customer_id = ?",
        (new_company, customer_id),
    )
    world.hubspot.admin.reset_stats()
    meta = world.run()
    assert meta["hubspot/contacts"]["updated"] == 1
    assert meta["hubspot/contacts"]["associations_changed"] == 1
    contact = _by_key(world.objects("contacts"), "moulin_customer_id")[str(customer_id)]
    associated = contact["associations"]["companies"]
    assert [a["id"] for a in associated] == [companies[str(new_company)]["id"]]
    assert 1 in associated[0]["types"], "the new company is the primary one"
    assert contact["properties"]["company"] == companies[str(new_company)]["properties"]["name"]
