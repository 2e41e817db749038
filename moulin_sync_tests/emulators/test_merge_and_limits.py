"""Merges, and rate limits by tier: headers, 429 bodies, runtime limits, the daily budget."""

from __future__ import annotations

import httpx
import pytest
from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyCreate
from hubspot.crm.contacts import (
    AssociationSpec,
    PublicAssociationsForObject,
    PublicMergeInput,
    PublicObjectId,
)
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactCreate
from hubspot.crm.deals import PublicMergeInput as DealMerge
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealCreate

from moulin_sync.testing.hubspot_emulator import run_hubspot_emulator

from .helpers import api_error


def test_merge_contacts(client, hs) -> None:
    co = client.crm.companies.basic_api.create(CompanyCreate(properties={"name": "C"})).id
    api = client.crm.contacts.basic_api
    keep = api.create(ContactCreate(properties={"email": "keep@x.io", "firstname": "K"})).id
    spec = [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)]
    gone = api.create(ContactCreate(
        properties={"email": "gone@x.io"},
        associations=[PublicAssociationsForObject(to=PublicObjectId(id=co), types=spec)],
    )).id  # fmt: skip
    merged = api.merge(PublicMergeInput(primary_object_id=keep, object_id_to_merge=gone))
    assert merged.id == keep
    assert merged.properties["hs_merged_object_ids"] == gone
    status, _ = api_error(api.get_by_id, gone)
    assert status == 404
    state = hs.admin.state()["objects"]
    survivor = next(r for r in state["contacts"] if r["id"] == keep)
    assert survivor["associations"] == {"companies": [{"id": co, "types": [1, 279]}]}
    assert [r["id"] for r in state["contacts"]] == [keep]
    assert next(r for r in state["companies"] if r["id"] == co)["associations"] == {
        "contacts": [{"id": keep, "types": [2, 280]}]
    }
    # the merged record's email now belongs to the survivor (see test_contact_merge.py)
    assert merged.properties["hs_additional_emails"] == "gone@x.io"
    third = api.create(ContactCreate(properties={"email": "third@x.io"})).id
    merged = api.merge(PublicMergeInput(primary_object_id=keep, object_id_to_merge=third))
    assert merged.properties["hs_merged_object_ids"] == f"{gone};{third}"


def test_merge_deals_and_bad_merges(client) -> None:
    deals = client.crm.deals.basic_api
    base = {"dealname": "D", "dealstage": "closedwon"}
    a, b = (deals.create(DealCreate(properties=base)).id for _ in range(2))
    out = deals.merge(DealMerge(primary_object_id=a, object_id_to_merge=b))
    assert out.properties["hs_merged_object_ids"] == b
    status, _ = api_error(deals.get_by_id, b)
    assert status == 404
    status, _ = api_error(deals.merge, DealMerge(primary_object_id=a, object_id_to_merge=a))
    assert status == 400
    status, _ = api_error(deals.merge, DealMerge(primary_object_id=a, object_id_to_merge="777"))
    assert status == 404


@pytest.mark.parametrize(
    ("tier", "per_10s", "daily"),
    [
        ("starter", "100", "250000"),
        ("professional", "190", "625000"),
        ("enterprise", "190", "1000000"),
    ],
)
def test_tier_headers_and_429(tier, per_10s, daily) -> None:
    from moulin_sync.testing.hubspot_emulator import hubspot_client

    with run_hubspot_emulator(tier=tier) as em:
        client = hubspot_client(em)
        _, status, headers = client.crm.contacts.basic_api.get_page_with_http_info()
        assert status == 200
        assert headers["X-HubSpot-RateLimit-Max"] == per_10s
        assert headers["X-HubSpot-RateLimit-Remaining"] == str(int(per_10s) - 1)
        assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
        assert headers["X-HubSpot-RateLimit-Daily"] == daily
        assert headers["X-HubSpot-RateLimit-Daily-Remaining"] == str(int(daily) - 1)
        if tier != "starter":
            return
        auth = {"Authorization": f"Bearer {em.token}"}
        with httpx.Client(base_url=em.base_url, headers=auth) as http:
            for _ in range(99):
                assert http.get("/crm/v3/objects/contacts").status_code == 200
            r = http.get("/crm/v3/objects/contacts")
            assert http.get("/_emulator/stats").status_code == 200  # admin never counts
        assert r.status_code == 429
        body = r.json()
        assert body["errorType"] == "RATE_LIMIT"
        assert body["policyName"] == "TEN_SECONDLY_ROLLING"
        assert body["message"] == "You have reached your ten_secondly_rolling limit."
        assert body["status"] == "error" and body["correlationId"]
        assert r.headers["X-HubSpot-RateLimit-Remaining"] == "0"
        status, err = api_error(client.crm.contacts.basic_api.get_page)
        assert status == 429 and err["policyName"] == "TEN_SECONDLY_ROLLING"
        assert em.admin.count("GET", "/crm/v3/objects/{objectType}", 429) == 2


def test_limits_changed_at_runtime_and_daily_budget(client, hs) -> None:
    limits = hs.admin.set_limits(per_10s=3, daily=5)
    assert limits["per_10s"] == 3 and limits["daily"] == 5
    api = client.crm.contacts.basic_api
    headers = [api.get_page_with_http_info()[2] for _ in range(3)]
    assert [h["X-HubSpot-RateLimit-Remaining"] for h in headers] == ["2", "1", "0"]
    status, body = api_error(api.get_page)
    assert status == 429 and body["policyName"] == "TEN_SECONDLY_ROLLING"
    hs.admin.set_limits(per_10s=100)
    api.get_page()
    api.get_page()
    status, body = api_error(api.get_page)
    assert status == 429 and body["policyName"] == "DAILY"
    assert body["message"] == "You have reached your daily limit."
    assert hs.admin.limits()["daily_used"] == 5, "429s consume no budget"


def test_cli_rate_limit_overrides_the_tier() -> None:
    with run_hubspot_emulator(tier="free", rate_limit=7, daily_limit=50) as em:
        r = httpx.get(em.base_url + "/crm/v3/objects/contacts",
                      headers={"Authorization": f"Bearer {em.token}"})  # fmt: skip
        assert r.headers["X-HubSpot-RateLimit-Max"] == "7"
        assert r.headers["X-HubSpot-RateLimit-Daily"] == "50"
        assert em.admin.limits()["search_per_s"] == 5
