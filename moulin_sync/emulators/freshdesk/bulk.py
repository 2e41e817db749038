"""The admin bulk load (`POST /_emulator/bulk`): companies, contacts, agents and tickets
with their own dates (`created_at`, `updated_at`), states (`deleted`, `spam`) and, when
wanted, ids — what the public API cannot set, at the speed a 100,000-ticket demo needs.

Kinds load in that order, so a load's contacts may name its companies by id only when
the ids are explicit; otherwise load companies first and use the ids answered. One
wrong record fails the whole load (400 naming each problem, e.g. `tickets[3].status`),
and nothing is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import agents, companies, contacts, tickets
from .answers import invalid, validation_failed
from .fields import Fields, given
from .store import COUNTERS, Record

if TYPE_CHECKING:
    from .account import Account

KINDS = ("companies", "contacts", "agents", "tickets")
LOADED = ("id", "created_at", "updated_at")
MAX_ERRORS = 50
Reader = Callable[["Account", Fields, int], Record]


def load(em: Account, body: Any) -> dict[str, list[int]]:
    """Load every record of `body`; the ids given to each kind, in order."""
    if not isinstance(body, dict) or any(k not in KINDS for k in body):
        raise invalid(None, f"The body must be an object with lists among: {', '.join(KINDS)}")
    errors: list[dict[str, Any]] = []
    loaded: dict[str, list[int]] = {}
    for kind in KINDS:
        rows = body.get(kind, [])
        if not isinstance(rows, list):
            raise invalid(kind, "It should be a/an Array", "datatype_mismatch")
        loaded[kind] = []
        for i, row in enumerate(rows):
            f = Fields(row, ALLOWED[kind], prefix=f"{kind}[{i}].")
            record = READERS[kind](em, f, em.clock.now())
            if f.errors:
                errors.extend(f.errors)
                if len(errors) >= MAX_ERRORS:
                    raise validation_failed(errors)
                continue
            em.store.save(kind, record)
            loaded[kind].append(record["id"])
    if errors:
        raise validation_failed(errors)
    return loaded


def _times(f: Fields, now: int) -> dict[str, Any]:
    values = given({"created_at": f.datetime("created_at"), "updated_at": f.datetime("updated_at")})
    values.setdefault("created_at", now)
    values.setdefault("updated_at", values["created_at"])
    if values["updated_at"] < values["created_at"]:
        f.problem("updated_at", "It should not be before created_at")
    return values


def _id(em: Account, f: Fields, kind: str) -> int:
    """The record's explicit id when free, else the next one of its sequence."""
    counter = COUNTERS[kind]
    rid = f.integer("id")
    if not isinstance(rid, int):
        return em.store.allocate(counter)
    users = ("contacts", "agents")  # one id sequence for both
    taken = any(em.store.get(k, rid) for k in (users if kind in users else (kind,)))
    if rid < 1 or taken:
        f.problem("id", f"Id {rid} is already taken (or not positive)")
    em.store.reserve(counter, rid)
    return rid


def _company(em: Account, f: Fields, now: int) -> Record:
    values = companies.read_company(f, creating=True) | _times(f, now)
    name = values.get("name")
    if isinstance(name, str) and em.store.company_named_as(name) is not None:
        f.problem("name", "It should be a unique value", "duplicate_value")
    return companies.new_company(_id(em, f, "companies"), values, now)


def _contact(em: Account, f: Fields, now: int) -> Record:
    values = contacts.read_contact(f, em.store, creating=True) | _times(f, now)
    values |= given({"active": f.boolean("active"), "deleted": f.boolean("deleted")})
    for email in [values.get("email"), *values.get("other_emails", [])]:
        if email and em.store.contact_with_email(email) is not None:
            f.problem("email", f"It should be a unique value ({email} is taken)",
                      "duplicate_value")  # fmt: skip
    return contacts.new_contact(_id(em, f, "contacts"), values, now)


def _agent(em: Account, f: Fields, now: int) -> Record:
    values = given({"name": f.string("name", required=True), "email": f.email("email"),
                    "job_title": f.string("job_title")}) | _times(f, now)  # fmt: skip
    return agents.new_agent(_id(em, f, "agents"), values, now)


def _ticket(em: Account, f: Fields, now: int) -> Record:
    values = tickets.read_writable(f, sources=None) | _times(f, now)
    values |= given({
        "cc_emails": f.emails("cc_emails"), "deleted": f.boolean("deleted"),
        "spam": f.boolean("spam"), "fr_escalated": f.boolean("fr_escalated"),
        "is_escalated": f.boolean("is_escalated"), "stats": _stats(f),
    })  # fmt: skip
    requester = em.store.get("contacts", f.integer("requester_id", required=True) or 0)
    if requester is None and "requester_id" in f:
        f.problem("requester_id", "There is no contact matching the given requester_id")
    for field, kind, what in (("responder_id", "agents", "agent"),
                              ("company_id", "companies", "company")):  # fmt: skip
        rid = values.get(field)
        if rid is not None and em.store.get(kind, rid) is None:
            f.problem(field, f"There is no {what} matching the given {field}")
    if f.errors:
        return {}
    return tickets.new_ticket(_id(em, f, "tickets"), values, requester or {}, now)


def _stats(f: Fields) -> Any:
    raw = f.mapping("stats")
    if not isinstance(raw, dict):
        return raw
    inner = Fields(raw, tickets.STATS, prefix=f.prefix + "stats.")
    stamps = given({name: inner.datetime(name) for name in tickets.STATS if name in raw})
    f.errors.extend(inner.errors)
    return stamps


READERS: dict[str, Reader] = {
    "companies": _company, "contacts": _contact, "agents": _agent, "tickets": _ticket,
}  # fmt: skip
ALLOWED = {
    "companies": (*companies.WRITABLE, *LOADED),
    "contacts": (*contacts.WRITABLE, *LOADED, "active", "deleted"),
    "agents": ("name", "email", "job_title", *LOADED),
    "tickets": (*tickets.WRITABLE, *LOADED, "requester_id", "cc_emails", "deleted", "spam",
                "fr_escalated", "is_escalated", "stats"),
}  # fmt: skip
