"""Search bodies as other clients send them: a top-level `filters` list is one AND group
(beside any `filterGroups`, OR-ed), and keys HubSpot does not know are ignored."""

from __future__ import annotations

import httpx
import pytest

from moulin_sync.testing.hubspot_emulator import EmulatorHandle

SEARCH = "/crm/v3/objects/deals/search"


@pytest.fixture
def http(hs: EmulatorHandle) -> httpx.Client:
    http = httpx.Client(base_url=hs.base_url, headers=hs.auth, timeout=30)
    inputs = [{"properties": {"dealname": f"D{n}", "dealstage": "closedwon", "amount": str(n)}}
              for n in range(10)]  # fmt: skip
    assert http.post("/crm/v3/objects/deals/batch/create", json={"inputs": inputs}).is_success
    return http


def _amounts(answer: httpx.Response) -> list[int]:
    assert answer.status_code == 200, answer.text
    return sorted(int(r["properties"]["amount"]) for r in answer.json()["results"])


def _between(low: int, high: int) -> list[dict]:
    return [
        {"propertyName": "amount", "operator": "GTE", "value": str(low)},
        {"propertyName": "amount", "operator": "LTE", "value": str(high)},
    ]


def test_top_level_filters_are_one_and_group(http) -> None:
    body = {"filters": _between(3, 5), "sorts": [{"propertyName": "hs_object_id",
            "direction": "ASCENDING"}], "properties": ["amount"], "limit": 200}  # fmt: skip
    answer = http.post(SEARCH, json=body)
    assert _amounts(answer) == [3, 4, 5]
    assert answer.json()["total"] == 3


def test_top_level_filters_are_or_ed_with_filter_groups(http) -> None:
    body = {"filterGroups": [{"filters": _between(0, 1)}], "filters": _between(8, 9),
            "properties": ["amount"], "limit": 200}  # fmt: skip
    assert _amounts(http.post(SEARCH, json=body)) == [0, 1, 8, 9]


def test_top_level_filters_are_checked_as_filters_are(http) -> None:
    wrong = http.post(SEARCH, json={"filters": {"propertyName": "amount"}})
    assert wrong.status_code == 400 and "filters must be a list" in wrong.json()["message"]
    bad_operator = http.post(
        SEARCH, json={"filters": [{"propertyName": "amount", "operator": "X"}]}
    )
    assert bad_operator.status_code == 400
    too_many = [{"propertyName": "amount", "operator": "HAS_PROPERTY"}] * 7
    assert http.post(SEARCH, json={"filters": too_many}).status_code == 400


def test_keys_hubspot_does_not_know_are_ignored(http) -> None:
    body = {"filters": _between(2, 2), "properties": ["amount"], "offset": 5, "foo": {"x": 1}}
    assert _amounts(http.post(SEARCH, json=body)) == [2]
