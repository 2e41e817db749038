"""GDPR delete and archive: what leaves HubSpot, and what a later create gets."""

from __future__ import annotations

import httpx
from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyCreate
from hubspot.crm.contacts import (
    AssociationSpec,
    BatchReadInputSimplePublicObjectId,
    PublicAssociationsForObject,
    PublicGdprDeleteInput,
    PublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectId,
)
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactCreate
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealCreate

from .helpers import api_error

PRIMARY_COMPANY = [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)]
DEAL_TO_CONTACT = [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=3)]


def _person_with_company_and_deal(client) -> tuple[str, str, str]:
    company = client.crm.companies.basic_api.create(CompanyCreate(properties={"name": "C"})).id
    contact = client.crm.contacts.basic_api.create(ContactCreate(
        properties={"email": "Ana@Example.org", "firstname": "Ana"},
        associations=[PublicAssociationsForObject(to=PublicObjectId(id=company), types=PRIMARY_COMPANY)],
    )).id  # fmt: skip
    deal = client.crm.deals.basic_api.create(DealCreate(
        properties={"dealname": "M-1 — Ana", "dealstage": "closedwon"},
        associations=[PublicAssociationsForObject(to=PublicObjectId(id=contact), types=DEAL_TO_CONTACT)],
    )).id  # fmt: skip
    return company, contact, deal


def _links(hs, object_type: str, record_id: str) -> dict:
    rows = hs.admin.state()["objects"][object_type]
    return next(r for r in rows if r["id"] == record_id)["associations"]


def test_gdpr_delete_removes_the_contact_for_good(client, hs) -> None:
    company, contact, deal = _person_with_company_and_deal(client)
    contacts = client.crm.contacts
    contacts.basic_api.purge(PublicGdprDeleteInput(object_id=contact))

    assert api_error(contacts.basic_api.get_by_id, contact)[0] == 404
    assert api_error(contacts.basic_api.get_by_id, contact, archived=True)[0] == 404
    read = contacts.batch_api.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[SimplePublicObjectId(id="ana@example.org")], properties=["email"],
            id_property="email",
        )
    )  # fmt: skip
    assert read.results == []
    found = contacts.search_api.do_search(
        PublicObjectSearchRequest(query="ana", properties=["email"], limit=10)
    )
    assert found.total == 0
    state = hs.admin.state()
    assert [r["id"] for r in state["objects"]["contacts"]] == []
    assert state["gdprBlocklist"] == ["ana@example.org"]
    # No association survives on the company or the deal, which stay.
    assert _links(hs, "companies", company) == {}
    assert _links(hs, "deals", deal) == {}
    # Twice: the id is unknown now.
    status, body = api_error(contacts.basic_api.purge, PublicGdprDeleteInput(object_id=contact))
    assert status == 404 and body["category"] == "OBJECT_NOT_FOUND"
    # The API may add the person again: a new contact that shares nothing with the old.
    again = contacts.basic_api.create(ContactCreate(properties={"email": "ana@example.org"}))
    assert again.id != contact
    assert again.properties.get("firstname") is None


def test_gdpr_delete_by_email_and_of_an_archived_contact(client, hs) -> None:
    contacts = client.crm.contacts.basic_api
    # An email HubSpot does not hold is blocklisted all the same.
    contacts.purge(PublicGdprDeleteInput(object_id="nobody@example.org", id_property="email"))
    assert hs.admin.state()["gdprBlocklist"] == ["nobody@example.org"]
    made = contacts.create(ContactCreate(properties={"email": "bo@example.org"})).id
    contacts.archive(made)
    contacts.purge(PublicGdprDeleteInput(object_id=made))
    assert api_error(contacts.get_by_id, made, archived=True)[0] == 404
    assert hs.admin.state()["gdprBlocklist"] == ["bo@example.org", "nobody@example.org"]
    # Only contacts have a GDPR delete.
    deal = client.crm.deals.basic_api.create(
        DealCreate(properties={"dealname": "D", "dealstage": "closedwon"})
    ).id
    response = httpx.post(
        hs.base_url + "/crm/v3/objects/deals/gdpr-delete",
        headers={"Authorization": f"Bearer {hs.token}"},
        json={"objectId": deal},
    )
    assert response.status_code == 400


def test_archive_takes_the_associations_with_it(client, hs) -> None:
    company, contact, deal = _person_with_company_and_deal(client)
    client.crm.contacts.basic_api.archive(contact)
    assert _links(hs, "companies", company) == {}
    assert _links(hs, "deals", deal) == {}
    archived = client.crm.contacts.basic_api.get_by_id(contact, archived=True)
    assert archived.archived is True
