"""`moulin-sync serve-refresh`: signed requests only (a repeat answered as the first),
one refresh per contact at a time (a joined press says so), the contact and deals really
refreshed in HubSpot, runs recorded in the instance, "not ours" as a 200."""

from __future__ import annotations

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
from .signing import QUERY, send, signed, status_request


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
    assert found["found"] is True and found["status"] == "succeeded"
    assert found["launched"] is True and found["joined"] is False
    assert found["finishedSecondsAgo"] is None
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
    ["tampered body", "tampered query", "wrong secret", "old timestamp", "missing headers"],
)
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
    else:
        request = signed(service, "POST", "/hubspot/refresh", body)
        del request.headers["X-HubSpot-Signature-v3"]
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
    assert sum(a.json()["joined"] for a in answers) == 9
    assert refresh_runs(service) == before + 1


def test_a_repeated_signed_request_gets_the_first_answer_and_launches_nothing_more(
    service: Service,
) -> None:
    """HubSpot retries once after a failure, with the same signature: while the first is
    still being answered, or after. Either way the repeat is answered as the first was —
    not as a press joined to its run — and a changed request under that signature is
    still refused."""
    contact = a_contact(service, 7)
    body = {"objectId": contact["id"]}
    before = refresh_runs(service)
    now_ms = int(time.time() * 1000)

    def request(**changed: bytes) -> httpx.Request:
        return signed(service, "POST", "/hubspot/refresh", body, timestamp_ms=now_ms, **changed)

    def press() -> httpx.Response:
        return send(request())

    with ThreadPoolExecutor(2) as pool:
        together = [pool.submit(press) for _ in range(2)]
        answers = [f.result() for f in together]
    answers.append(press())
    assert [a.status_code for a in answers] == [200] * 3, [a.text[:200] for a in answers]
    first = answers[0].json()
    assert first["launched"] is True and first["status"] == "succeeded"
    assert all(a.json() == first for a in answers)
    assert refresh_runs(service) == before + 1

    other = json.dumps({"objectId": a_contact(service, 8)["id"]}).encode()
    tampered = request(sent_body=other)
    assert tampered.headers["X-HubSpot-Signature-v3"] == request().headers["X-HubSpot-Signature-v3"]
    refused = send(tampered)
    assert refused.status_code == 401, refused.text
    assert refresh_runs(service) == before + 1


def test_a_press_soon_after_a_refresh_joins_it_and_says_how_long_ago(service: Service) -> None:
    contact = a_contact(service, 9)
    before = refresh_runs(service)
    first = send(signed(service, "POST", "/hubspot/refresh", {"objectId": contact["id"]}))
    assert first.status_code == 200, first.text
    assert first.json()["launched"] is True
    time.sleep(2.2)

    again = send(signed(service, "POST", "/hubspot/refresh", {"objectId": contact["id"]}))
    assert again.status_code == 200, again.text
    joined = again.json()
    assert joined["found"] is True
    assert joined["joined"] is True and joined["launched"] is False
    assert (joined["runId"], joined["status"]) == (first.json()["runId"], "succeeded")
    assert joined["outcome"] == first.json()["outcome"]
    assert 2 <= joined["finishedSecondsAgo"] < 60
    assert refresh_runs(service) == before + 1


def test_the_card_status_compares_orders_and_deals(service: Service) -> None:
    contact = a_contact(service)
    admin = service.world.hubspot.admin
    admin.reset_stats()
    answer = send(status_request(service, contact["id"]))
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
    # Typeform is off here: no NPS, and no read of the contact's NPS properties.
    assert status["nps"] is None
    routes = [r["route"] for r in admin.stats()]
    assert any("associations" in r for r in routes), routes
    assert not any("objects" in r and r.endswith("/batch/read") for r in routes), routes


@pytest.mark.parametrize(
    "body", [{"objectId": "999999"}, {"email": "personne@inconnu.fr"}], ids=["contact", "email"]
)
def test_one_who_is_not_our_customer_is_found_false_in_a_200(service: Service, body: dict) -> None:
    """A 404 could reach the card as HubSpot's generic error: "not ours" is an answer."""
    before = refresh_runs(service)
    press = send(signed(service, "POST", "/hubspot/refresh", body))
    assert press.status_code == 200, press.text
    assert press.json()["found"] is False
    assert "not a customer moulin-sync knows" in press.json()["reason"]
    assert refresh_runs(service) == before

    status = send(status_request(service, "999999"))
    assert status.status_code == 200, status.text
    assert status.json()["found"] is False
    assert "not a customer moulin-sync knows" in status.json()["reason"]
    assert status.json()["nps"] is None


def test_a_huge_body_is_a_413(service: Service) -> None:
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
