"""Every batch route that writes is all or nothing: one bad input among good ones, and the
portal — records, associations and schema — is exactly as before. (A v4 association to a
record that does not exist, or an unknown type, is HubSpot's partial success, a 207, so
the v4 routes' bad input is one of the wrong shape.)"""

from __future__ import annotations

import httpx
import pytest

GOOD_EMAIL = {"properties": {"email": "good@mill.fr"}}


def _call(hs, method: str, path: str, body: object) -> httpx.Response:
    return httpx.request(
        method, hs.base_url + path, json=body, headers={"Authorization": f"Bearer {hs.token}"}
    )


def _portal(hs) -> tuple:
    """Records (with links) and the contact schema, to compare before and after."""
    props = _call(hs, "GET", "/crm/v3/properties/contacts", None).json()["results"]
    return hs.admin.state()["objects"], sorted(p["name"] for p in props)


@pytest.fixture
def two(hs) -> tuple[str, str, str]:
    """A contact, a deal and a company to point batches at."""
    contact = _call(hs, "POST", "/crm/v3/objects/contacts", {"properties": {"email": "a@m.fr"}})
    deal = _call(
        hs,
        "POST",
        "/crm/v3/objects/deals",
        {"properties": {"dealname": "D", "dealstage": "closedwon"}},
    )
    company = _call(hs, "POST", "/crm/v3/objects/companies", {"properties": {"name": "C"}})
    return contact.json()["id"], deal.json()["id"], company.json()["id"]


def _cases(contact: str, deal: str, company: str) -> list[tuple[str, str, object]]:
    v4 = "/crm/v4/associations/deals/contacts"
    link = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]
    new_property = {"name": "moulin_x", "label": "X", "type": "string", "fieldType": "text",
                    "groupName": "contactinformation"}  # fmt: skip
    return [
        ("POST", "/crm/v3/objects/contacts/batch/create",
         {"inputs": [GOOD_EMAIL, {"properties": {"email": "not-an-email"}}]}),
        ("POST", "/crm/v3/objects/contacts/batch/update",
         {"inputs": [{"id": contact, "properties": {"firstname": "Ann"}},
                     {"id": contact, "properties": {"nope_property": "x"}}]}),
        ("POST", "/crm/v3/objects/contacts/batch/upsert",
         {"inputs": [{"idProperty": "email", "id": "new@mill.fr", "properties": {}},
                     {"idProperty": "email", "id": "bad", "properties": {}}]}),
        ("POST", "/crm/v3/objects/deals/batch/archive",
         {"inputs": [{"id": deal}, {"id": [1]}]}),
        ("POST", "/crm/v3/properties/contacts/batch/create",
         {"inputs": [new_property, {**new_property, "name": "moulin_y", "type": "nonsense"}]}),
        ("POST", "/crm/v3/properties/contacts/batch/archive",
         {"inputs": [{"name": "firstname"}, {"name": "no_such_property"}]}),
        ("POST", f"{v4}/batch/create",
         {"inputs": [{"from": {"id": deal}, "to": {"id": contact}, "types": link},
                     {"from": {"id": deal}, "to": {"id": contact}, "types": "x"}]}),
        ("POST", f"{v4}/batch/associate/default",
         {"inputs": [{"from": {"id": deal}, "to": {"id": contact}},
                     {"from": {"id": deal}, "to": ["x"]}]}),
        ("POST", "/crm/v4/associations/deals/companies/batch/archive",
         {"inputs": [{"from": {"id": deal}, "to": [{"id": company}]},
                     {"from": {"id": deal}, "to": "x"}]}),
    ]  # fmt: skip


@pytest.mark.parametrize("case", range(9))
def test_one_bad_input_among_good_ones_changes_nothing(hs, two, case: int) -> None:
    contact, deal, company = two
    if case == 8:  # something to unlink, so a partial archive would show
        _call(hs, "PUT", f"/crm/v4/objects/deals/{deal}/associations/default/companies/{company}",
              None)  # fmt: skip
    method, path, body = _cases(contact, deal, company)[case]
    before = _portal(hs)
    answer = _call(hs, method, path, body)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["category"] in ("VALIDATION_ERROR", "OBJECT_NOT_FOUND"), answer.text
    assert _portal(hs) == before, f"{path} applied part of a refused batch"
