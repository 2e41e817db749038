"""Tickets as Freshdesk holds and shows them: the account's statuses, priorities,
sources and types, the fields a request may set, the SLA due dates, the stats a status
change stamps, and the JSON of a ticket in a list and in a view."""

from __future__ import annotations

import html
import re
from typing import Any

from .fields import Fields, given
from .store import Record
from .timefmt import iso

# A new account's statuses: the four built-in ones and the two custom ones Freshdesk
# creates with every account (custom statuses are numbered from 6).
STATUSES = {
    2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed",
    6: "Waiting on Customer", 7: "Waiting on Third Party",
}  # fmt: skip
OPEN, PENDING, RESOLVED, CLOSED = 2, 3, 4, 5
PRIORITIES = (1, 2, 3, 4)  # low, medium, high, urgent
# Email, portal, phone, Twitter, Facebook, chat, feedback widget, outbound email.
SOURCES = (1, 2, 3, 5, 6, 7, 9, 10)
TYPES = ("Question", "Incident", "Problem", "Feature Request", "Refund")
# The default SLA policy, in calendar hours by priority: (first response, resolution).
SLA_HOURS = {4: (1, 4), 3: (4, 8), 2: (8, 24), 1: (24, 72)}

# The fields the API sets on create and update ("Create a Ticket", "Update a Ticket").
REQUESTER_FIELDS = ("requester_id", "email", "phone", "unique_external_id", "name")
WRITABLE = (
    "subject", "description", "status", "priority", "source", "type", "tags",
    "responder_id", "group_id", "product_id", "email_config_id", "company_id",
    "custom_fields", "due_by", "fr_due_by",
)  # fmt: skip
# Real Freshdesk fields the emulator does not model: refused with a message saying so.
NOT_MODELLED = (
    "facebook_id", "twitter_id", "attachments", "parent_id", "internal_agent_id",
    "internal_group_id", "lookup_parameter",
)  # fmt: skip

# The keys of a ticket in a list, in Freshdesk's order; a view adds the description.
LIST_FIELDS = (
    "cc_emails", "fwd_emails", "reply_cc_emails", "ticket_cc_emails", "fr_escalated",
    "spam", "email_config_id", "group_id", "priority", "requester_id", "responder_id",
    "source", "company_id", "status", "subject", "association_type", "support_email",
    "to_emails", "product_id", "id", "type", "due_by", "fr_due_by", "is_escalated",
    "custom_fields", "created_at", "updated_at", "associated_tickets_count", "tags",
    "nr_due_by", "nr_escalated",
)  # fmt: skip
TIMES = frozenset({"due_by", "fr_due_by", "created_at", "updated_at", "nr_due_by"})
STATS = (
    "agent_responded_at", "requester_responded_at", "first_responded_at",
    "status_updated_at", "reopened_at", "resolved_at", "closed_at", "pending_since",
)  # fmt: skip

