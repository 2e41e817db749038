"""GET /api/v2/tickets: the link header, the 300-page cap, the 30-day default window,
updated_since and the order, embeds, and the trash and spam listings."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from .helpers import NOW, Freshdesk, days_ago


def next_url(link: str) -> str:
    assert link.startswith("<") and link.endswith('>; rel="next"'), link
    return link[1 : -len('>; rel="next"')]


def test_pages_follow_the_link_header_on_the_requests_own_host(fd: Freshdesk) -> None:
    fd.clock(NOW)
    who = fd.contact()
    ids = fd.load_tickets(who, [(days_ago(1 + i / 100), days_ago(1)) for i in range(7)])
    seen: list[int] = []
    url = "/api/v2/tickets?per_page=3&order_by=created_at&order_type=asc&updated_since=2025-01-01T00:00:00Z"
    pages = 0
    while url:
        r = fd.http.get(url)
        assert r.status_code == 200
        seen += [t["id"] for t in r.json()]
        pages += 1
        link = r.headers.get("link")
        if link is None:
            break
        url = next_url(link)
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == fd.base_url
        query = parse_qs(parts.query)
        assert query["page"] == [str(pages + 1)]
        assert query["per_page"] == ["3"] and query["order_type"] == ["asc"]
        assert query["updated_since"] == ["2025-01-01T00:00:00Z"]
    assert pages == 3
    assert seen == sorted(ids, reverse=True)  # created_at ascending: the oldest first


def test_default_page_is_30_and_per_page_is_at_most_100(fd: Freshdesk) -> None:
    fd.clock(NOW)
    who = fd.contact()
    fd.load_tickets(who, [(days_ago(1), days_ago(1))] * 101)
    assert len(fd.tickets()) == 30
    assert len(fd.tickets(per_page=100)) == 100
    r = fd.get("/api/v2/tickets", per_page=101)
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "per_page"
    assert r.json()["description"] == "Validation failed"


def test_page_301_is_refused_and_page_300_still_links_to_it(fd: Freshdesk) -> None:
    fd.clock(NOW)
    who = fd.contact()
    fd.load_tickets(who, [(days_ago(2), days_ago(1))] * 301)
    last = fd.get("/api/v2/tickets", per_page=1, page=300)
    assert last.status_code == 200 and len(last.json()) == 1
    assert "page=301" in last.headers["link"]
    beyond = fd.http.get(next_url(last.headers["link"]))
    assert beyond.status_code == 400
    assert beyond.json() == {
        "description": "Validation failed",
        "errors": [{
            "field": "page",
            "message": "You cannot access tickets beyond the 300th page. Please provide a "
            "smaller page number.",
            "code": "invalid_value",
        }],
    }  # fmt: skip


def test_without_updated_since_only_tickets_created_in_30_days_are_listed(fd: Freshdesk) -> None:
    fd.clock(NOW)
    who = fd.contact()
    old_but_updated, recent = fd.load_tickets(
        who, [(days_ago(31), days_ago(0.5)), (days_ago(29), days_ago(29))]
    )
    assert [t["id"] for t in fd.tickets()] == [recent]
    since = [t["id"] for t in fd.tickets(updated_since=days_ago(40))]
    assert sorted(since) == sorted([old_but_updated, recent])
    fd.advance(2 * 86_400)  # the window moves with the clock
    assert fd.tickets() == []


def test_updated_since_is_inclusive_and_orders_as_asked(fd: Freshdesk) -> None:
    fd.clock(NOW)
    who = fd.contact()
    a, b, c, d = fd.load_tickets(who, [
        (days_ago(60), days_ago(10)), (days_ago(50), days_ago(3)),
        (days_ago(40), days_ago(5)), (days_ago(45), days_ago(20)),
    ])  # fmt: skip
    listed = fd.tickets(updated_since=days_ago(10), order_by="updated_at", order_type="asc")
    assert [t["id"] for t in listed] == [a, c, b]  # d was updated before; a exactly at it
    desc = fd.tickets(updated_since=days_ago(10), order_by="updated_at")
    assert [t["id"] for t in desc] == [b, c, a]
    created = fd.tickets(updated_since=days_ago(100))  # default: created_at, desc
    assert [t["id"] for t in created] == [c, d, b, a]
    bad = fd.get("/api/v2/tickets", order_by="subject")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "order_by"
    assert fd.get("/api/v2/tickets", updated_since="hier").status_code == 400


def test_orders_by_status_and_due_by(fd: Freshdesk) -> None:
    fd.clock(NOW)
    who = fd.contact()
    rows = [(days_ago(3), days_ago(3))]
    open_ = fd.load_tickets(who, rows, status=2, due_by=days_ago(-3))[0]
    closed = fd.load_tickets(who, rows, status=5, due_by=days_ago(-1))[0]
    waiting = fd.load_tickets(who, rows, status=6, due_by=days_ago(-2))[0]
    assert [t["id"] for t in fd.tickets(order_by="status")] == [waiting, closed, open_]
    by_due = fd.tickets(order_by="due_by", order_type="asc")
    assert [t["id"] for t in by_due] == [closed, waiting, open_]


def test_ticket_fields_are_freshdesks(fd: Freshdesk) -> None:
    fd.clock(NOW)
    company = fd.bulk(companies=[{"name": "Boulangerie Martin"}])["companies"][0]
    who = fd.contact(company_id=company)
    fd.load_tickets(who, [(days_ago(2), days_ago(1))], status=6, priority=3, source=7,
                    type="Refund", tags=["livraison"], custom_fields={"cf_commande": "C-1"})  # fmt: skip
    (ticket,) = fd.tickets()
    for name in ("id", "subject", "status", "priority", "source", "requester_id", "responder_id",
                 "company_id", "group_id", "type", "tags", "cc_emails", "fr_escalated", "spam",
                 "due_by", "fr_due_by", "is_escalated", "custom_fields", "created_at",
                 "updated_at"):  # fmt: skip
        assert name in ticket, name
    assert "description" not in ticket and "deleted" not in ticket
    assert (ticket["status"], ticket["priority"], ticket["source"]) == (6, 3, 7)
    assert ticket["company_id"] == company and ticket["tags"] == ["livraison"]
    assert ticket["created_at"] == days_ago(2) and ticket["updated_at"].endswith("Z")


def test_include_requester_embeds_the_contact_and_costs_two_more_credits(fd: Freshdesk) -> None:
    fd.plan("enterprise")
    fd.clock(NOW)
    who = fd.contact("marie@example.fr", phone="0472000000")
    fd.load_tickets(who, [(days_ago(1), days_ago(1))])
    plain = fd.get("/api/v2/tickets")
    embedded = fd.get("/api/v2/tickets", include="requester")
    everything = fd.get("/api/v2/tickets", include="requester,description,stats")
    assert plain.headers["x-ratelimit-used-currentrequest"] == "1"
    assert embedded.headers["x-ratelimit-used-currentrequest"] == "3"
    assert everything.headers["x-ratelimit-used-currentrequest"] == "7"
    assert int(plain.headers["x-ratelimit-remaining"]) - 10 == int(
        everything.headers["x-ratelimit-remaining"]
    )
    assert embedded.json()[0]["requester"] == {
        "email": "marie@example.fr", "id": who, "mobile": None, "name": "Client",
        "phone": "0472000000",
    }  # fmt: skip
    full = everything.json()[0]
    assert full["description"] == "<div>x</div>" and full["description_text"] == "x"
    assert set(full["stats"]) >= {"first_responded_at", "resolved_at", "closed_at"}
    view = fd.get("/api/v2/tickets/1", include="requester,company")
    assert view.headers["x-ratelimit-used-currentrequest"] == "3"
    assert fd.get("/api/v2/tickets", include="notes").status_code == 400


def test_deleted_and_spam_tickets_are_listed_only_by_their_filter(fd: Freshdesk) -> None:
    fd.clock(NOW)
    who = fd.contact()
    times = [(days_ago(2), days_ago(1))]
    normal = fd.load_tickets(who, times)[0]
    trashed = fd.load_tickets(who, times, deleted=True)[0]
    spam = fd.load_tickets(who, times, spam=True)[0]
    assert [t["id"] for t in fd.tickets()] == [normal]
    deleted = fd.tickets(filter="deleted")
    assert [(t["id"], t["deleted"]) for t in deleted] == [(trashed, True)]
    assert [(t["id"], t["spam"]) for t in fd.tickets(filter="spam")] == [(spam, True)]
    assert fd.get("/api/v2/tickets", filter="archived").status_code == 400
    assert fd.get("/api/v2/tickets", colour="blue").json()["errors"][0]["code"] == "invalid_field"


def test_filters_by_requester_email_and_company(fd: Freshdesk) -> None:
    fd.clock(NOW)
    company = fd.bulk(companies=[{"name": "Le Fournil"}])["companies"][0]
    alice = fd.contact("alice@example.fr", company_id=company)
    bob = fd.contact("bob@example.fr")
    times = [(days_ago(2), days_ago(1))]
    mine = fd.load_tickets(alice, times)[0]
    fd.load_tickets(bob, times)
    assert [t["id"] for t in fd.tickets(email="ALICE@example.fr")] == [mine]
    assert [t["id"] for t in fd.tickets(requester_id=alice)] == [mine]
    assert [t["id"] for t in fd.tickets(company_id=company)] == [mine]
    assert fd.tickets(email="nobody@example.fr") == []
