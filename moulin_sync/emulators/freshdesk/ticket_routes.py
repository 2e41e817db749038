"""The ticket endpoints: list, view, create, update, delete (to the trash), restore."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..toolkit import Req, Result, RouteTable
from . import contacts, ticket_list, tickets
from .answers import not_found, status_error
from .fields import Fields
from .paging import listed
from .store import Record

if TYPE_CHECKING:
    from .account import Account

table = RouteTable()
TICKETS = "/api/v2/tickets"
VIEW_INCLUDES = ("requester", "company", "stats", "conversations")


def ticket_of(em: Account, req: Req) -> Record:
    raw = req.params["ticket_id"]
    ticket = em.store.get("tickets", int(raw)) if raw.isdigit() else None
    if ticket is None:
        raise not_found()
    return ticket


def writable(ticket: Record) -> None:
    """Freshdesk answers 405 to a change of a ticket in the trash or marked as spam."""
    if ticket["deleted"] or ticket["spam"]:
        where = "in the trash" if ticket["deleted"] else "marked as spam"
        raise status_error(405, f"Ticket {ticket['id']} is {where}: it cannot be changed. "
                           "Restore it first (PUT /api/v2/tickets/{id}/restore).")  # fmt: skip


def rendered(em: Account, ticket: Record, embeds: tuple[str, ...], view: bool) -> Any:
    out = tickets.render(ticket, view=view, description="description" in embeds)
    if "requester" in embeds:
        requester = em.store.get("contacts", ticket["requester_id"])
        out["requester"] = None if requester is None else contacts.requester_embed(requester)
    if "company" in embeds:
        company = em.store.get("companies", ticket["company_id"] or 0)
        out["company"] = None if company is None else {"id": company["id"], "name": company["name"]}
    if "stats" in embeds:
        out["stats"] = tickets.render_stats(ticket)
    if "conversations" in embeds:
        out["conversations"] = []  # the emulator models no conversation
    return out


@table.add("GET", TICKETS)
def list_tickets(em: Account, req: Req) -> Result:
    listing = ticket_list.parse(req, em.store)
    ids = em.lister.matching(listing, em.clock.now())
    records = em.store.all("tickets")
    return listed(req, TICKETS, listing.page, ids,
                  lambda rid: rendered(em, records[rid], listing.includes, view=False))  # fmt: skip


@table.add("POST", TICKETS, mutates=True)
def create_ticket(em: Account, req: Req) -> Result:
    f = Fields(req.body, (*tickets.WRITABLE, *tickets.REQUESTER_FIELDS, "cc_emails",
                          *tickets.NOT_MODELLED))  # fmt: skip
    now = em.clock.now()
    values = tickets.read_writable(f)
    cc_emails = f.emails("cc_emails")
    if isinstance(cc_emails, list):
        values["cc_emails"] = cc_emails
    for name in ("subject", "description"):
        if name not in f:
            f.problem(name, "It should be a/an String", "missing_field")
    check_references(em, f, values)
    requester = contacts.requester_for(f, em.store, now, required=True)
    f.check()
    assert requester is not None  # a missing requester is a problem raised above
    ticket = tickets.new_ticket(em.store.allocate("next_ticket_id"), values, requester, now)
    em.store.save("tickets", ticket)
    host = req.headers.get("host", "localhost")
    return (
        201,
        rendered(em, ticket, (), view=True),
        {"Location": f"http://{host}{TICKETS}/{ticket['id']}"},
    )


@table.add("GET", TICKETS + "/{ticket_id}")
def view_ticket(em: Account, req: Req) -> Result:
    embeds = ticket_list.includes(req, VIEW_INCLUDES)
    return 200, rendered(em, ticket_of(em, req), embeds, view=True)


@table.add("PUT", TICKETS + "/{ticket_id}", mutates=True)
def update_ticket(em: Account, req: Req) -> Result:
    ticket = ticket_of(em, req)
    writable(ticket)
    f = Fields(req.body if req.body is not None else {},
               (*tickets.WRITABLE, *tickets.REQUESTER_FIELDS, *tickets.NOT_MODELLED))  # fmt: skip
    now = em.clock.now()
    values = tickets.read_writable(f)
    check_references(em, f, values)
    requester = contacts.requester_for(f, em.store, now, required=False)
    f.check()
    if requester is not None:
        values["requester_id"] = requester["id"]
    if not values:
        return 200, rendered(em, ticket, (), view=True)
    changed = tickets.updated_ticket(ticket, values, now)
    em.store.save("tickets", changed)
    return 200, rendered(em, changed, (), view=True)


@table.add("DELETE", TICKETS + "/{ticket_id}", mutates=True)
def delete_ticket(em: Account, req: Req) -> Result:
    """To the trash: listed only by `filter=deleted`, restorable."""
    ticket = ticket_of(em, req)
    writable(ticket)
    em.store.save("tickets", {**ticket, "deleted": True, "updated_at": em.clock.now()})
    return 204, None


@table.add("PUT", TICKETS + "/{ticket_id}/restore", mutates=True)
def restore_ticket(em: Account, req: Req) -> Result:
    ticket = ticket_of(em, req)
    if not ticket["deleted"]:
        raise not_found()  # restore only finds tickets in the trash
    em.store.save("tickets", {**ticket, "deleted": False, "updated_at": em.clock.now()})
    return 204, None


def check_references(em: Account, f: Fields, values: dict[str, Any]) -> None:
    """The responder must be an agent and the company a company of the account."""
    responder = values.get("responder_id")
    if responder is not None and em.store.get("agents", responder) is None:
        f.problem("responder_id", "There is no agent matching the given responder_id")
    company = values.get("company_id")
    if company is not None and em.store.get("companies", company) is None:
        f.problem("company_id", "There is no company matching the given company_id")
