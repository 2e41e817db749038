"""Schema edits a client may make: groups changed or archived, properties archived in a
batch, pipelines changed or deleted, stages added — each all or nothing."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def http(hs):
    auth = {"Authorization": f"Bearer {hs.token}"}
    with httpx.Client(base_url=hs.base_url, headers=auth) as client:
        yield client


def _property(http: httpx.Client, name: str, group: str = "contactinformation") -> None:
    made = http.post(
        "/crm/v3/properties/contacts",
        json={
            "name": name,
            "label": name,
            "type": "string",
            "fieldType": "text",
            "groupName": group,
        },
    )
    assert made.status_code == 201, made.text


def test_a_group_is_renamed_and_archived_once_empty(http) -> None:
    assert http.post(
        "/crm/v3/properties/contacts/groups", json={"name": "moulin", "label": "M"}
    ).is_success
    renamed = http.patch("/crm/v3/properties/contacts/groups/moulin", json={"label": "Le Moulin"})
    assert renamed.status_code == 200 and renamed.json()["label"] == "Le Moulin"
    assert http.get("/crm/v3/properties/contacts/groups/moulin").json()["label"] == "Le Moulin"
    assert (
        http.patch("/crm/v3/properties/contacts/groups/moulin", json={"label": 1}).status_code
        == 400
    )
    _property(http, "moulin_x", "moulin")
    refused = http.delete("/crm/v3/properties/contacts/groups/moulin")
    assert refused.status_code == 400 and "moulin_x" in refused.json()["message"]
    assert http.delete("/crm/v3/properties/contacts/moulin_x").status_code == 204
    assert http.delete("/crm/v3/properties/contacts/groups/moulin").status_code == 204
    assert http.get("/crm/v3/properties/contacts/groups/moulin").status_code == 404


def test_properties_are_archived_in_a_batch_all_or_nothing(http) -> None:
    _property(http, "moulin_a")
    _property(http, "moulin_b")
    batch = "/crm/v3/properties/contacts/batch/archive"
    # One name HubSpot defines: nothing is archived.
    refused = http.post(batch, json={"inputs": [{"name": "moulin_a"}, {"name": "email"}]})
    assert refused.status_code == 400
    assert http.get("/crm/v3/properties/contacts/moulin_a").status_code == 200
    assert (
        http.post(batch, json={"inputs": [{"name": "moulin_a"}, {"name": "nope"}]}).status_code
        == 404
    )
    assert http.post(batch, json={"inputs": "x"}).status_code == 400
    assert (
        http.post(batch, json={"inputs": [{"name": "moulin_a"}, {"name": "moulin_b"}]}).status_code
        == 204
    )
    for name in ("moulin_a", "moulin_b"):
        assert http.get(f"/crm/v3/properties/contacts/{name}").status_code == 404


def test_a_pipeline_is_changed_given_a_stage_and_deleted_once_empty(http) -> None:
    made = http.post(
        "/crm/v3/pipelines/deals",
        json={"label": "Commandes", "displayOrder": 3,
              "stages": [{"label": "Payée", "displayOrder": 0, "metadata": {"probability": "1.0"}}]},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    pid = made.json()["id"]
    changed = http.patch(f"/crm/v3/pipelines/deals/{pid}", json={"label": "Commandes du Moulin"})
    assert changed.status_code == 200 and changed.json()["label"] == "Commandes du Moulin"
    taken = http.patch(f"/crm/v3/pipelines/deals/{pid}", json={"label": "Sales Pipeline"})
    assert taken.status_code == 409
    stage = http.post(
        f"/crm/v3/pipelines/deals/{pid}/stages",
        json={"label": "Remboursée", "metadata": {"probability": "0.0"}},
    )
    assert stage.status_code == 201, stage.text
    no_probability = http.post(f"/crm/v3/pipelines/deals/{pid}/stages", json={"label": "x"})
    assert no_probability.status_code == 400
    stages = http.get(f"/crm/v3/pipelines/deals/{pid}/stages").json()["results"]
    assert [s["label"] for s in stages] == ["Payée", "Remboursée"]
    deal = http.post(
        "/crm/v3/objects/deals",
        json={"properties": {"dealname": "M-1", "pipeline": pid, "dealstage": stage.json()["id"]}},
    )
    assert deal.status_code == 201, deal.text
    in_use = http.delete(f"/crm/v3/pipelines/deals/{pid}")
    assert in_use.status_code == 409 and "holds 1 deals" in in_use.json()["message"]
    assert http.delete(f"/crm/v3/objects/deals/{deal.json()['id']}").status_code == 204
    assert http.delete(f"/crm/v3/pipelines/deals/{pid}").status_code == 204
    assert http.get(f"/crm/v3/pipelines/deals/{pid}").status_code == 404
