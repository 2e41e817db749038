"""Admin bulk load: records stored as a batch create stores them, all or nothing, and
searchable through the indexes right away."""

from __future__ import annotations

import httpx
import pytest

from moulin_sync.testing.hubspot_emulator import EmulatorHandle

DAY = 86_400_000
BASE = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def _post(hs: EmulatorHandle, body: object) -> httpx.Response:
    return httpx.post(
        f"{hs.base_url}/_emulator/bulk",
        json=body,
        headers={"Authorization": f"Bearer {hs.token}"},
        timeout=60,
    )


def _search(client, body: dict) -> dict:
    return client.api_request(
        {"method": "POST", "path": "/crm/v3/objects/deals/search", "body": body}
    ).json()


def test_bulk_loaded_deals_are_stored_normalised_and_searchable(hs, client) -> None:
    deals = [
        {
            "dealname": f"Commande {n}",
            "amount": str(n),
            "closedate": str(BASE + n * DAY),
            "dealstage": "closedwon",
        }
        for n in range(500)
    ]
    made = hs.admin.bulk_load("deals", deals)
    assert made["created"] == 500 and int(made["lastId"]) - int(made["firstId"]) == 499

    stored = client.crm.deals.basic_api.get_by_id(
        made["firstId"], properties=["closedate", "pipeline"]
    )
    assert stored.properties["closedate"] == "2026-01-01T00:00:00.000Z"  # as a create stores it
    assert stored.properties["pipeline"] == "default"  # the stage's pipeline filled in

    window = {"propertyName": "closedate", "operator": "BETWEEN",
              "value": str(BASE + 100 * DAY), "highValue": str(BASE + 199 * DAY)}  # fmt: skip
    first = _search(client, {"filterGroups": [{"filters": [window]}], "limit": 200,
                             "sorts": [{"propertyName": "closedate", "direction": "DESCENDING"}],
                             "properties": ["amount"]})  # fmt: skip
    assert first["total"] == 100
    assert [r["properties"]["amount"] for r in first["results"][:3]] == ["199", "198", "197"]

    # A write after the index was built moves the deal within it.
    client.crm.deals.basic_api.update(
        first["results"][-1]["id"],
        {"properties": {"closedate": str(BASE + 300 * DAY)}},
    )
    again = _search(client, {"filterGroups": [{"filters": [window]}], "limit": 200})
    assert again["total"] == 99


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"objectType": "deals", "records": [{"properties": {"nope": "1"}}]}, "nope"),
        ({"objectType": "deals", "records": [{"properties": {"amount": "ten"}}]}, "amount"),
        ({"objectType": "deals", "records": [{"properties": {"amount": 10}}]}, None),
        ({"objectType": "deals", "records": []}, "records"),
        ({"objectType": "deals", "records": "x"}, "records"),
        ({"objectType": "widgets", "records": [{"properties": {}}]}, "widgets"),
        ({"objectType": 3, "records": [{"properties": {}}]}, "objectType"),
        ({"objectType": "deals", "records": [1]}, "records[0]"),
        (["x"], None),
    ],
)
def test_a_bad_bulk_load_is_refused_whole(hs, body, words) -> None:
    answer = _post(hs, body)
    if body == {"objectType": "deals", "records": [{"properties": {"amount": 10}}]}:
        assert answer.status_code == 201  # a number is taken as its string, as creates do
        return
    assert answer.status_code == 400, answer.text
    assert answer.json()["category"] == "VALIDATION_ERROR"
    if words:
        assert words in answer.json()["message"]
    assert hs.admin.state()["objects"]["deals"] == []


def test_a_bulk_load_with_one_repeated_unique_value_stores_nothing(hs) -> None:
    hs.admin.bulk_load("contacts", [{"email": "ann@mill.fr"}])
    answer = _post(
        hs,
        {"objectType": "contacts", "records": [
            {"properties": {"email": "bob@mill.fr"}}, {"properties": {"email": "ANN@mill.fr"}},
        ]},
    )  # fmt: skip
    assert answer.status_code == 400 and "ann@mill.fr" in answer.json()["message"]
    emails = [c["properties"]["email"] for c in hs.admin.state()["objects"]["contacts"]]
    assert emails == ["ann@mill.fr"]


def test_indexes_built_ahead_serve_the_same_answers_and_follow_later_writes(hs, client) -> None:
    deals = [
        {"dealname": f"C{n}", "closedate": str(BASE + n * DAY), "dealstage": "closedwon"}
        for n in range(300)
    ]
    hs.admin.bulk_load("deals", deals)
    built = hs.admin.build_indexes("deals", ["closedate"])
    assert built["built"] == ["closedate"] and built["ordered"] == {"closedate": 300}
    # The index holds every deal in close-date order (built, not left for the first search).
    window = {
        "filterGroups": [{"filters": [{"propertyName": "closedate", "operator": "BETWEEN",
                                        "value": str(BASE + 10 * DAY),
                                        "highValue": str(BASE + 19 * DAY)}]}],
        "sorts": [{"propertyName": "closedate", "direction": "DESCENDING"}],
        "properties": ["dealname"], "limit": 200,
    }  # fmt: skip
    answer = _search(client, window)
    assert [r["properties"]["dealname"] for r in answer["results"]] == [
        f"C{n}" for n in range(19, 9, -1)
    ]
    # A write after the build is found through the index.
    client.crm.deals.basic_api.create(
        {
            "properties": {
                "dealname": "late",
                "dealstage": "closedwon",
                "closedate": str(BASE + 15 * DAY + 1),
            }
        }
    )
    names = [r["properties"]["dealname"] for r in _search(client, window)["results"]]
    assert names.count("late") == 1 and len(names) == 11


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"objectType": "deals", "properties": ["no_such_property"]}, "no_such_property"),
        ({"objectType": "deals", "properties": "closedate"}, "properties must be a list"),
        ({"properties": ["closedate"]}, "objectType"),
    ],
)
def test_a_bad_index_request_is_refused(hs, body, words) -> None:
    answer = httpx.post(
        f"{hs.base_url}/_emulator/indexes", json=body,
        headers={"Authorization": f"Bearer {hs.token}"}, timeout=60,
    )  # fmt: skip
    assert answer.status_code == 400 and words in answer.json()["message"]
