"""Routes other clients call besides the v3 object APIs: the legacy properties (v1, v2)
and pipelines (v1) reads, owners, and custom object schemas."""

from __future__ import annotations

import httpx
import pytest

from moulin_sync.testing.hubspot_emulator import EmulatorHandle


@pytest.fixture
def http(hs: EmulatorHandle) -> httpx.Client:
    return httpx.Client(base_url=hs.base_url, headers=hs.auth, timeout=30)


@pytest.mark.parametrize("name", ["contact", "contacts", "company", "deal", "deals", "ticket",
                                  "line_item", "product", "calls", "goal_targets", "leads", "deal_split"])  # fmt: skip
def test_legacy_properties_v2_answer_a_bare_list_in_the_legacy_shape(http, name) -> None:
    answer = http.get(f"/properties/v2/{name}/properties")
    assert answer.status_code == 200, answer.text
    props = answer.json()
    assert isinstance(props, list) and props
    first = props[0]
    assert isinstance(first["createdAt"], int) and isinstance(first["updatedAt"], int)
    assert {"name", "type", "fieldType", "groupName", "readOnlyValue", "deleted"} <= set(first)


def test_legacy_properties_follow_the_schema(http) -> None:
    http.post("/crm/v3/properties/contacts", json={
        "name": "loyalty", "label": "Loyalty", "type": "enumeration", "fieldType": "select",
        "groupName": "contactinformation", "options": [{"label": "Gold", "value": "gold"}],
    }).raise_for_status()  # fmt: skip
    for path in ("/properties/v2/contacts/properties", "/properties/v1/contacts/properties"):
        loyalty = next(p for p in http.get(path).json() if p["name"] == "loyalty")
        assert loyalty["type"] == "enumeration"
        assert [o["value"] for o in loyalty["options"]] == ["gold"]
    assert http.get("/properties/v1/line_items/properties").status_code == 400
    assert [p["name"] for p in http.get("/properties/v2/form/properties").json()] == ["name"]
    assert http.get("/properties/v2/widgets/properties").status_code == 400


def test_schemas_of_a_portal_without_custom_objects(http) -> None:
    answer = http.get("/crm/v3/schemas")
    assert answer.status_code == 200 and answer.json() == {"results": []}
    assert http.get("/crm/v3/schemas/pets").status_code == 404


def test_owners_a_portal_has_at_least_one(http) -> None:
    owners = http.get("/crm/v3/owners").json()["results"]
    assert len(owners) >= 1
    owner = owners[0]
    assert {"id", "email", "firstName", "lastName", "userId", "createdAt", "archived"} <= set(owner)
    assert http.get("/crm/v3/owners", params={"archived": "true"}).json() == {"results": []}
    by_email = http.get("/crm/v3/owners", params={"email": owner["email"]}).json()["results"]
    assert [o["id"] for o in by_email] == [owner["id"]]
    assert http.get(f"/crm/v3/owners/{owner['id']}").json()["id"] == owner["id"]
    by_user = http.get(f"/crm/v3/owners/{owner['userId']}", params={"idProperty": "userId"})
    assert by_user.json()["id"] == owner["id"]
    assert http.get("/crm/v3/owners/1").status_code == 404
    assert http.get("/crm/v3/owners", params={"limit": "0"}).status_code == 400


def test_legacy_pipelines_v1(http) -> None:
    deals = http.get("/crm-pipelines/v1/pipelines/deals").json()["results"]
    assert [p["pipelineId"] for p in deals] == ["default"]
    pipeline = deals[0]
    assert pipeline["objectType"] == "DEAL" and pipeline["default"] is True
    assert isinstance(pipeline["updatedAt"], int)
    stage = pipeline["stages"][0]
    assert stage["stageId"] == "appointmentscheduled" and stage["active"] is True
    assert stage["metadata"]["probability"] == 0.2
    tickets = http.get("/crm-pipelines/v1/pipelines/tickets").json()["results"]
    assert tickets[0]["pipelineId"] == "0" and tickets[0]["objectType"] == "TICKET"
    assert http.get("/crm-pipelines/v1/pipelines/contacts").status_code == 400
