"""Tickets are a full object type, as moulin-sync will write them: required properties,
pipelines and stages, priorities, unique custom properties, upserts, search, associations."""

from __future__ import annotations

import httpx
import pytest

from moulin_sync.testing.hubspot_emulator import EmulatorHandle


@pytest.fixture
def http(hs: EmulatorHandle) -> httpx.Client:
    http = httpx.Client(base_url=hs.base_url, headers=hs.auth, timeout=30)
    created = http.post("/crm/v3/properties/tickets", json={
        "name": "freshdesk_id", "label": "Freshdesk id", "type": "string", "fieldType": "text",
        "groupName": "ticketinformation", "hasUniqueValue": True})  # fmt: skip
    assert created.status_code == 201, created.text
    return http


def _upsert(http: httpx.Client, key: str, **props: str) -> httpx.Response:
    return http.post("/crm/v3/objects/tickets/batch/upsert", json={"inputs": [
        {"idProperty": "freshdesk_id", "id": key, "properties": props}]})  # fmt: skip


def test_create_needs_a_subject_and_a_stage_of_its_pipeline(http) -> None:
    missing = http.post("/crm/v3/objects/tickets", json={"properties": {"subject": "S"}})
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["code"] == "REQUIRED_PROPERTY"
    wrong_stage = http.post("/crm/v3/objects/tickets", json={"properties": {
        "subject": "S", "hs_pipeline": "0", "hs_pipeline_stage": "closedwon"}})  # fmt: skip
    assert wrong_stage.json()["errors"][0]["code"] == "INVALID_OPTION"
    made = http.post("/crm/v3/objects/tickets", json={"properties": {
        "subject": "S", "hs_pipeline_stage": "1", "hs_ticket_priority": "URGENT"}})  # fmt: skip
    assert made.status_code == 201
    assert made.json()["properties"]["hs_pipeline"] == "0"  # the default pipeline
    bad_priority = http.patch(f"/crm/v3/objects/tickets/{made.json()['id']}",
                              json={"properties": {"hs_ticket_priority": "SOON"}})  # fmt: skip
    assert bad_priority.json()["errors"][0]["code"] == "INVALID_OPTION"


def test_upsert_by_a_unique_property_then_search(http) -> None:
    first = _upsert(http, "fd-1", subject="Late", hs_pipeline_stage="1")
    assert first.json()["results"][0]["new"] is True
    again = _upsert(http, "fd-1", hs_pipeline_stage="4")
    assert again.json()["results"][0]["new"] is False
    duplicate = http.post("/crm/v3/objects/tickets", json={"properties": {
        "subject": "X", "hs_pipeline_stage": "1", "freshdesk_id": "fd-1"}})  # fmt: skip
    assert duplicate.status_code == 409
    found = http.post("/crm/v3/objects/tickets/search", json={"filterGroups": [{"filters": [
        {"propertyName": "hs_pipeline_stage", "operator": "EQ", "value": "4"}]}]}).json()  # fmt: skip
    assert [r["id"] for r in found["results"]] == [again.json()["results"][0]["id"]]


def test_associations_to_contacts_and_the_primary_company(http) -> None:
    contact = http.post("/crm/v3/objects/contacts", json={"properties": {}}).json()["id"]
    company = http.post("/crm/v3/objects/companies", json={"properties": {}}).json()["id"]
    spec = [{"associationCategory": "HUBSPOT_DEFINED"}]
    ticket = http.post("/crm/v3/objects/tickets", json={
        "properties": {"subject": "S", "hs_pipeline_stage": "1"},
        "associations": [
            {"to": {"id": contact}, "types": [{**spec[0], "associationTypeId": 16}]},
            {"to": {"id": company}, "types": [{**spec[0], "associationTypeId": 26}]},
        ],
    }).json()["id"]  # fmt: skip
    read = http.get(f"/crm/v3/objects/tickets/{ticket}",
                    params={"associations": "contacts,companies"}).json()  # fmt: skip
    assert read["associations"]["contacts"]["results"] == [
        {"id": contact, "type": "ticket_to_contact"}
    ]
    assert {r["type"] for r in read["associations"]["companies"]["results"]} == {
        "ticket_to_company", "ticket_to_company_unlabeled"}  # fmt: skip
    pipelines = http.get("/crm/v3/pipelines/tickets").json()["results"]
    assert [s["id"] for s in pipelines[0]["stages"]] == ["1", "2", "3", "4"]
