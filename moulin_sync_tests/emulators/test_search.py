"""Search: operators, sort, limit, paging and the 10,000 cap, indexing lag, its rate limit."""

from __future__ import annotations

import time

import pytest
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInputForCreate,
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectInput,
)
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactCreate
from hubspot.crm.properties import PropertyCreate

from .helpers import api_error

PEOPLE = [
    {"email": "ann@mill.fr", "firstname": "Ann", "city": "Lyon", "age": "31", "born": "1993-04-01"},
    {
        "email": "bob@mill.fr",
        "firstname": "Bob",
        "city": "Paris",
        "age": "45",
        "born": "1979-12-24",
    },
    {"email": "cyd@other.com", "firstname": "Cyd", "city": "Lyon", "age": "27"},
    {"email": "dee@other.com", "firstname": "Dee Dee", "age": "60", "born": "1964-01-01"},
]


@pytest.fixture
def people(client) -> dict[str, str]:
    core = client.crm.properties.core_api
    for name, ptype, field in (("age", "number", "number"), ("born", "date", "date")):
        core.create("contacts", PropertyCreate(name=name, label=name, type=ptype, field_type=field,
                                               group_name="contactinformation"))  # fmt: skip
    out = client.crm.contacts.batch_api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[
                SimplePublicObjectBatchInputForCreate(properties=p, associations=[]) for p in PEOPLE
            ]
        )
    )
    return {r.properties["firstname"]: r.id for r in out.results}


def _search(client, *groups: list[dict], **kw):
    req = PublicObjectSearchRequest(
        filter_groups=[FilterGroup(filters=[Filter(**f) for f in g]) for g in groups],
        properties=kw.pop("properties", ["firstname", "city", "age"]),
        limit=kw.pop("limit", 100), after=kw.pop("after", None), sorts=kw.pop("sorts", []), **kw,
    )  # fmt: skip
    return client.crm.contacts.search_api.do_search(public_object_search_request=req)


def _names(res) -> list[str]:
    return sorted(r.properties["firstname"] for r in res.results)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"property_name": "city", "operator": "EQ", "value": "lyon"}, ["Ann", "Cyd"]),
        ({"property_name": "city", "operator": "NEQ", "value": "Lyon"}, ["Bob", "Dee Dee"]),
        ({"property_name": "age", "operator": "LT", "value": "31"}, ["Cyd"]),
        ({"property_name": "age", "operator": "LTE", "value": "31"}, ["Ann", "Cyd"]),
        ({"property_name": "age", "operator": "GT", "value": "45"}, ["Dee Dee"]),
        ({"property_name": "age", "operator": "GTE", "value": "45"}, ["Bob", "Dee Dee"]),
        (
            {"property_name": "age", "operator": "BETWEEN", "value": "30", "high_value": "45"},
            ["Ann", "Bob"],
        ),
        (
            {"property_name": "city", "operator": "IN", "values": ["paris", "lyon"]},
            ["Ann", "Bob", "Cyd"],
        ),
        ({"property_name": "city", "operator": "NOT_IN", "values": ["lyon"]}, ["Bob", "Dee Dee"]),
        ({"property_name": "city", "operator": "HAS_PROPERTY"}, ["Ann", "Bob", "Cyd"]),
        ({"property_name": "city", "operator": "NOT_HAS_PROPERTY"}, ["Dee Dee"]),
        ({"property_name": "firstname", "operator": "CONTAINS_TOKEN", "value": "dee"}, ["Dee Dee"]),
        (
            {"property_name": "email", "operator": "CONTAINS_TOKEN", "value": "*@mill.fr"},
            ["Ann", "Bob"],
        ),
        (
            {"property_name": "email", "operator": "NOT_CONTAINS_TOKEN", "value": "*@mill.fr"},
            ["Cyd", "Dee Dee"],
        ),
        # dates compare as epoch ms, given as ISO or ms
        ({"property_name": "born", "operator": "LT", "value": "1980-01-01"}, ["Bob", "Dee Dee"]),
        ({"property_name": "born", "operator": "GTE", "value": "733622400000"}, ["Ann"]),
    ],
)
def test_operators(client, people, flt, expected) -> None:
    assert _names(_search(client, [flt])) == expected


def test_groups_are_or_filters_are_and(client, people) -> None:
    res = _search(
        client,
        [{"property_name": "city", "operator": "EQ", "value": "Lyon"},
         {"property_name": "age", "operator": "GT", "value": "30"}],
        [{"property_name": "firstname", "operator": "EQ", "value": "Bob"}],
    )  # fmt: skip
    assert _names(res) == ["Ann", "Bob"]
    assert res.total == 2


def test_sort_limit_and_paging(client, people) -> None:
    sort = [{"propertyName": "age", "direction": "DESCENDING"}]
    page1 = _search(client, sorts=sort, limit=3)
    assert [r.properties["firstname"] for r in page1.results] == ["Dee Dee", "Bob", "Ann"]
    assert page1.total == 4
    page2 = _search(client, sorts=sort, limit=3, after=page1.paging.next.after)
    assert [r.properties["firstname"] for r in page2.results] == ["Cyd"]
    assert page2.paging is None
    status, _ = api_error(_search, client, sorts=sort + sort)
    assert status == 400


def test_limit_and_result_cap(client, people) -> None:
    assert len(_search(client, limit=200).results) == 4
    status, body = api_error(_search, client, limit=201)
    assert status == 400 and body["category"] == "VALIDATION_ERROR"
    assert _search(client, after="9999", limit=1).results == []
    status, _ = api_error(_search, client, after="10000", limit=1)
    assert status == 400
    status, _ = api_error(
        _search, client, *[[{"property_name": "age", "operator": "HAS_PROPERTY"}]] * 6
    )
    assert status == 400


def test_archived_records_never_appear(client, people) -> None:
    client.crm.contacts.basic_api.archive(people["Ann"])
    assert "Ann" not in _names(_search(client))


def test_indexing_lag(client, hs) -> None:
    hs.admin.set_limits(search_lag=0.5)
    api = client.crm.contacts.basic_api
    flt = [{"property_name": "email", "operator": "EQ", "value": "lag@x.io"}]
    c = api.create(ContactCreate(properties={"email": "lag@x.io", "firstname": "Old"}))
    assert _search(client, flt).total == 0  # not indexed yet
    time.sleep(0.6)
    assert _names(_search(client, flt)) == ["Old"]
    api.update(c.id, SimplePublicObjectInput(properties={"firstname": "New"}))
    assert _names(_search(client, flt)) == ["Old"]  # the previous version during the lag
    time.sleep(0.6)
    assert _names(_search(client, flt)) == ["New"]
    api.archive(c.id)
    assert _search(client, flt).total == 1
    time.sleep(0.6)
    assert _search(client, flt).total == 0


def test_search_rate_limit_is_its_own(client, hs) -> None:
    hs.admin.set_limits(search_per_s=5, per_10s=100)
    statuses = []
    for _ in range(6):
        try:
            _search(client)
            statuses.append(200)
        except Exception as e:
            statuses.append(e.status)
            body = e.body
    assert statuses == [200] * 5 + [429]
    assert '"policyName":"SECONDLY"' in body
    # the 10-second budget is untouched by searches
    _, _, headers = client.crm.contacts.basic_api.get_page_with_http_info()
    assert headers["X-HubSpot-RateLimit-Remaining"] == "99"
    time.sleep(1.05)
    assert _search(client).total == 0
