"""Requests whose JSON has the wrong shape get HubSpot's JSON 400 naming the field,
never a 500 and never a Python repr (the cases a third-party client was seen to hit)."""

from __future__ import annotations

import httpx
import pytest

DEAL = {"dealname": "a", "dealstage": "appointmentscheduled"}
PROPERTY = {"label": "P", "groupName": "contactinformation"}
CASES = [
    ("POST", "/crm/v3/objects/deals", {"properties": DEAL, "associations": [{"to": "x", "types": []}]}),
    ("POST", "/crm/v3/objects/deals", {"properties": DEAL, "associations": [{"to": {"id": "1"}, "types": "x"}]}),
    ("POST", "/crm/v3/objects/deals", {"properties": DEAL, "associations": [{"to": {"id": "1"}, "types": ["x"]}]}),
    ("POST", "/crm/v3/objects/contacts/search", {"filterGroups": "x"}),
    ("POST", "/crm/v3/objects/contacts/search", {"filterGroups": [{"filters": "x"}]}),
    ("POST", "/crm/v3/objects/contacts/search", {"filterGroups": [{"filters": [1]}]}),
    ("POST", "/crm/v3/objects/contacts/search", {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "IN", "values": "x"}]}]}),
    ("POST", "/crm/v3/objects/contacts/search", {"sorts": [1]}),
    ("POST", "/crm/v3/objects/contacts/search", {"filterGroups": [{"filters": [{"propertyName": {"a": 1}, "operator": "EQ"}]}]}),
    ("POST", "/crm/v3/properties/contacts", {**PROPERTY, "name": "p3", "type": "enumeration", "fieldType": "select", "options": [1]}),
    ("POST", "/crm/v3/properties/contacts", {**PROPERTY, "name": ["p3"], "type": "string", "fieldType": "text"}),
    ("POST", "/crm/v3/properties/contacts", {**PROPERTY, "name": "p4", "label": True, "type": "string", "fieldType": "text"}),
    ("POST", "/crm/v3/pipelines/deals", {"label": "x", "displayOrder": 1, "stages": "x"}),
    ("POST", "/crm/v3/pipelines/deals", {"label": "x", "displayOrder": 1, "stages": [1]}),
    ("POST", "/crm/v3/pipelines/deals", {"label": "x", "displayOrder": 1, "stages": [{"label": "s", "displayOrder": 0, "metadata": [1]}]}),
    ("POST", "/crm/v4/associations/deals/contacts/batch/create", {"inputs": [{"from": "x", "to": {"id": "1"}, "types": []}]}),
    ("POST", "/crm/v4/associations/deals/contacts/batch/create", {"inputs": [{"from": {"id": "1"}, "to": {"id": "1"}, "types": "x"}]}),
    ("POST", "/crm/v4/associations/deals/contacts/batch/archive", {"inputs": [{"from": {"id": "1"}, "to": "x"}]}),
    ("POST", "/crm/v4/associations/deals/contacts/batch/associate/default", {"inputs": [{"from": "x", "to": {"id": "1"}}]}),
    ("PUT", "/crm/v4/objects/deals/1/associations/contacts/2", ["x"]),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body"), CASES)
def test_a_wrong_shape_is_hubspots_400(hs, method: str, path: str, body: object) -> None:
    answer = httpx.request(
        method, hs.base_url + path, json=body, headers={"Authorization": f"Bearer {hs.token}"}
    )
    assert answer.status_code == 400, answer.text
    error = answer.json()
    assert error["status"] == "error" and error["category"] == "VALIDATION_ERROR"
    assert error["correlationId"]
    message = error["message"]
    assert "{'" not in message and "None" not in message and "Traceback" not in message, message
    # Nothing of a refused request was applied.
    assert not any(hs.admin.state()["objects"].values())
