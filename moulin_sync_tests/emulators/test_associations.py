"""Inline and v4 associations: default type ids both ways, primary company, `types: []`."""

from __future__ import annotations

import httpx
from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiArchive,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicAssociationMultiArchive,
    PublicAssociationMultiPost,
    PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.associations.v4 import PublicObjectId as V4Id
from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyCreate
from hubspot.crm.contacts import (
    AssociationSpec as ContactSpec,
)
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInputForCreate,
    PublicAssociationsForObject,
    PublicObjectId,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.deals import AssociationSpec as DealSpec
from hubspot.crm.deals import PublicAssociationsForObject as DealAssoc
from hubspot.crm.deals import PublicObjectId as DealObjectId
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealCreate

from .helpers import api_error


def _company(client, name: str) -> str:
    return client.crm.companies.basic_api.create(CompanyCreate(properties={"name": name})).id


def _contact(client, email: str, assoc=None) -> str:
    return client.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"email": email}, associations=assoc or [])
    ).id


def _to_company(cid: str, *type_ids: int) -> PublicAssociationsForObject:
    return PublicAssociationsForObject(
        to=PublicObjectId(id=cid),
        types=[
            ContactSpec(association_category="HUBSPOT_DEFINED", association_type_id=t)
            for t in type_ids
        ],
    )


def _links(hs, t: str, rid: str) -> dict:
    rec = next(r for r in hs.admin.state()["objects"][t] if r["id"] == rid)
    return rec["associations"]


def test_inline_association_on_create_stores_both_directions(client, hs) -> None:
    co = _company(client, "Moulin SA")
    ct = _contact(client, "a@x.io", [_to_company(co, 1)])
    assert _links(hs, "contacts", ct) == {"companies": [{"id": co, "types": [1, 279]}]}
    assert _links(hs, "companies", co) == {"contacts": [{"id": ct, "types": [2, 280]}]}
    got = client.crm.contacts.basic_api.get_by_id(ct, associations=["companies"])
    types = sorted(r.type for r in got.associations["companies"].results)
    assert types == ["contact_to_company", "contact_to_company_unlabeled"]
    assert {r.id for r in got.associations["companies"].results} == {co}


def test_inline_association_in_batch_create_and_deal_types(client, hs) -> None:
    co = _company(client, "C")
    ct = _contact(client, "d@x.io")
    deal = client.crm.deals.basic_api.create(
        DealCreate(
            properties={"dealname": "D", "dealstage": "closedwon"},
            associations=[
                DealAssoc(to=DealObjectId(id=co),
                          types=[DealSpec(association_category="HUBSPOT_DEFINED", association_type_id=5)]),
                DealAssoc(to=DealObjectId(id=ct),
                          types=[DealSpec(association_category="HUBSPOT_DEFINED", association_type_id=3)]),
            ],
        )
    )  # fmt: skip
    links = _links(hs, "deals", deal.id)
    assert links["companies"] == [{"id": co, "types": [5, 341]}]
    assert links["contacts"] == [{"id": ct, "types": [3]}]
    assert _links(hs, "contacts", ct)["deals"] == [{"id": deal.id, "types": [4]}]
    assert _links(hs, "companies", co)["deals"] == [{"id": deal.id, "types": [6, 342]}]
    batch = client.crm.contacts.batch_api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[SimplePublicObjectBatchInputForCreate(properties={"email": "b@x.io"},
                                                          associations=[_to_company(co, 279)])]
        )
    )  # fmt: skip
    assert _links(hs, "contacts", batch.results[0].id) == {
        "companies": [{"id": co, "types": [279]}]
    }


def test_types_empty_is_accepted_and_links_nothing(client, hs) -> None:
    co = _company(client, "C")
    ct = _contact(client, "e@x.io", [_to_company(co)])
    assert _links(hs, "contacts", ct) == {}
    r = client.crm.associations.v4.batch_api.create_with_http_info(
        "contacts", "companies",
        BatchInputPublicAssociationMultiPost(
            inputs=[PublicAssociationMultiPost(_from=V4Id(id=ct), to=V4Id(id=co), types=[])]
        ),
    )  # fmt: skip
    assert r[1] == 201
    assert _links(hs, "contacts", ct) == {}


def test_inline_association_to_missing_record_or_bad_type_is_400(client, hs) -> None:
    status, _ = api_error(_contact, client, "f@x.io", [_to_company("424242", 279)])
    assert status == 400
    co = _company(client, "C")
    status, _ = api_error(_contact, client, "f@x.io", [_to_company(co, 341)])  # a deal type
    assert status == 400
    assert hs.admin.state()["objects"]["contacts"] == []


def test_one_primary_company_per_record(client, hs) -> None:
    a, b = _company(client, "A"), _company(client, "B")
    ct = _contact(client, "p@x.io", [_to_company(a, 1)])
    v4 = client.crm.associations.v4.batch_api
    v4.create(
        "contacts", "companies",
        BatchInputPublicAssociationMultiPost(inputs=[PublicAssociationMultiPost(
            _from=V4Id(id=ct), to=V4Id(id=b),
            types=[AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)])]),
    )  # fmt: skip
    assert _links(hs, "contacts", ct) == {
        "companies": [{"id": a, "types": [279]}, {"id": b, "types": [1, 279]}]
    }
    assert _links(hs, "companies", a) == {"contacts": [{"id": ct, "types": [280]}]}