_BREAKS = re.compile(r"<br\s*/?>|</(?:p|div|li|h\d)>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


def description_text(description: str | None) -> str | None:
    """The description without its HTML, as Freshdesk's `description_text`."""
    if description is None:
        return None
    return html.unescape(_TAGS.sub("", _BREAKS.sub("\n", description))).strip()


def as_html(description: str) -> str:
    """Freshdesk keeps a plain-text description wrapped in a `<div>`."""
    return description if description.lstrip().startswith("<") else f"<div>{description}</div>"


def read_writable(f: Fields, sources: tuple[int, ...] | None = SOURCES) -> dict[str, Any]:
    """The ticket fields of a create or update request that are present and valid
    (`sources` None: any source, as a bulk load may hold sources the API cannot set)."""
    for name in NOT_MODELLED:
        if name in f:
            f.problem(name, "The Freshdesk emulator does not model this field: leave it out",
                      "invalid_field")  # fmt: skip
    return given({
        "subject": f.string("subject"),
        "description": f.string("description"),
        "status": f.integer("status", choices=tuple(STATUSES)),
        "priority": f.integer("priority", choices=PRIORITIES),
        "source": f.integer("source", choices=sources),
        "type": f.choice("type", TYPES),
        "tags": f.strings("tags"),
        "responder_id": f.integer("responder_id"),
        "group_id": f.integer("group_id"),
        "product_id": f.integer("product_id"),
        "email_config_id": f.integer("email_config_id"),
        "company_id": f.integer("company_id"),
        "custom_fields": f.mapping("custom_fields"),
        "due_by": f.datetime("due_by"),
        "fr_due_by": f.datetime("fr_due_by"),
    })  # fmt: skip


def new_ticket(rid: int, values: dict[str, Any], requester: Record, now: int) -> Record:
    """A ticket created at `now` (or at `values["created_at"]`, for a bulk load)."""
    created = values.get("created_at", now)
    priority = values.get("priority", 1)
    respond_h, resolve_h = SLA_HOURS.get(priority, SLA_HOURS[1])
    description = values.get("description")
    ticket: Record = {
        "id": rid,
        "subject": values.get("subject"),
        "description": None if description is None else as_html(description),
        "status": values.get("status", OPEN),
        "priority": priority,
        "source": values.get("source", 2),
        "type": values.get("type"),
        "tags": values.get("tags", []),
        "cc_emails": values.get("cc_emails", []),
        "fwd_emails": [], "reply_cc_emails": values.get("cc_emails", []),
        "ticket_cc_emails": values.get("cc_emails", []), "to_emails": None,
        "requester_id": requester["id"],
        "responder_id": values.get("responder_id"),
        "company_id": values.get("company_id", requester.get("company_id")),
        "group_id": values.get("group_id"),
        "product_id": values.get("product_id"),
        "email_config_id": values.get("email_config_id"),
        "association_type": None, "support_email": None, "associated_tickets_count": None,
        "custom_fields": values.get("custom_fields", {}),
        "fr_escalated": values.get("fr_escalated", False),
        "is_escalated": values.get("is_escalated", False),
        "nr_due_by": None, "nr_escalated": False,
        "spam": values.get("spam", False),
        "deleted": values.get("deleted", False),
        "due_by": values.get("due_by", created + resolve_h * 3600),
        "fr_due_by": values.get("fr_due_by", created + respond_h * 3600),
        "created_at": created,
        "updated_at": values.get("updated_at", created),
        "stats": dict.fromkeys(STATS),
    }  # fmt: skip
    ticket["description_text"] = description_text(ticket["description"])
    ticket["stats"] = stamped(ticket["stats"], None, ticket["status"], ticket["updated_at"])
    ticket["stats"].update(values.get("stats", {}))
    return ticket


def updated_ticket(ticket: Record, values: dict[str, Any], now: int) -> Record:
    """`ticket` with `values` applied at `now` (its `updated_at`)."""
    changed = {**ticket, **values, "updated_at": now}
    if "description" in values:
        changed["description"] = (
            None if values["description"] is None else as_html(values["description"])
        )
        changed["description_text"] = description_text(changed["description"])
    if values.get("status", ticket["status"]) != ticket["status"]:
        changed["stats"] = stamped(ticket["stats"], ticket["status"], values["status"], now)
    return changed


def stamped(stats: dict[str, Any], old: int | None, new: int, now: int) -> dict[str, Any]:
    """The stats after the status went from `old` to `new` at `now`."""
    stats = {**stats, "status_updated_at": now}
    if new == PENDING:
        stats["pending_since"] = now
    if new in (RESOLVED, CLOSED) and stats.get("resolved_at") is None:
        stats["resolved_at"] = now
    if new == CLOSED:
        stats["closed_at"] = now
    if old in (RESOLVED, CLOSED) and new not in (RESOLVED, CLOSED):
        stats["reopened_at"] = now
    return stats


def render(ticket: Record, *, view: bool = False, description: bool = False) -> dict[str, Any]:
    """The ticket's JSON: a list's fields (with the description on request), or a view's."""
    out = {k: (iso(ticket.get(k)) if k in TIMES else ticket.get(k)) for k in LIST_FIELDS}
    if ticket.get("deleted"):
        out["deleted"] = True
    if view or description:
        out["description"] = ticket["description"]
        out["description_text"] = ticket["description_text"]
    if view:
        out["attachments"] = []
    return out


def render_stats(ticket: Record) -> dict[str, Any]:
    return {k: iso(ticket["stats"].get(k)) for k in STATS}
