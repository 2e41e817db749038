"""HubSpot's standard object types exist in every portal, even empty: line items, products,
quotes, activities, leads, goals... Reads, associations and their names never fail on them."""

from __future__ import annotations

import httpx
import pytest

from moulin_sync.emulators.hubspot.object_types import TYPES
from moulin_sync.testing.hubspot_emulator import EmulatorHandle

STANDARD = [t for t in TYPES if not t.core]


@pytest.fixture
def http(hs: EmulatorHandle) -> httpx.Client:
    return httpx.Client(base_url=hs.base_url, headers=hs.auth, timeout=30)


def _deal(http: httpx.Client) -> str:
    answer = http.post("/crm/v3/objects/deals",
                       json={"properties": {"dealname": "D", "dealstage": "closedwon"}})  # fmt: skip
    return answer.json()["id"]


@pytest.mark.parametrize("object_type", STANDARD, ids=lambda t: t.name)
def test_every_standard_type_answers_empty_with_its_default_properties(http, object_type) -> None:
    names = (object_type.name, object_type.singular, *filter(None, [object_type.type_id]))
    for name in names:
        listed = http.get(f"/crm/v3/objects/{name}")
        assert listed.status_code == 200 and listed.json() == {"results": []}, name
    props = http.get(f"/crm/v3/properties/{object_type.name}").json()["results"]
    names = {p["name"] for p in props}
    assert {"hs_object_id", "createdate", object_type.lastmod} <= names
    assert len(names) > 4  # its own properties besides the system ones
    search = http.post(f"/crm/v3/objects/{object_type.name}/search", json={})
    assert search.status_code == 200 and search.json()["total"] == 0


def test_a_standard_type_can_be_written_searched_and_associated(http) -> None:
    deal = _deal(http)
    item = http.post("/crm/v3/objects/line_items", json={
        "properties": {"name": "Flour 25 kg", "price": "31.5", "quantity": "4"},
        "associations": [{"to": {"id": deal}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 20}]}],
    })  # fmt: skip
    assert item.status_code == 201, item.text
    found = http.post("/crm/v3/objects/line_items/search", json={"filters": [
        {"propertyName": "quantity", "operator": "GTE", "value": "3"}]}).json()  # fmt: skip
    assert [r["id"] for r in found["results"]] == [item.json()["id"]]
    read = http.get(f"/crm/v3/objects/deals/{deal}", params={"associations": "line_items"})
    assert read.json()["associations"]["line_items"]["results"] == [
        {"id": item.json()["id"], "type": "deal_to_line_item"}
    ]


def test_reads_asking_for_associations_of_any_standard_type_succeed(http) -> None:
    _deal(http)
    params = [("associations", "contacts"), ("associations", "line_items"),
              ("associations", "companies")]  # fmt: skip
    for archived in ("false", "true"):
        answer = http.get("/crm/v3/objects/deals", params=[*params, ("archived", archived)])
        assert answer.status_code == 200, answer.text
    unknown = http.get("/crm/v3/objects/deals", params={"associations": "widgets"})
    assert unknown.status_code == 400
    assert unknown.json()["message"] == "Unable to infer object type from: widgets"


def test_v4_batch_read_of_a_standard_type_names_it_in_the_singular(http) -> None:
    deal = _deal(http)
    answer = http.post("/crm/v4/associations/deal/line_items/batch/read",
                       json={"inputs": [{"id": deal}]})  # fmt: skip
    assert answer.status_code == 207
    assert answer.json()["errors"][0]["message"] == f"No line_item is associated with deal {deal}."
    contact = http.post("/crm/v3/objects/contacts", json={"properties": {}}).json()["id"]
    answer = http.post("/crm/v4/associations/contacts/companies/batch/read",
                       json={"inputs": [{"id": contact}]})  # fmt: skip
    assert answer.json()["errors"][0]["message"] == (
        f"No company is associated with contact {contact}."
    )


def test_the_admin_state_lists_a_standard_type_once_it_holds_records(http, hs) -> None:
    assert set(hs.admin.state()["objects"]) == {"contacts", "companies", "deals", "tickets"}
    http.post("/crm/v3/objects/notes", json={"properties": {"hs_note_body": "Called"}})
    assert "notes" in hs.admin.state()["objects"]