def test_v4_batch_create_read_archive(client, hs) -> None:
    co = _company(client, "C")
    c1, c2 = _contact(client, "1@x.io"), _contact(client, "2@x.io")
    v4 = client.crm.associations.v4.batch_api
    spec = [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=279)]
    created, status, _ = v4.create_with_http_info(
        "contacts", "companies",
        BatchInputPublicAssociationMultiPost(inputs=[
            PublicAssociationMultiPost(_from=V4Id(id=c1), to=V4Id(id=co), types=spec),
            PublicAssociationMultiPost(_from=V4Id(id=c2), to=V4Id(id="999999"), types=spec)]),
    )  # fmt: skip
    assert status == 207
    assert created.results[0].from_object_id == c1 and created.results[0].to_object_id == co
    assert created.errors[0].context["toObjectId"] == ["999999"]
    read, status, _ = v4.get_page_with_http_info(
        "companies", "contacts",
        BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[PublicFetchAssociationsBatchRequest(id=co)]),
    )  # fmt: skip
    assert status == 200
    to = read.results[0].to
    assert [t.to_object_id for t in to] == [c1]
    assert [(s.type_id, s.category) for s in to[0].association_types] == [(280, "HUBSPOT_DEFINED")]
    read, status, _ = v4.get_page_with_http_info(
        "contacts", "companies",
        BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[PublicFetchAssociationsBatchRequest(id=c1), PublicFetchAssociationsBatchRequest(id=c2)]),
    )  # fmt: skip
    assert status == 207 and read.errors[0].context["fromObjectId"] == [c2]
    _, status, _ = v4.archive_with_http_info(
        "contacts", "companies",
        BatchInputPublicAssociationMultiArchive(
            inputs=[PublicAssociationMultiArchive(_from=V4Id(id=c1), to=[V4Id(id=co)])]),
    )  # fmt: skip
    assert status == 204
    assert _links(hs, "contacts", c1) == {} and _links(hs, "companies", co) == {}


def test_v4_default_association_put_and_labels(client, hs) -> None:
    co = _company(client, "C")
    ct = _contact(client, "z@x.io")
    basic = client.crm.associations.v4.basic_api
    out = basic.create_default("contacts", ct, "companies", co)
    assert out.results[0].association_spec.association_type_id == 279
    labelled = basic.create(
        "companies", co, "contacts", ct,
        [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=2)],
    )  # fmt: skip
    assert labelled.labels == ["Primary"]
    assert _links(hs, "contacts", ct) == {"companies": [{"id": co, "types": [1, 279]}]}
    page = basic.get_page("contacts", ct, "companies")
    labels = {s.type_id: s.label for s in page.results[0].association_types}
    assert labels == {1: "Primary", 279: None}
    basic.archive("contacts", ct, "companies", co)
    assert _links(hs, "contacts", ct) == {}


def test_get_with_associations_raw_shape(client, hs) -> None:
    co = _company(client, "C")
    ct = _contact(client, "raw@x.io", [_to_company(co, 279)])
    r = httpx.get(
        f"{hs.base_url}/crm/v3/objects/contacts/{ct}?associations=companies",
        headers={"Authorization": f"Bearer {hs.token}"},
    )
    assert r.json()["associations"] == {
        "companies": {"results": [{"id": co, "type": "contact_to_company_unlabeled"}]}
    }


def _linked_companies(hs, contact_id: str) -> set[str]:
    auth = {"Authorization": f"Bearer {hs.token}"}
    url = f"{hs.base_url}/crm/v4/objects/contacts/{contact_id}/associations/companies"
    return {str(r["toObjectId"]) for r in httpx.get(url, headers=auth).json()["results"]}


def test_a_v4_batch_with_one_malformed_input_changes_nothing(client, hs) -> None:
    """HubSpot's requests are atomic: one malformed input among good ones answers 400 in
    HubSpot's JSON (never a 500) and no good input is applied."""
    auth = {"Authorization": f"Bearer {hs.token}"}
    contact, linked = _contact(client, "a@x.io"), _contact(client, "b@x.io")
    company = _company(client, "Le Fournil")
    base = f"{hs.base_url}/crm/v4/associations/contacts/companies/batch"
    good = {"from": {"id": linked}, "to": {"id": company}}
    assert httpx.post(f"{base}/associate/default", headers=auth, json={"inputs": [good]}).is_success
    spec = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]
    pair = {"from": {"id": contact}, "to": {"id": company}}
    requests = {
        "associate/default": [pair, {"from": "x", "to": {"id": company}}],
        "create": [{**pair, "types": spec}, {**pair, "types": "x"}],
        "create ": [{**pair, "types": spec}, {**pair, "to": "x", "types": spec}],
        "archive": [{"from": {"id": linked}, "to": [{"id": company}]}, {"from": {"id": linked}, "to": "x"}],
    }  # fmt: skip
    for route, inputs in requests.items():
        answer = httpx.post(f"{base}/{route.strip()}", headers=auth, json={"inputs": inputs})
        assert answer.status_code == 400, (route, answer.text)
        body = answer.json()
        assert body["category"] == "VALIDATION_ERROR" and body["correlationId"], body
        assert "inputs[1]" in body["message"] and "'" not in body["message"], body
        assert _linked_companies(hs, contact) == set(), f"{route}: a good input was applied"
        assert _linked_companies(hs, linked) == {company}, f"{route}: a good input was applied"
