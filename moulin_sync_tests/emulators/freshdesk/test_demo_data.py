"""`fill_freshdesk`: Le Moulin's demo Freshdesk account, consistent with a generated App du
Moulin, each peculiarity present, deterministic for a seed."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from moulin_sync.demo_data import generate
from moulin_sync.demo_data.freshdesk import FreshdeskDemoError, FreshdeskSummary, fill_freshdesk
from moulin_sync.demo_data.freshdesk_vocab import FOREIGN_COMPANY, LONG_DESCRIPTION_LENGTH, TOPICS

from .helpers import API_KEY, Freshdesk

NOW = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)
SUBJECTS = tuple(t[0].split("{")[0] for t in TOPICS)


@pytest.fixture(scope="session")
def app_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("moulin") / "app.db"
    generate(f"sqlite:///{path}", customers=300, companies=10, orders=500, seed=7,
             dirty_rate=0.02, today=date(2025, 11, 20))  # fmt: skip
    return path


def fill(fd: Freshdesk, app_db: Path, **options: Any) -> FreshdeskSummary:
    arguments: dict[str, Any] = {"seed": 3, "now": NOW, "tickets": 400, **options}
    return fill_freshdesk(fd.base_url, API_KEY, f"sqlite:///{app_db}", **arguments)


def source(app_db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(app_db) as db:
        return db.execute(sql).fetchall()


def by_id(records: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {r["id"]: r for r in records}


def test_requesters_and_companies_match_the_app_du_moulin(fd: Freshdesk, app_db: Path) -> None:
    summary = fill(fd, app_db)
    state = fd.admin("GET", "state")
    emails = {e.strip().lower() for (e,) in source(app_db, "SELECT email FROM customers") if e}
    contacts = state["contacts"]
    matching = [c for c in contacts if c["email"] in emails]
    assert len(matching) == summary.contacts_matching_customers >= 100
    assert len(contacts) - len(matching) == summary.contacts_matching_nobody >= 2
    ours = dict(source(app_db, """SELECT cc.customer_id, co.name FROM company_contacts cc
                                  JOIN companies co ON co.id = cc.company_id"""))  # fmt: skip
    customer_of = {
        e.strip().lower(): i for i, e in source(app_db, "SELECT id, email FROM customers") if e
    }
    companies = by_id(state["companies"])
    b2b = [c for c in contacts if c["company_id"] and c["email"] in customer_of]
    assert len(b2b) >= 3
    for contact in b2b:  # the Freshdesk company has the App du Moulin company's name
        assert companies[contact["company_id"]]["name"] == ours[customer_of[contact["email"]]]
    app_names = {n for (n,) in source(app_db, "SELECT name FROM companies")}
    foreign = [c["name"] for c in state["companies"] if c["name"] not in app_names]
    assert foreign == [FOREIGN_COMPANY]
    b2b_tickets = [t for t in state["tickets"] if t["company_id"]]
    assert b2b_tickets and all(t["company_id"] in companies for t in b2b_tickets)


def test_tickets_are_spread_and_french(fd: Freshdesk, app_db: Path) -> None:
    summary = fill(fd, app_db)
    tickets = fd.admin("GET", "state")["tickets"]
    assert len(tickets) == summary.tickets == 400 + 2 + summary.tickets_via_api
    assert {t["priority"] for t in tickets} == {1, 2, 3, 4}
    assert {t["source"] for t in tickets} >= {1, 2, 3, 7, 9, 10, 15}
    assert len({t["type"] for t in tickets}) >= 5
    assert len({tag for t in tickets for tag in t["tags"]}) >= 15
    assert {t["status"] for t in tickets} >= {2, 3, 4, 5, 6, 7}
    assert all(t["subject"].startswith(SUBJECTS) or "gagné" in t["subject"] for t in tickets)
    assert all(t["description_text"] for t in tickets)
    assert sum(t["updated_at"] > t["created_at"] for t in tickets) > 300
    recent = fd.tickets(per_page=100)  # the API's default 30-day window is not empty
    assert len(recent) >= 30


def test_each_peculiar_ticket_is_there(fd: Freshdesk, app_db: Path) -> None:
    summary = fill(fd, app_db)
    s = summary.special
    state = fd.admin("GET", "state")
    tickets, contacts = by_id(state["tickets"]), by_id(state["contacts"])
    several = fd.get(f"/api/v2/tickets/{s['updated_several_times']}", include="stats").json()
    assert several["status"] == 5 and several["tags"] == ["relance"]
    assert several["updated_at"] > several["created_at"]
    assert several["stats"]["resolved_at"] < several["stats"]["closed_at"]
    change = summary.email_change
    changed = contacts[change["contact_id"]]
    assert changed["email"] == change["new_email"] != change["old_email"]
    ticket = tickets[s["requester_email_changed"]]
    assert ticket["requester_id"] == change["contact_id"]
    assert changed["updated_at"] > ticket["created_at"]
    new = tickets[s["created_with_new_requester"]]
    assert contacts[new["requester_id"]]["created_at"] == new["created_at"]
    deleted = {t["id"] for t in fd.tickets(filter="deleted", updated_since="2020-01-01")}
    spam = {t["id"] for t in fd.tickets(filter="spam", updated_since="2020-01-01")}
    assert deleted == {s["deleted"], s["deleted_bulk"]}
    assert spam == {s["spam"], s["spam_bulk"]}
    assert tickets[s["custom_status"]]["status"] == 6
    long = fd.get(f"/api/v2/tickets/{s['long_description']}").json()
    assert len(long["description"]) == LONG_DESCRIPTION_LENGTH
    assert summary.tickets_via_api == 7 and summary.window_since is None


def test_the_same_seed_gives_the_same_account(fd: Freshdesk, app_db: Path) -> None:
    def account() -> dict[str, Any]:
        state = fd.admin("GET", "state")
        state["agents"] = state["agents"][1:]  # the administrator is dated by the reset
        return state

    first = fill(fd, app_db)
    before = account()
    again = fill(fd, app_db, replace=True)
    assert account() == before
    assert (again.special, again.email_change) == (first.special, first.email_change)
    fill(fd, app_db, seed=4, replace=True)
    assert account()["tickets"] != before["tickets"]


def test_one_window_holds_more_tickets_than_300_pages(fd: Freshdesk, app_db: Path) -> None:
    summary = fill(fd, app_db, tickets=60, bulk_window_tickets=30_001)
    assert summary.window_since is not None and summary.window_tickets > 30_000
    page = fd.get("/api/v2/tickets", updated_since=summary.window_since, per_page=100, page=300)
    assert page.status_code == 200 and len(page.json()) == 100
    assert "page=301" in page.headers["link"]  # and page 301 is refused: a new window is due
    assert fd.get("/api/v2/tickets", updated_since=summary.window_since, per_page=100,
                  page=301).status_code == 400  # fmt: skip


def test_a_filled_account_is_kept_unless_replaced(fd: Freshdesk, app_db: Path) -> None:
    fill(fd, app_db, tickets=60)
    with pytest.raises(FreshdeskDemoError, match="replace=True"):
        fill(fd, app_db, tickets=60)
    with pytest.raises(FreshdeskDemoError, match="refused the API key"):
        fill_freshdesk(fd.base_url, "wrong", f"sqlite:///{app_db}", seed=3, now=NOW, tickets=60)
