"""HubSpot's date-versioned CRM paths answer as v3/v4 do, on the same records."""

from __future__ import annotations

import httpx

V = "2026-03"


def test_a_client_on_the_dated_api_works_on_the_same_records(hs) -> None:
    auth = {"Authorization": f"Bearer {hs.token}"}
    with httpx.Client(base_url=hs.base_url, headers=auth) as http:
        upsert = http.post(
            f"/crm/objects/{V}/contacts/batch/upsert",
            json={"inputs": [{"idProperty": "email", "id": "d@x.io", "properties": {}}]},
        )
        assert upsert.status_code == 200, upsert.text
        contact = upsert.json()["results"][0]["id"]
        deal = http.post(
            f"/crm/objects/{V}/0-3",
            json={"properties": {"dealname": "M-1", "dealstage": "appointmentscheduled"}},
        )
        assert deal.status_code == 201, deal.text
        deal_id = deal.json()["id"]
        # The same records through v3, and v3's through the dated paths.
        assert (
            http.get(f"/crm/v3/objects/deals/{deal_id}").json()["properties"]["dealname"] == "M-1"
        )
        assert http.get(f"/crm/objects/{V}/contacts/{contact}").status_code == 200
        linked = http.post(
            f"/crm/associations/{V}/deals/contacts/batch/associate/default",
            json={"inputs": [{"from": {"id": deal_id}, "to": {"id": contact}}]},
        )
        assert linked.status_code == 200, linked.text
        read = http.post(
            f"/crm/associations/{V}/deals/contacts/batch/read", json={"inputs": [{"id": deal_id}]}
        )
        assert [t["toObjectId"] for t in read.json()["results"][0]["to"]] == [int(contact)]
        v4 = http.get(f"/crm/v4/objects/deals/{deal_id}/associations/contacts").json()
        assert [r["toObjectId"] for r in v4["results"]] == [int(contact)]
        names = {p["name"] for p in http.get(f"/crm/properties/{V}/deals").json()["results"]}
        assert {"dealname", "amount", "closedate"} <= names
        pipelines = http.get(f"/crm/pipelines/{V}/deals").json()["results"]
        assert pipelines and pipelines[0]["stages"]
        # A version HubSpot does not publish is no route.
        assert http.get("/crm/objects/1999-01/contacts").status_code == 404
