"""The contact, company and agent endpoints. Contacts and companies are listed by name
(Freshdesk: "By default, the contacts will be returned in alphabetical order"), filtered
by `_updated_since` or `updated_since` (both spellings are in use), paged by the `link`
header, without the ticket list's 300-page cap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..toolkit import Req, Result, RouteTable
from . import agents, companies, contacts
from .answers import not_found
from .fields import Fields
from .paging import Page, listed, refuse_unknown, since
from .store import Record
from .ticket_list import integer, one_of

if TYPE_CHECKING:
    from .account import Account

table = RouteTable()
CONTACTS = "/api/v2/contacts"
COMPANIES = "/api/v2/companies"
AGENTS = "/api/v2/agents"
CONTACT_STATES = ("blocked", "deleted", "unverified", "verified")
SINCE = ("_updated_since", "updated_since")


def record_of(em: Account, kind: str, raw: str) -> Record:
    found = em.store.get(kind, int(raw)) if raw.isdigit() else None
    if found is None:
        raise not_found()
    return found


def by_name(em: Account, kind: str, key: Any, keep: Any) -> list[Record]:
    """The records `keep` accepts, by name then id (cached until the next change)."""

    def compute() -> list[Record]:
        chosen = [r for r in em.store.all(kind).values() if keep(r)]
        chosen.sort(key=lambda r: ((r.get("name") or "").lower(), r["id"]))
        return chosen

    return em.lists.get(em.store.version, (kind, key), compute)


def updated_since(records: list[Record], start: int | None) -> list[Record]:
    return records if start is None else [r for r in records if r["updated_at"] >= start]


@table.add("GET", CONTACTS)
def list_contacts(em: Account, req: Req) -> Result:
    refuse_unknown(req, ("email", "mobile", "phone", "company_id", "state", *SINCE,
                         "page", "per_page"))  # fmt: skip
    page = Page.of(req)
    state = one_of(req, "state", CONTACT_STATES, None)
    wanted = {
        "email": (req.query.get("email") or "").strip().lower() or None,
        "mobile": req.query.get("mobile"),
        "phone": req.query.get("phone"),
        "company_id": integer(req, "company_id"),
    }

    def keep(c: Record) -> bool:
        if any(v is not None and (c.get(k) or None) != v for k, v in wanted.items()):
            return False
        if state == "deleted":
            return bool(c["deleted"])
        if c["deleted"] or state == "blocked":  # the emulator models no blocked contact
            return False
        return state is None or c["active"] == (state == "verified")

    chosen = updated_since(by_name(em, "contacts", (state, *wanted.values()), keep),
                           since(req, *SINCE))  # fmt: skip
    return listed(req, CONTACTS, page, chosen, contacts.render)


@table.add("GET", CONTACTS + "/{contact_id}")
def view_contact(em: Account, req: Req) -> Result:
    return 200, contacts.render(record_of(em, "contacts", req.params["contact_id"]))


@table.add("POST", CONTACTS, mutates=True)
def create_contact(em: Account, req: Req) -> Result:
    f = Fields(req.body, contacts.WRITABLE)
    values = contacts.read_contact(f, em.store, creating=True)
    f.check()
    contacts.check_unique_emails(em.store, values)
    contact = contacts.new_contact(em.store.allocate("next_user_id"), values, em.clock.now())
    em.store.save("contacts", contact)
    return 201, contacts.render(contact)


@table.add("PUT", CONTACTS + "/{contact_id}", mutates=True)
def update_contact(em: Account, req: Req) -> Result:
    contact = record_of(em, "contacts", req.params["contact_id"])
    f = Fields(req.body if req.body is not None else {}, contacts.WRITABLE)
    values = contacts.read_contact(f, em.store, creating=False)
    f.check()
    contacts.check_unique_emails(em.store, values, contact["id"])
    changed = {**contact, **values, "updated_at": em.clock.now()}
    em.store.save("contacts", changed)
    return 200, contacts.render(changed)


@table.add("GET", COMPANIES)
def list_companies(em: Account, req: Req) -> Result:
    refuse_unknown(req, (*SINCE, "page", "per_page"))
    page = Page.of(req)
    chosen = updated_since(by_name(em, "companies", (), lambda c: True), since(req, *SINCE))
    return listed(req, COMPANIES, page, chosen, companies.render)


@table.add("GET", COMPANIES + "/{company_id}")
def view_company(em: Account, req: Req) -> Result:
    return 200, companies.render(record_of(em, "companies", req.params["company_id"]))


@table.add("POST", COMPANIES, mutates=True)
def create_company(em: Account, req: Req) -> Result:
    f = Fields(req.body, companies.WRITABLE)
    values = companies.read_company(f, creating=True)
    f.check()
    companies.check_unique_name(em.store, values["name"])
    company = companies.new_company(em.store.allocate("next_company_id"), values,
                                    em.clock.now())  # fmt: skip
    em.store.save("companies", company)
    return 201, companies.render(company)


@table.add("GET", AGENTS)
def list_agents(em: Account, req: Req) -> Result:
    """What clients call to test their credentials."""
    refuse_unknown(req, ("email", "mobile", "phone", "state", "page", "per_page"))
    page = Page.of(req)
    everyone = sorted(em.store.all("agents").values(), key=lambda a: a["id"])
    return listed(req, AGENTS, page, everyone, agents.render)


@table.add("GET", AGENTS + "/me")
def current_agent(em: Account, req: Req) -> Result:
    return 200, agents.render(em.store.get("agents", min(em.store.all("agents"))))
