"""The Freshdesk emulator's own admin routes (beside the toolkit's reset, state, stats and
faults; the service's credential, never rate limited):

- `POST /_emulator/bulk`: load companies, contacts, agents and tickets at once (`bulk`);
- `GET /_emulator/summary`: counts (tickets, deleted, spam, contacts...), plan and clock;
- `GET|POST /_emulator/clock`: read, set (`{"now": ISO, "frozen": bool}`; `"now": null`
  is the real time again) or move (`{"advance_seconds": N}`) the account's clock;
- `PUT /_emulator/plan`: `{"plan": "growth"}` switches the rate limits (counters reset);
- `PUT /_emulator/tickets/{ticket_id}/spam`: `{"spam": true|false}`, what an agent does
  in Freshdesk's web app (API v2 has no call for it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..toolkit import Req, Result, RouteTable
from . import agents, bulk, companies, contacts, tickets, timefmt
from .answers import invalid
from .fields import Fields, choices_message
from .limits import PLANS
from .ticket_routes import ticket_of

if TYPE_CHECKING:
    from .account import Account

table = RouteTable()


def snapshot(em: Account) -> dict[str, Any]:
    """Everything the account holds, as the API shows it (`GET /_emulator/state`)."""
    store = em.store
    return {
        "tickets": [full_ticket(t) for t in store.all("tickets").values()],
        "contacts": [contacts.render(c) for c in store.all("contacts").values()],
        "companies": [companies.render(c) for c in store.all("companies").values()],
        "agents": [agents.render(a) for a in store.all("agents").values()],
        "clock": clock_json(em),
    }


def full_ticket(ticket: dict[str, Any]) -> dict[str, Any]:
    """A ticket with everything: its view, its `deleted` flag and its stats."""
    out = tickets.render(ticket, view=True)
    out["deleted"] = ticket["deleted"]
    out["stats"] = tickets.render_stats(ticket)
    return out


def clock_json(em: Account) -> dict[str, Any]:
    return {"now": timefmt.iso(em.clock.now()), "frozen": em.clock.frozen}


@table.add("POST", "/_emulator/bulk", mutates=True)
def bulk_load(em: Account, req: Req) -> Result:
    return 200, bulk.load(em, req.body)


@table.add("GET", "/_emulator/summary")
def summary(em: Account, req: Req) -> Result:
    all_tickets = em.store.all("tickets").values()
    return 200, {
        "tickets": len(all_tickets),
        "deleted": sum(1 for t in all_tickets if t["deleted"]),
        "spam": sum(1 for t in all_tickets if t["spam"]),
        "contacts": len(em.store.all("contacts")),
        "companies": len(em.store.all("companies")),
        "agents": len(em.store.all("agents")),
        "plan": em.plan,
        "clock": clock_json(em),
    }


@table.add("GET", "/_emulator/clock")
def read_clock(em: Account, req: Req) -> Result:
    return 200, clock_json(em)


@table.add("POST", "/_emulator/clock", mutates=True)
def set_clock(em: Account, req: Req) -> Result:
    f = Fields(req.body if req.body is not None else {}, ("now", "frozen", "advance_seconds"))
    frozen = f.boolean("frozen")
    advance = f.integer("advance_seconds")
    now = f.datetime("now") if f.body.get("now") is not None else None
    f.check()
    if "now" in f:
        em.clock.set(now, frozen=frozen is True)
    if isinstance(advance, int):
        em.clock.advance(advance)
    return 200, clock_json(em)


@table.add("PUT", "/_emulator/plan")
def set_plan(em: Account, req: Req) -> Result:
    plan = req.body.get("plan") if isinstance(req.body, dict) else None
    if plan not in PLANS:
        raise invalid("plan", choices_message(PLANS))
    em.limiter.set_plan(plan)
    return 200, {"plan": plan}


@table.add("PUT", "/_emulator/tickets/{ticket_id}/spam", mutates=True)
def mark_spam(em: Account, req: Req) -> Result:
    ticket = ticket_of(em, req)
    f = Fields(req.body, ("spam",))
    spam = f.boolean("spam")
    if "spam" not in f:
        f.problem("spam", "It should be a/an Boolean", "missing_field")
    f.check()
    em.store.save("tickets", {**ticket, "spam": spam, "updated_at": em.clock.now()})
    return 200, tickets.render(em.store.get("tickets", ticket["id"]) or ticket, view=True)
