"""`moulin-sync serve-refresh`: signed requests only, one refresh per contact at a time,
the contact and deals really refreshed in HubSpot, runs recorded in the instance."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from dagster import DagsterInstance, RunsFilter

from moulin_sync.testing.hubspot_emulator import free_port
from moulin_sync_tests.e2e.conftest import stop_process_groups

from .conftest import SECRET, Service, wait_until_up

QUERY = "userId=42&userEmail=ann%40mill.fr&portalId=123&appId=9"


def hubspot_signature(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """As HubSpot's request-validation page says: @ and the like decoded in the URI."""
    uri = uri.replace("%40", "@").replace("%3A", ":").replace("%2F", "/")
    message = f"{method}{uri}".encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def signed(
    service: Service,
    method: str,
    path: str,
    body: dict | None = None,
    *,
    secret: str = SECRET,
    age_s: float = 0,
    query: str = QUERY,
    sent_query: str | None = None,
    sent_body: bytes | None = None,
    timestamp_ms: int | None = None,
) -> httpx.Request:
    raw = json.dumps(body).encode() if body is not None else b""
    timestamp = str(timestamp_ms or int((time.time() - age_s) * 1000))
    uri = f"{service.url}{path}?{query}"
    headers = {
        "X-HubSpot-Signature-v3": hubspot_signature(secret, method, uri, raw, timestamp),
        "X-HubSpot-Request-Timestamp": timestamp,
        "Content-Type": "application/json",
    }
    url = f"{service.url}{path}?{sent_query if sent_query is not None else query}"
    return httpx.Request(method, url, headers=headers, content=sent_body or raw)


def send(request: httpx.Request) -> httpx.Response:
    with httpx.Client(timeout=60) as http:
        return http.send(request)


def refresh_runs(service: Service) -> int:
    with DagsterInstance.from_config(str(service.dagster_home)) as instance:
        return instance.get_runs_count(RunsFilter(job_name="refresh_customer"))


def a_contact(service: Service, n: int = 0) -> dict:
    """The `n`-th B2C contact with deals in HubSpot (a B2B order's deal is named after the
    company)."""
    b2b = {str(r[0]) for r in service.world.sql("SELECT customer_id FROM company_contacts")}
    with_deals = {
        c["id"]
        for d in service.world.objects("deals")
        for c in d["associations"].get("contacts", [])
    }
    b2c = [
        c
        for c in service.world.objects("contacts")
        if c["properties"].get("moulin_customer_id") not in b2b | {None} and c["id"] in with_deals
    ]
    return b2c[n]


def test_health_needs_no_signature(service: Service) -> None:
    assert httpx.get(f"{service.url}/healthz").json() == {"status": "ok"}


def test_a_signed_press_refreshes_the_contact_and_answers_what_changed(service: Service) -> None:
    contact = a_contact(service)
    customer = contact["properties"]["moulin_customer_id"]
    service.world.sql(
        "UPDATE customers SET last_name = 'Pressé', updated_at = '2026-11-28 08:00:00' "
        "WHERE id = ?",
        (int(customer),),
    )
    answer = send(signed(service, "POST", "/hubspot/refresh", {"objectId": contact["id"]}))
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["status"] == "succeeded" and found["launched"] is True
    assert found["outcome"]["contact"] == "updated"
    assert found["outcome"]["customerId"] == customer
    [now] = [c for c in service.world.objects("contacts") if c["id"] == contact["id"]]
    assert now["properties"]["lastname"] == "Pressé"
    deals = [
        d
        for d in service.world.objects("deals")
        if any(c["id"] == contact["id"] for c in d["associations"].get("contacts", []))
    ]
    assert deals and all("Pressé" in d["properties"]["dealname"] for d in deals)

    # The run is the instance's, with its outcome: what a 202 would be polled for.
    later = send(signed(service, "GET", f"/hubspot/refresh/{found['runId']}"))
    assert later.status_code == 200
    assert later.json()["status"] == "succeeded"
    assert later.json()["outcome"] == found["outcome"]


