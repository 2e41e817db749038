"""Per-minute credits by plan: the headers on every answer, the account's limit, the
ticket list's own limit (embeds counted as credits), and the 429 with Retry-After."""

from __future__ import annotations

import httpx
import pytest

from .helpers import Freshdesk

# (plan, credits a minute for the account, for the ticket list, for the contact list)
PLANS = [("growth", 200, 20, 20), ("pro", 400, 100, 100), ("enterprise", 700, 200, 200)]


def assert_refused(r: httpx.Response) -> None:
    assert r.status_code == 429, r.text
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert r.json()["code"] == "rate_limit_exceeded"
    assert "x-ratelimit-total" in r.headers and "x-ratelimit-remaining" in r.headers
    assert r.headers["x-ratelimit-used-currentrequest"] == "0"  # a refused call spends nothing


@pytest.mark.parametrize(("plan", "account", "tickets_list", "contacts_list"), PLANS)
def test_each_plan_limits_the_account_and_the_lists(
    fd: Freshdesk, plan: str, account: int, tickets_list: int, contacts_list: int
) -> None:
    fd.plan(plan)
    for used in range(1, tickets_list + 1):
        r = fd.get("/api/v2/tickets")
        assert r.status_code == 200
        assert r.headers["x-ratelimit-total"] == str(account)
        assert r.headers["x-ratelimit-remaining"] == str(account - used)
        assert r.headers["x-ratelimit-used-currentrequest"] == "1"
    assert_refused(fd.get("/api/v2/tickets"))
    for _ in range(contacts_list):
        assert fd.get("/api/v2/contacts").status_code == 200
    assert_refused(fd.get("/api/v2/contacts"))
    spent = tickets_list + contacts_list
    for _ in range(account - spent):
        assert fd.get("/api/v2/agents").status_code == 200
    refused = fd.get("/api/v2/agents")
    assert_refused(refused)
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert fd.get("/_emulator/health").status_code == 200  # admin calls are never limited
    fd.plan(plan)  # a plan change starts the counters afresh
    assert fd.get("/api/v2/agents").status_code == 200


def test_embeds_spend_the_ticket_lists_credits(fd: Freshdesk) -> None:
    fd.plan("growth")
    for _ in range(6):  # 3 credits each: 18 of the list's 20
        assert fd.get("/api/v2/tickets", include="requester").status_code == 200
    assert_refused(fd.get("/api/v2/tickets", include="requester"))
    assert fd.get("/api/v2/tickets").status_code == 200  # 19
    assert fd.get("/api/v2/tickets").status_code == 200  # 20
    assert_refused(fd.get("/api/v2/tickets"))


def test_ticket_creates_have_their_own_limit(fd: Freshdesk) -> None:
    fd.plan("growth")
    for i in range(80):
        assert fd.create_ticket(email=f"c{i}@example.fr")["id"] == i + 1
    refused = fd.post("/api/v2/tickets", {"subject": "s", "description": "d", "email": "x@y.fr"})
    assert_refused(refused)
    assert len(fd.tickets(per_page=100)) == 80  # the refused create made nothing


def test_unlimited_plan_sends_no_limit_header(fd: Freshdesk) -> None:
    r = fd.get("/api/v2/tickets")
    assert r.status_code == 200 and "x-ratelimit-total" not in r.headers


def test_an_injected_429_answers_like_the_limiter(fd: Freshdesk) -> None:
    fd.plan("pro")
    fd.admin("POST", "faults", {"kind": "status", "status": 429, "policy": "tickets_list",
                                "route": "/api/v2/tickets"})  # fmt: skip
    r = fd.get("/api/v2/tickets")
    assert_refused(r)
    assert "ticket list limit of 100" in r.json()["message"].replace("tickets list", "ticket list")
