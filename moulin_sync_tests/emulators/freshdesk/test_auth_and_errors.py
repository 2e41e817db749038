"""Credentials, Freshdesk's error bodies, and the guarantees: never a 500, and a failed
request changes nothing."""

from __future__ import annotations

import httpx

from .helpers import API_KEY, Freshdesk, basic_auth


def test_the_api_key_is_the_user_and_any_password_passes(fd: Freshdesk) -> None:
    url = fd.base_url + "/api/v2/tickets"
    assert httpx.get(url, headers=basic_auth(API_KEY)).status_code == 200
    assert httpx.get(url, headers=basic_auth(API_KEY, "anything")).status_code == 200
    for headers in ({}, basic_auth("wrong-key"), {"Authorization": f"Bearer {API_KEY}"}):
        r = httpx.get(url, headers=headers)
        assert r.status_code == 401
        assert r.json() == {
            "code": "invalid_credentials",
            "message": "You have to be logged in to perform this action.",
        }


def test_unknown_ids_and_urls_answer_404_with_an_empty_body(fd: Freshdesk) -> None:
    for path in ("/api/v2/tickets/12345", "/api/v2/tickets/abc", "/api/v2/contacts/1",
                 "/api/v2/companies/1", "/api/v2/nothing"):  # fmt: skip
        r = fd.get(path)
        assert (r.status_code, r.content) == (404, b""), path
    r = fd.http.patch("/api/v2/tickets")
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed"


def test_invalid_json_is_freshdesks_400(fd: Freshdesk) -> None:
    r = fd.http.post("/api/v2/tickets", content=b"{not json",
                     headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 400
    assert r.json() == {
        "description": "Validation failed",
        "errors": [{"message": "Request body has invalid json format", "code": "invalid_json"}],
    }


def test_odd_requests_never_answer_500(fd: Freshdesk) -> None:
    ticket = fd.create_ticket(email="a@example.fr")["id"]
    odd = [
        ("POST", "/api/v2/tickets", []), ("POST", "/api/v2/tickets", None),
        ("POST", "/api/v2/tickets", {"email": None, "requester_id": None}),
        ("POST", "/api/v2/tickets", {"requester_id": 10**30, "subject": "s", "description": "d"}),
        ("PUT", f"/api/v2/tickets/{ticket}", {"custom_fields": [1]}),
        ("PUT", f"/api/v2/tickets/{ticket}", {"due_by": "demain"}),
        ("PUT", f"/api/v2/tickets/{ticket}", "texte"),
        ("POST", "/api/v2/contacts", {"name": "", "email": 3}),
        ("PUT", "/api/v2/contacts/43000000001", {"email": "x@example.fr"}),
        ("POST", "/api/v2/companies", {"name": ["a"]}),
        ("GET", "/api/v2/tickets?page=0&per_page=abc", None),
        ("GET", "/api/v2/tickets?include=", None),
        ("GET", "/api/v2/tickets?updated_since=2025-13-45", None),
        ("POST", "/_emulator/bulk", {"tickets": [{"requester_id": "x"}, 3]}),
        ("POST", "/_emulator/clock", {"now": 5}),
        ("PUT", "/_emulator/plan", {"plan": "gold"}),
    ]  # fmt: skip
    for method, path, body in odd:
        r = fd.http.request(method, path, json=body)
        assert 400 <= r.status_code < 500, (method, path, r.status_code, r.text)
        assert r.status_code != 404 or r.content == b""


def test_a_failed_bulk_load_loads_nothing(fd: Freshdesk) -> None:
    r = fd.http.post("/_emulator/bulk", json={
        "companies": [{"name": "Ok"}],
        "contacts": [{"name": "Ok", "email": "ok@example.fr"}],
        "tickets": [{"requester_id": 43000000002, "subject": "s"}, {"requester_id": 1, "status": 1}],
    })  # fmt: skip
    assert r.status_code == 400
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"tickets[1].requester_id", "tickets[1].status"}
    summary = fd.admin("GET", "summary")
    assert (summary["tickets"], summary["contacts"], summary["companies"]) == (0, 0, 0)


def test_an_injected_fault_before_a_write_changes_nothing(fd: Freshdesk) -> None:
    fd.admin("POST", "faults", {"kind": "status", "status": 503, "writes": True})
    r = fd.post("/api/v2/tickets", {"subject": "s", "description": "d", "email": "a@b.fr"})
    assert r.status_code == 503 and r.json()["code"] == "error"
    assert fd.admin("GET", "summary")["tickets"] == 0
