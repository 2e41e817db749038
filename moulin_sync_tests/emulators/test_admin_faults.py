"""Admin API: state, stats by route template, faults (status, hang, drop_after_commit), reset."""

from __future__ import annotations

import httpx
import pytest
import urllib3
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInputUpsert,
    SimplePublicObjectBatchInputUpsert,
)
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactCreate
from hubspot.crm.deals import (
    BatchInputSimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputForCreate,
)

from moulin_sync.emulators.hubspot.testing import hubspot_client

from .helpers import api_error

UPSERT = "/crm/v3/objects/{objectType}/batch/upsert"


def _upsert(client, email: str):
    return client.crm.contacts.batch_api.upsert(
        BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                SimplePublicObjectBatchInputUpsert(id=email, id_property="email", properties={})
            ]
        )
    )


def _deal_batch(client):
    return client.crm.deals.batch_api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[SimplePublicObjectBatchInputForCreate(
                properties={"dealname": "D", "dealstage": "closedwon"}, associations=[])]
        )
    )  # fmt: skip


def test_stats_count_by_method_route_template_and_status(client, hs) -> None:
    _upsert(client, "s1@x.io")
    _upsert(client, "s2@x.io")
    api_error(client.crm.contacts.basic_api.get_by_id, "424242")
    stats = hs.admin.stats()
    assert {"method": "POST", "route": UPSERT, "status": 200, "count": 2} in stats
    assert {"method": "GET", "route": "/crm/v3/objects/{objectType}/{objectId}", "status": 404,
            "count": 1} in stats  # fmt: skip
    assert all(not r["route"].startswith("/_emulator") for r in stats)
    hs.admin.reset_stats()
    assert hs.admin.stats() == []


def test_token_never_appears_in_stats_or_logs(client, hs) -> None:
    _upsert(client, "tok@x.io")
    httpx.get(
        hs.base_url + "/crm/v3/objects/contacts", headers={"Authorization": "Bearer leaked-guess"}
    )
    assert hs.token not in str(hs.admin.stats())
    assert "leaked-guess" not in str(hs.admin.stats())
    log = hs.log_path.read_text(errors="replace")
    assert hs.token not in log and "leaked-guess" not in log


def test_state_shape_includes_archived(client, hs) -> None:
    api = client.crm.contacts.basic_api
    c = api.create(ContactCreate(properties={"email": "st@x.io"}))
    api.archive(c.id)
    state = hs.admin.state()
    assert set(state["objects"]) == {"contacts", "companies", "deals", "tickets"}
    row = state["objects"]["contacts"][0]
    assert row["id"] == c.id and row["archived"] is True
    assert row["properties"]["email"] == "st@x.io" and row["associations"] == {}


def test_reset_empties_objects_and_keeps_the_schema(client, hs) -> None:
    from hubspot.crm.properties import PropertyCreate

    client.crm.properties.core_api.create(
        "contacts", PropertyCreate(name="kept", label="Kept", type="string", field_type="text",
                                   group_name="contactinformation"))  # fmt: skip
    _upsert(client, "r@x.io")
    hs.admin.reset()
    assert hs.admin.state()["objects"]["contacts"] == []
    assert client.crm.properties.core_api.get_by_name("contacts", "kept").name == "kept"


def test_status_fault_with_method_and_route_prefix(client, hs) -> None:
    hs.admin.add_fault(kind="status", status=503, count=2, method="POST",
                       route="/crm/v3/objects/deals/batch/create")  # fmt: skip
    client.crm.contacts.basic_api.get_page()  # not matched
    for _ in range(2):
        status, body = api_error(_deal_batch, client)
        assert status == 503 and body["status"] == "error"
    assert len(_deal_batch(client).results) == 1  # the fault is spent
    assert hs.admin.faults() == []
    assert hs.admin.count("POST", "/crm/v3/objects/{objectType}/batch/create", 503) == 2
    assert len(hs.admin.state()["objects"]["deals"]) == 1


def test_delete_faults_disarms(client, hs) -> None:
    hs.admin.add_fault(kind="status", status=500, count=5)
    assert len(hs.admin.faults()) == 1
    hs.admin.clear_faults()
    assert client.crm.contacts.basic_api.get_page().results == []


def test_hang_fault_times_out_the_sdk(hs) -> None:
    client = hubspot_client(hs, retry=urllib3.Retry(total=0, read=0))
    hs.admin.add_fault(kind="hang", seconds=1.0, route="/crm/v3/objects/contacts")
    with pytest.raises(urllib3.exceptions.MaxRetryError) as info:
        client.crm.contacts.basic_api.get_page(_request_timeout=0.3)
    assert isinstance(info.value.reason, urllib3.exceptions.ReadTimeoutError)
    assert hs.admin.faults() == []  # one shot, spent
    assert client.crm.contacts.basic_api.get_page(_request_timeout=2).results == []


def test_drop_after_commit_commits_then_closes_without_answer(client, hs) -> None:
    hs.admin.add_fault(kind="drop_after_commit", route="/crm/v3/objects/contacts/batch/upsert")
    with pytest.raises(urllib3.exceptions.ProtocolError):
        _upsert(client, "dropped@x.io")
    # the write happened although the client never saw an answer
    rec = client.crm.contacts.basic_api.get_by_id("dropped@x.io", id_property="email")
    assert rec.properties["email"] == "dropped@x.io"
    again = _upsert(client, "dropped@x.io")
    assert again.results[0].new is False


def test_admin_rejects_bad_faults(hs) -> None:
    auth = {"Authorization": f"Bearer {hs.token}"}
    r = httpx.post(hs.base_url + "/_emulator/faults", headers=auth, json={"kind": "explode"})
    assert r.status_code == 400
    assert httpx.get(hs.base_url + "/_emulator/health").json() == {"status": "ok"}
