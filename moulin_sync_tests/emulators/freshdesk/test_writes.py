"""Writes through the public API: tickets created (with a new or known requester),
updated, deleted to the trash and restored; contacts and companies created and changed."""

from __future__ import annotations

from .helpers import NOW, Freshdesk, iso


def test_create_with_an_unknown_email_creates_the_requester(fd: Freshdesk) -> None:
    fd.clock(NOW)
    ticket = fd.create_ticket(email="Nouveau.Client@Example.fr", name="Nouveau Client",
                              priority=4, source=3, type="Incident", tags=["urgent"])  # fmt: skip
    contacts = fd.get("/api/v2/contacts").json()
    assert [(c["id"], c["email"], c["name"]) for c in contacts] == [
        (ticket["requester_id"], "nouveau.client@example.fr", "Nouveau Client")
    ]
    assert ticket["created_at"] == ticket["updated_at"] == iso(NOW)
    assert (ticket["status"], ticket["priority"], ticket["source"]) == (2, 4, 3)
    assert ticket["description"] == "<div>Bonjour</div>"
    again = fd.create_ticket(email="nouveau.client@example.fr")
    assert again["requester_id"] == ticket["requester_id"]  # found, not created twice
    assert len(fd.get("/api/v2/contacts").json()) == 1


def test_create_with_a_requester_id_takes_the_contacts_company(fd: Freshdesk) -> None:
    company = fd.post("/api/v2/companies", {"name": "Épicerie Durand"}).json()["id"]
    contact = fd.post("/api/v2/contacts", {"name": "Lou", "email": "lou@example.fr",
                                            "company_id": company}).json()  # fmt: skip
    ticket = fd.create_ticket(requester_id=contact["id"])
    assert ticket["requester_id"] == contact["id"] and ticket["company_id"] == company
    r = fd.post("/api/v2/tickets", {"subject": "s", "description": "d", "requester_id": 12})
    assert r.status_code == 400
    assert r.json()["errors"] == [{
        "field": "requester_id",
        "message": "There is no contact matching the given requester_id",
        "code": "invalid_value",
    }]  # fmt: skip


def test_validation_errors_are_listed_together_and_change_nothing(fd: Freshdesk) -> None:
    r = fd.post("/api/v2/tickets", {"email": "x@example.fr", "status": 9, "priority": "high",
                                     "colour": "red", "subject": "s"})  # fmt: skip
    assert r.status_code == 400
    body = r.json()
    assert body["description"] == "Validation failed"
    assert {(e["field"], e["code"]) for e in body["errors"]} == {
        ("status", "invalid_value"), ("priority", "datatype_mismatch"),
        ("colour", "invalid_field"), ("description", "missing_field"),
    }  # fmt: skip
    status = next(e for e in body["errors"] if e["field"] == "status")
    assert status["message"] == "It should be one of these values: '2,3,4,5,6,7'"
    assert fd.get("/api/v2/contacts").json() == []  # the requester was not kept


def test_update_bumps_updated_at_and_stamps_the_stats(fd: Freshdesk) -> None:
    fd.clock(NOW)
    ticket = fd.create_ticket(email="a@example.fr")
    fd.advance(3600)
    r = fd.put(f"/api/v2/tickets/{ticket['id']}", {"status": 4, "priority": 2, "tags": ["ok"]})
    assert r.status_code == 200
    updated = r.json()
    assert updated["created_at"] == iso(NOW)
    assert updated["updated_at"] == "2025-11-20T13:00:00Z"
    assert (updated["status"], updated["priority"], updated["tags"]) == (4, 2, ["ok"])
    stats = fd.get(f"/api/v2/tickets/{ticket['id']}", include="stats").json()["stats"]
    assert stats["resolved_at"] == "2025-11-20T13:00:00Z"
    fd.advance(60)
    custom = fd.put(f"/api/v2/tickets/{ticket['id']}", {"status": 6}).json()
    assert custom["status"] == 6 and custom["updated_at"] == "2025-11-20T13:01:00Z"
    assert fd.put("/api/v2/tickets/999", {"status": 4}).status_code == 404


