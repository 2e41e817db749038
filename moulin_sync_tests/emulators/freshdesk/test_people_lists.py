"""Contacts, companies and agents listings: updated_since (both spellings), paging by the
link header beyond 300 pages, and what clients call to test a connection."""

from __future__ import annotations

from .helpers import NOW, Freshdesk, days_ago


def test_contacts_updated_since_with_either_spelling(fd: Freshdesk) -> None:
    fd.bulk(contacts=[
        {"name": "Ancien", "email": "a@example.fr", "created_at": days_ago(90), "updated_at": days_ago(60)},
        {"name": "Récent", "email": "r@example.fr", "created_at": days_ago(90), "updated_at": days_ago(2)},
    ])  # fmt: skip
    for name in ("_updated_since", "updated_since"):
        listed = fd.get("/api/v2/contacts", **{name: days_ago(10)}).json()
        assert [c["name"] for c in listed] == ["Récent"]
    everyone = fd.get("/api/v2/contacts").json()
    assert [c["name"] for c in everyone] == ["Ancien", "Récent"]  # alphabetical
    assert fd.get("/api/v2/contacts", email="R@example.fr").json()[0]["name"] == "Récent"


def test_contacts_page_past_300_by_the_link_header(fd: Freshdesk) -> None:
    fd.bulk(contacts=[{"name": f"C{i:03}", "email": f"c{i}@example.fr"} for i in range(302)])
    url: str | None = "/api/v2/contacts?per_page=1"
    pages = 0
    while url:
        r = fd.http.get(url)
        assert r.status_code == 200, r.text
        pages += 1
        link = r.headers.get("link")
        url = link[1 : link.index(">")] if link else None
    assert pages == 302


def test_companies_listed_and_filtered(fd: Freshdesk) -> None:
    fd.bulk(companies=[
        {"name": "Zeste", "created_at": days_ago(30), "updated_at": days_ago(1)},
        {"name": "Alpha", "created_at": days_ago(30), "updated_at": days_ago(20)},
    ])  # fmt: skip
    assert [c["name"] for c in fd.get("/api/v2/companies").json()] == ["Alpha", "Zeste"]
    recent = fd.get("/api/v2/companies", updated_since=days_ago(5)).json()
    assert [c["name"] for c in recent] == ["Zeste"]
    assert recent[0]["updated_at"] == days_ago(1)


def test_agents_and_me_answer_with_the_accounts_administrator(fd: Freshdesk) -> None:
    fd.clock(NOW)
    agents = fd.get("/api/v2/agents").json()
    assert len(agents) == 1 and agents[0]["contact"]["email"]
    me = fd.get("/api/v2/agents/me").json()
    assert me["id"] == agents[0]["id"]
    fd.bulk(agents=[{"name": "Camille", "email": "camille@moulin.example"}])
    assert [a["contact"]["name"] for a in fd.get("/api/v2/agents").json()][1] == "Camille"
