"""Requests whose JSON has the wrong shape get HubSpot's JSON 400 naming the field,
never a 500 and never a Python repr (the cases a third-party client was seen to hit)."""

from __future__ import annotations

import re

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    # Fields of the wrong type, HubSpot's 400 rather than a repr stored or echoed.
    ("POST", "/crm/v3/objects/contacts", {"properties": {"email": "a@b.fr", "firstname": {"a": 1}}}),
    ("POST", "/crm/v3/objects/contacts/batch/upsert", {"inputs": [{"idProperty": 5, "id": "x@y.fr", "properties": {}}]}),
    ("POST", "/crm/v3/objects/contacts/batch/upsert", {"inputs": [{"id": "x@y.fr", "properties": {}}]}),
    ("POST", "/crm/v3/objects/contacts/batch/upsert", {"inputs": [{"idProperty": "email", "id": "not-an-email", "properties": {}}]}),
    ("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": [{"properties": {"email": "t@b.fr"}, "objectWriteTraceId": 5}]}),
    ("POST", "/crm/v3/objects/companies/batch/read", {"inputs": [{"id": "1"}, {"id": [1]}]}),
    ("POST", "/crm/v3/objects/contacts/batch/read", {"properties": ["email"]}),
    ("POST", "/crm/v3/properties/contacts/groups", {"name": "g1", "label": True}),
    # One bad input among good ones: the whole batch is refused, nothing is written.
    ("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": [{"properties": {"email": "good@b.fr"}}, {"properties": {"email": "bad"}}]}),
    ("POST", "/crm/v3/objects/contacts/batch/upsert", {"inputs": [
        {"idProperty": "email", "id": "good@b.fr", "properties": {}},
        {"idProperty": "email", "id": "bad", "properties": {}}]}),
    ("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": [{"properties": {"email": "good@b.fr"}}, {"properties": "x"}]}),
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


# Every route, with path parameters that name real kinds of things.
PARAMS = {
    "objectType": "contacts", "objectId": "1", "fromObjectType": "deals",
    "toObjectType": "contacts", "fromObjectId": "1", "toObjectId": "2",
    "propertyName": "email", "groupName": "contactinformation",
    "pipelineId": "default", "stageId": "appointmentscheduled", "ownerId": "75000001",
}  # fmt: skip
WRONG_BODIES = [
    b"x", b"", b"null", b"1", b'"x"', b"[]", b'["x"]', b"{}", b'{"inputs": "x"}',
    b'{"inputs": [1]}', b'{"inputs": null}', b'{"inputs": [{"properties": "x"}]}',
    b'{"inputs": [{"properties": {"email": {"a": 1}}}]}', b'{"inputs": [{"id": {"a": 1}}]}',
    b'{"inputs": [{"id": "1", "idProperty": 5}]}', b'{"properties": [1]}',
    b'{"properties": {"email": [1]}}', b'{"primaryObjectId": 1, "objectIdToMerge": [2]}',
    b'{"objectId": {"a": 1}}', b'{"name": 1, "label": 2}', b'{"options": "x"}',
    b'{"stages": [{"label": 1}]}', b'{"limit": "x"}', b'{"after": [1]}',
    b'{"label": [1], "displayOrder": "x"}',
    b'{"inputs": [{"from": {"id": [1]}, "to": {"id": {}}}]}',
    b'{"filterGroups": [{"filters": [{"propertyName": "email", "operator": "BETWEEN", '
    b'"value": [1], "highValue": {}}]}]}',
    b'{"sorts": [{"propertyName": 1}]}', b'{"query": 5}',
    b'{"inputs": [' + b'{"properties": {"email": "a@b.fr"}},' * 60_000 + b"{}]}",  # ~2 MB
]  # fmt: skip


def _routes() -> list[tuple[str, str]]:
    from moulin_sync.emulators.hubspot import handlers

    return [(method, path) for method, path, _, _ in handlers.ROUTES]


def _is_json(answer: httpx.Response) -> bool:
    if not answer.content:
        return True
    try:
        answer.json()
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(("method", "path"), _routes())
def test_no_route_answers_a_5xx_or_non_json_to_a_wrong_shape(hs, method: str, path: str) -> None:
    url = re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)], path)
    auth = {"Authorization": f"Bearer {hs.token}", "Content-Type": "application/json"}
    seen = []
    with httpx.Client(base_url=hs.base_url, headers=auth, timeout=30) as http:
        for body in WRONG_BODIES if method != "GET" else [b""]:
            answer = http.request(method, url, content=body)
            if answer.status_code >= 500 or not _is_json(answer):
                seen.append((body[:60], answer.status_code, answer.text[:80]))
    assert not seen, seen


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(
    ["inputs", "properties", "associations", "filterGroups", "filters", "sorts", "after",
     "limit", "from", "to", "types", "id", "idProperty", "label", "stages", "options", "name"]
)  # fmt: skip
BODY = st.dictionaries(KEYS, JSON, max_size=4) | JSON


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(route=st.sampled_from([r for r in _routes() if r[0] != "GET"]), body=BODY)
def test_any_json_body_on_any_route_gets_no_5xx(hs, route: tuple[str, str], body: object) -> None:
    method, path = route
    url = hs.base_url + re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)], path)
    auth = {"Authorization": f"Bearer {hs.token}"}
    answer = httpx.request(method, url, json=body, headers=auth, timeout=30)
    assert answer.status_code < 500 and _is_json(answer), (answer.status_code, answer.text[:200])
