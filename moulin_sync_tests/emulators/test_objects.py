"""Objects v3 through the official SDK: auth, single CRUD, paging, properties, type aliases."""

from __future__ import annotations

import re

import httpx
from hubspot.crm.contacts import SimplePublicObjectInput, SimplePublicObjectInputForCreate
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealCreate
from hubspot.crm.objects import SimplePublicObjectInputForCreate as ObjectCreate

from moulin_sync.testing.hubspot_emulator import EmulatorHandle, hubspot_client

from .helpers import api_error

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_requests_without_the_token_get_401(hs: EmulatorHandle) -> None:
    r = httpx.get(hs.base_url + "/crm/v3/objects/contacts")
    assert r.status_code == 401
    assert r.json()["category"] == "INVALID_AUTHENTICATION"
    r = httpx.get(
        hs.base_url + "/crm/v3/objects/contacts", headers={"Authorization": "Bearer wrong"}
    )
    assert r.status_code == 401
    r = httpx.get(hs.base_url + "/_emulator/state", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401


def test_sdk_with_a_wrong_token_gets_401(hs: EmulatorHandle) -> None:
    from hubspot import HubSpot

    bad = HubSpot(access_token="nope", host=hs.base_url)
    status, body = api_error(bad.crm.contacts.basic_api.get_page)
    assert status == 401
    assert body["category"] == "INVALID_AUTHENTICATION"


def test_create_get_patch_archive_contact(client) -> None:
    api = client.crm.contacts.basic_api
    created = api.create(
        SimplePublicObjectInputForCreate(
            properties={"email": "Jane@Example.com", "firstname": "Jane", "lastname": "Doe"}
        )
    )
    assert created.id.isdigit()
    assert created.properties["email"] == "jane@example.com"  # HubSpot lowercases emails
    assert created.properties["hs_object_id"] == created.id
    assert ISO_MS.match(created.properties["createdate"])
    assert ISO_MS.match(created.properties["lastmodifieddate"])
    assert created.archived is False

    got = api.get_by_id(created.id)
    assert got.properties["firstname"] == "Jane"
    assert set(got.properties) >= {"email", "firstname", "lastname", "hs_object_id", "createdate"}

    by_email = api.get_by_id("JANE@example.com", id_property="email", properties=["phone"])
    assert by_email.id == created.id
    assert by_email.properties["phone"] is None  # requested but unset -> null

    patched = api.update(created.id, SimplePublicObjectInput(properties={"phone": "+33 1 02"}))
    assert patched.properties["phone"] == "+33 1 02"
    assert patched.updated_at >= patched.created_at

    cleared = api.update(created.id, SimplePublicObjectInput(properties={"phone": ""}))
    assert "phone" not in cleared.properties  # "" clears a value

    api.archive(created.id)
    status, body = api_error(api.get_by_id, created.id)
    assert status == 404
    assert body["category"] == "OBJECT_NOT_FOUND"
    archived = api.get_by_id(created.id, archived=True)
    assert archived.archived is True and archived.archived_at is not None


def test_values_travel_as_strings(hs: EmulatorHandle) -> None:
    r = httpx.post(
        hs.base_url + "/crm/v3/objects/deals",
        headers={"Authorization": f"Bearer {hs.token}"},
        json={"properties": {"dealname": "D", "dealstage": "qualifiedtobuy", "amount": 12.5}},
    )
    assert r.status_code == 201
    props = r.json()["properties"]
    assert props["amount"] == "12.5"
    assert props["pipeline"] == "default"  # the default pipeline is filled in
    assert all(isinstance(v, str) for v in props.values())


def test_list_pages_with_after_and_properties(client) -> None:
    api = client.crm.contacts.basic_api
    ids = [
        api.create(
            SimplePublicObjectInputForCreate(properties={"email": f"p{i}@x.io", "city": "Lyon"})
        ).id
        for i in range(5)
    ]
    page1 = api.get_page(limit=2, properties=["city"])
    assert [r.id for r in page1.results] == ids[:2]
    assert page1.results[0].properties["city"] == "Lyon"
    page2 = api.get_page(limit=2, after=page1.paging.next.after)
    page3 = api.get_page(limit=2, after=page2.paging.next.after)
    assert [r.id for r in page2.results + page3.results] == ids[2:]
    assert page3.paging is None


def test_deal_paths_accept_0_3_and_tickets_work_through_generic_objects(client, hs) -> None:
    deal = client.crm.deals.basic_api.create(
        DealCreate(properties={"dealname": "Mill", "dealstage": "appointmentscheduled"})
    )
    r = httpx.get(
        f"{hs.base_url}/crm/v3/objects/0-3/{deal.id}",
        headers={"Authorization": f"Bearer {hs.token}"},
    )
    assert r.status_code == 200 and r.json()["properties"]["dealname"] == "Mill"
    ticket = client.crm.objects.basic_api.create(
        "0-5", ObjectCreate(properties={"subject": "Broken", "hs_pipeline_stage": "1"})
    )
    got = client.crm.tickets.basic_api.get_by_id(ticket.id)
    assert got.properties["subject"] == "Broken"
    assert got.properties["hs_pipeline"] == "0"


def test_unknown_object_type_and_route(hs: EmulatorHandle) -> None:
    auth = {"Authorization": f"Bearer {hs.token}"}
    r = httpx.get(hs.base_url + "/crm/v3/objects/widgets", headers=auth)
    assert r.status_code == 400
    r = httpx.get(hs.base_url + "/crm/v9/nothing", headers=auth)
    assert r.status_code == 404 and r.json()["status"] == "error"


def test_hubspot_client_helper_points_every_api_at_the_emulator(hs: EmulatorHandle) -> None:
    c = hubspot_client(hs)
    assert c.crm.contacts.basic_api.api_client.configuration.host == hs.base_url
    assert c.crm.contacts.basic_api.get_page().results == []
