"""Admin API: state, stats by route template, faults (status, hang, drop_after_commit), reset."""

from __future__ import annotations

import time

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

from moulin_sync.testing.hubspot_emulator import hubspot_client

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
    hung_until = time.monotonic() + 1.0
    with pytest.raises(urllib3.exceptions.MaxRetryError) as info:
        client.crm.contacts.basic_api.get_page(_request_timeout=0.3)
    assert isinstance(info.value.reason, urllib3.exceptions.ReadTimeoutError)
    assert hs.admin.faults() == []  # one shot, spent
    assert client.crm.contacts.basic_api.get_page(_request_timeout=2).results == []
    # The hung request goes on once its second is up, as HubSpot would serve it: let it,
    # so that it cannot take a fault the next test arms.
    time.sleep(max(0.0, hung_until + 0.5 - time.monotonic()))


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


def _contacts_upsert(http: httpx.Client, email: str) -> httpx.Response:
    return http.post(
        "/crm/v3/objects/contacts/batch/upsert",
        json={"inputs": [{"idProperty": "email", "id": email, "properties": {}}]},
    )


def _emails(hs) -> set[str]:
    return {c["properties"]["email"] for c in hs.admin.state()["objects"]["contacts"]}


def test_skip_and_writes_pick_the_nth_write_and_ignore_reads(hs) -> None:
    auth = {"Authorization": f"Bearer {hs.token}"}
    fault = hs.admin.add_fault(kind="status", status=500, writes=True, skip=2)
    assert fault["id"] >= 1 and fault["skip"] == 2 and fault["writes"] is True
    with httpx.Client(base_url=hs.base_url, headers=auth) as http:
        for i in range(2):
            assert _contacts_upsert(http, f"w{i}@x.io").status_code == 200
            # Reads, batch reads and searches are not writes: never counted, never hit.
            assert http.get("/crm/v3/objects/contacts").status_code == 200
            read = http.post(
                "/crm/v3/objects/contacts/batch/read",
                json={"inputs": [{"id": "w0@x.io"}], "idProperty": "email", "properties": []},
            )
            assert read.status_code == 200
            assert http.post("/crm/v3/objects/contacts/search", json={}).status_code == 200
        assert _contacts_upsert(http, "w2@x.io").status_code == 500  # the third write
        assert _contacts_upsert(http, "w3@x.io").status_code == 200
    assert _emails(hs) == {"w0@x.io", "w1@x.io", "w3@x.io"}
    assert hs.admin.faults() == []
    (spent,) = hs.admin.fault_log()
    assert (spent["seen"], spent["fired"]) == (3, 1)
    assert spent["fired_on"] == ["POST /crm/v3/objects/contacts/batch/upsert"]
    hs.admin.clear_faults()
    assert hs.admin.fault_log() == []


def test_hang_after_commit_commits_then_holds_until_the_client_is_gone(hs) -> None:
    fault = hs.admin.add_fault(kind="hang_after_commit", writes=True, skip=1)
    auth = {"Authorization": f"Bearer {hs.token}"}
    with httpx.Client(base_url=hs.base_url, headers=auth, timeout=0.5) as http:
        assert _contacts_upsert(http, "first@x.io").status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            _contacts_upsert(http, "held@x.io")
    # Committed although no answer came; the held request ended when the client left.
    assert "held@x.io" in _emails(hs)
    seen = hs.admin.wait_for_fault(fault["id"], counter="committed", timeout=5)
    assert seen is not None and seen["fired"] == 1 and seen["committed"] == 1
    # The emulator serves others meanwhile and afterwards.
    with httpx.Client(base_url=hs.base_url, headers=auth) as http:
        assert _contacts_upsert(http, "after@x.io").status_code == 200


def test_hang_after_commit_with_seconds_answers_late(hs) -> None:
    fault = hs.admin.add_fault(
        kind="hang_after_commit", seconds=0.3, route="/crm/v3/objects/contacts", writes=True
    )
    auth = {"Authorization": f"Bearer {hs.token}"}
    with httpx.Client(base_url=hs.base_url, headers=auth, timeout=5) as http:
        answer = _contacts_upsert(http, "late@x.io")
    assert answer.status_code == 200
    assert answer.json()["results"][0]["properties"]["email"] == "late@x.io"
    assert hs.admin.fault(fault["id"])["committed"] == 1
    assert answer.elapsed.total_seconds() >= 0.3
    assert answer.headers.get("content-type", "").startswith("application/json")


def test_wait_for_fault_gives_up_when_told(hs) -> None:
    fault = hs.admin.add_fault(kind="status", status=503, writes=True)
    assert hs.admin.wait_for_fault(fault["id"], timeout=0.2) is None
    assert hs.admin.wait_for_fault(fault["id"], timeout=30, still_waiting=lambda: False) is None


def test_drop_after_commit_counts_committed_writes(client, hs) -> None:
    fault = hs.admin.add_fault(kind="drop_after_commit", writes=True)
    with pytest.raises(urllib3.exceptions.ProtocolError):
        _upsert(client, "counted@x.io")
    assert hs.admin.fault(fault["id"])["committed"] == 1


def test_admin_rejects_bad_skip_and_writes(hs) -> None:
    auth = {"Authorization": f"Bearer {hs.token}"}
    for body in ({"kind": "hang", "skip": -1}, {"kind": "hang", "writes": "yes"}):
        r = httpx.post(hs.base_url + "/_emulator/faults", headers=auth, json=body)
        assert r.status_code == 400, body