def test_delete_moves_to_the_trash_and_restore_brings_back(fd: Freshdesk) -> None:
    fd.clock(NOW)
    ticket = fd.create_ticket(email="a@example.fr")
    path = f"/api/v2/tickets/{ticket['id']}"
    deleted = fd.delete(path)
    assert deleted.status_code == 204 and deleted.content == b""
    assert fd.tickets() == []
    assert [t["id"] for t in fd.tickets(filter="deleted")] == [ticket["id"]]
    view = fd.get(path).json()
    assert view["deleted"] is True
    assert fd.put(path, {"status": 5}).status_code == 405
    assert fd.delete(path).status_code == 405
    assert fd.put(path + "/restore").status_code == 204
    assert [t["id"] for t in fd.tickets()] == [ticket["id"]]
    assert "deleted" not in fd.get(path).json()
    assert fd.put(path + "/restore").status_code == 404  # only a trashed ticket restores


def test_spam_is_marked_through_the_admin_api_and_freezes_the_ticket(fd: Freshdesk) -> None:
    ticket = fd.create_ticket(email="spam@example.fr")
    path = f"/api/v2/tickets/{ticket['id']}"
    refused = fd.put(path, {"spam": True})  # API v2 has no field for it
    assert refused.status_code == 400
    assert refused.json()["errors"][0] == {
        "field": "spam", "message": "Unexpected/invalid field in request", "code": "invalid_field"
    }  # fmt: skip
    fd.admin("PUT", f"tickets/{ticket['id']}/spam", {"spam": True})
    assert fd.tickets() == []
    assert [t["id"] for t in fd.tickets(filter="spam")] == [ticket["id"]]
    assert fd.put(path, {"priority": 2}).status_code == 405


def test_a_contacts_email_changes_and_stays_unique(fd: Freshdesk) -> None:
    fd.clock(NOW)
    ticket = fd.create_ticket(email="ancien@example.fr", name="Paul")
    other = fd.post("/api/v2/contacts", {"name": "Zoé", "email": "zoe@example.fr"}).json()
    fd.advance(86_400)
    path = f"/api/v2/contacts/{ticket['requester_id']}"
    changed = fd.put(path, {"email": "Nouveau@Example.fr"})
    assert changed.status_code == 200
    assert changed.json()["email"] == "nouveau@example.fr"
    assert changed.json()["updated_at"] == "2025-11-21T12:00:00Z"
    embedded = fd.tickets(include="requester")[0]["requester"]
    assert embedded["email"] == "nouveau@example.fr"
    taken = fd.put(path, {"email": "zoe@example.fr"})
    assert taken.status_code == 409
    assert taken.json()["errors"][0]["code"] == "duplicate_value"
    assert taken.json()["errors"][0]["additional_info"] == {"user_id": other["id"]}
    again = fd.create_ticket(email="ancien@example.fr")  # the old email is free again
    assert again["requester_id"] != ticket["requester_id"]


def test_contacts_and_companies_are_created_and_validated(fd: Freshdesk) -> None:
    company = fd.post("/api/v2/companies", {"name": "La Mie Dorée", "domains": ["miedoree.fr"]})
    assert company.status_code == 201
    assert fd.post("/api/v2/companies", {"name": "la mie dorée"}).status_code == 409
    assert fd.post("/api/v2/companies", {}).json()["errors"][0]["code"] == "missing_field"
    contact = fd.post("/api/v2/contacts", {"name": "Ana", "email": "ana@example.fr",
                                            "company_id": company.json()["id"]})  # fmt: skip
    assert contact.status_code == 201
    assert contact.json()["company_id"] == company.json()["id"]
    no_id = fd.post("/api/v2/contacts", {"name": "Sans email"})
    assert no_id.status_code == 400 and no_id.json()["errors"][0]["field"] == "email"
    bad = fd.post("/api/v2/contacts", {"name": "X", "email": "pas-un-email"})
    assert bad.json()["errors"][0]["message"] == "It should be in the 'valid email address' format"
    unknown = fd.post("/api/v2/contacts", {"name": "Y", "email": "y@example.fr", "company_id": 5})
    assert unknown.status_code == 400
    assert fd.get(f"/api/v2/contacts/{contact.json()['id']}").json()["name"] == "Ana"
    assert fd.get(f"/api/v2/companies/{company.json()['id']}").json()["domains"] == ["miedoree.fr"]