@pytest.mark.parametrize(
    "case",
    ["tampered body", "tampered query", "wrong secret", "old timestamp", "missing headers",
     "replay"],
)  # fmt: skip
def test_a_request_hubspot_did_not_sign_gets_401_and_launches_nothing(
    service: Service, case: str
) -> None:
    contact = a_contact(service)
    body = {"objectId": contact["id"]}
    before = refresh_runs(service)
    if case == "tampered body":
        request = signed(service, "POST", "/hubspot/refresh", body,
                         sent_body=json.dumps({"objectId": "1"}).encode())  # fmt: skip
    elif case == "tampered query":
        request = signed(service, "POST", "/hubspot/refresh", body,
                         sent_query=QUERY.replace("userId=42", "userId=43"))  # fmt: skip
    elif case == "wrong secret":
        request = signed(service, "POST", "/hubspot/refresh", body, secret="not-the-secret")
    elif case == "old timestamp":
        request = signed(service, "POST", "/hubspot/refresh", body, age_s=301)
    elif case == "missing headers":
        request = signed(service, "POST", "/hubspot/refresh", body)
        del request.headers["X-HubSpot-Signature-v3"]
    else:
        request = signed(service, "GET", "/hubspot/contact-status",
                         query=f"objectId={contact['id']}&{QUERY}")  # fmt: skip
        assert send(request).status_code == 200
    answer = send(request)
    assert answer.status_code == 401, answer.text
    assert "not a request signed by HubSpot" in answer.json()["error"]
    assert SECRET not in answer.text
    assert refresh_runs(service) == before


def test_ten_presses_for_one_contact_make_one_refresh(service: Service) -> None:
    contact = a_contact(service, 3)
    before = refresh_runs(service)
    # Ten presses: ten signed requests (each its own timestamp, so none is a replay).
    now_ms = int(time.time() * 1000)
    presses = [
        signed(service, "POST", "/hubspot/refresh", {"objectId": contact["id"]},
               timestamp_ms=now_ms - k)
        for k in range(10)
    ]  # fmt: skip
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(send, presses))
    assert all(a.status_code in (200, 202) for a in answers), [
        (a.status_code, a.text[:200]) for a in answers if a.status_code not in (200, 202)
    ]
    assert len({a.json()["runId"] for a in answers}) == 1
    assert sum(a.json()["launched"] for a in answers) == 1
    assert refresh_runs(service) == before + 1


def test_the_card_status_compares_orders_and_deals(service: Service) -> None:
    contact = a_contact(service)
    request = signed(service, "GET", "/hubspot/contact-status",
                     query=f"objectId={contact['id']}&{QUERY}")  # fmt: skip
    answer = send(request)
    assert answer.status_code == 200, answer.text
    status = answer.json()
    assert status["found"] is True
    assert status["customerId"] == contact["properties"]["moulin_customer_id"]
    assert status["lastWrittenAt"]
    linked = [
        d
        for d in service.world.objects("deals")
        if any(c["id"] == contact["id"] for c in d["associations"].get("contacts", []))
    ]
    assert status["dealsInHubSpot"] == len(linked)
    [(orders,)] = service.world.sql(
        "SELECT count(*) FROM orders WHERE customer_id = ?", (int(status["customerId"]),)
    )
    assert status["ordersInApp"] == orders


def test_an_unknown_contact_is_a_404_in_words_and_a_huge_body_a_413(service: Service) -> None:
    answer = send(signed(service, "POST", "/hubspot/refresh", {"objectId": "999999"}))
    assert answer.status_code == 404
    assert "not a customer moulin-sync knows" in answer.json()["error"]
    huge = {"objectId": "1", "padding": "x" * 1_100_000}
    assert send(signed(service, "POST", "/hubspot/refresh", huge)).status_code == 413


def test_the_button_s_runs_are_the_job_s_runs_in_the_dagster_ui(
    service: Service, tmp_path: Path
) -> None:
    """A real dagster-webserver over the service's instance lists the refresh runs under
    the `refresh_customer` job of the workspace's code location, succeeded."""
    contact = a_contact(service, 5)
    pressed = send(signed(service, "POST", "/hubspot/refresh", {"objectId": contact["id"]}))
    assert pressed.status_code == 200, pressed.text
    port = free_port()
    log = tmp_path / "webserver.log"
    with log.open("w") as out:
        webserver = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster-webserver"), "-w", "workspace.yaml",
             "-h", "127.0.0.1", "-p", str(port)],
            env=service.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_until_up(f"http://127.0.0.1:{port}/server_info", webserver, log)
        query = """{ runsOrError(filter: {pipelineName: "refresh_customer"}) {
            ... on Runs { results { runId status repositoryOrigin { repositoryLocationName } } } } }"""
        answer = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": query}, timeout=60)
        runs = {r["runId"]: r for r in answer.json()["data"]["runsOrError"]["results"]}
        run = runs[pressed.json()["runId"]]
        assert run["status"] == "SUCCESS"
        assert run["repositoryOrigin"]["repositoryLocationName"] == "moulin_sync"
    finally:
        stop_process_groups(webserver)