def test_status_fault_with_a_message_of_its_own(hs) -> None:
    hs.admin.add_fault(kind="status", status=400, message="nope: try again")
    auth = {"Authorization": f"Bearer {hs.token}"}
    answer = httpx.get(hs.base_url + "/crm/v3/objects/contacts", headers=auth)
    assert answer.status_code == 400 and answer.json()["message"] == "nope: try again"


def test_after_commit_faults_count_only_requests_hubspot_executed(hs) -> None:
    # A 429 (or an injected status) executes nothing: it does not use up the fault.
    hs.admin.set_limits(per_10s=1)
    fault = hs.admin.add_fault(kind="drop_after_commit", writes=True, skip=1)
    hs.admin.add_fault(kind="status", status=503, writes=True)
    auth = {"Authorization": f"Bearer {hs.token}"}
    with httpx.Client(base_url=hs.base_url, headers=auth) as http:
        assert _contacts_upsert(http, "refused@x.io").status_code == 503
        assert _contacts_upsert(http, "first@x.io").status_code == 200
        assert _contacts_upsert(http, "limited@x.io").status_code == 429
        hs.admin.set_limits(per_10s=None)
        with pytest.raises(httpx.RemoteProtocolError):
            _contacts_upsert(http, "dropped@x.io")
    assert _emails(hs) == {"first@x.io", "dropped@x.io"}
    spent = hs.admin.fault(fault["id"])
    assert (spent["seen"], spent["fired"], spent["committed"]) == (2, 1, 1)


def _limited(hs, http: httpx.Client) -> httpx.Response:
    """A 429 from the real rate limiter (3 calls per 10 s)."""
    hs.admin.set_limits(per_10s=3)
    for _ in range(3):
        assert http.get("/crm/v3/objects/contacts").status_code == 200
    return http.get("/crm/v3/objects/contacts")


def test_an_injected_429_is_the_rate_limiters_429(hs) -> None:
    auth = {"Authorization": f"Bearer {hs.token}"}
    with httpx.Client(base_url=hs.base_url, headers=auth) as http:
        real = _limited(hs, http)
        hs.admin.set_limits(per_10s=100)
        hs.admin.add_fault(kind="status", status=429)
        injected = http.get("/crm/v3/objects/contacts")
        hs.admin.add_fault(kind="status", status=429, policy="DAILY")
        daily = http.get("/crm/v3/objects/contacts")
    assert real.status_code == injected.status_code == 429
    same = {k: v for k, v in injected.json().items() if k != "correlationId"}
    assert same == {k: v for k, v in real.json().items() if k != "correlationId"}
    assert same["policyName"] == "TEN_SECONDLY_ROLLING" and same["errorType"] == "RATE_LIMIT"
    assert {h for h in real.headers if h.startswith("x-hubspot-ratelimit")} == {
        h for h in injected.headers if h.startswith("x-hubspot-ratelimit")
    }
    assert daily.json()["policyName"] == "DAILY"
    assert daily.json()["message"] == "You have reached your daily limit."
    refused = httpx.post(
        hs.base_url + "/_emulator/faults", headers=auth,
        json={"kind": "status", "status": 429, "policy": "HOURLY"},
    )  # fmt: skip
    assert refused.status_code == 400 and "policy must be one of" in refused.json()["message"]


def test_the_official_sdk_retries_an_injected_429(hs) -> None:
    """hubspot-api-client with a urllib3 Retry on 429 (every method): one injected 429 on
    a batch create, then the retry lands the contacts once."""
    from urllib3.util.retry import Retry

    retry = Retry(total=3, status_forcelist=(429,), allowed_methods=None, backoff_factor=0.1)
    api = hubspot_client(hs, retry=retry).crm.contacts.batch_api
    hs.admin.add_fault(kind="status", status=429, route="/crm/v3/objects/contacts/batch/create")
    inputs = [{"properties": {"email": f"sdk{i}@x.io"}} for i in range(3)]
    created = api.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs))
    assert created.status == "COMPLETE" and len(created.results) == 3
    assert hs.admin.count("POST", "/crm/v3/objects/{objectType}/batch/create", 429) == 1
    assert hs.admin.count("POST", "/crm/v3/objects/{objectType}/batch/create", 201) == 1
    assert _emails(hs) == {"sdk0@x.io", "sdk1@x.io", "sdk2@x.io"}


def test_latency_makes_every_api_call_take_hubspots_time(hs, client) -> None:
    hs.admin.set_limits(latency_ms=[150, 200])
    started = time.perf_counter()
    client.crm.contacts.basic_api.get_page(limit=1)
    assert time.perf_counter() - started >= 0.15
    assert hs.admin.limits()["latency_ms"] == [150.0, 200.0]
    hs.admin.set_limits(latency_ms=None)
    started = time.perf_counter()
    client.crm.contacts.basic_api.get_page(limit=1)
    assert time.perf_counter() - started < 0.15
    for bad in ([200, 100], [1], "x", [True, 5]):
        answer = httpx.post(f"{hs.base_url}/_emulator/limits", json={"latency_ms": bad},
                            headers={"Authorization": f"Bearer {hs.token}"})  # fmt: skip
        assert answer.status_code == 400 and "latency_ms" in answer.text
