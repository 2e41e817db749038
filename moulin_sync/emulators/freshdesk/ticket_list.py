"""`GET /api/v2/tickets`: which tickets a listing holds, in which order.

Without `updated_since`, only tickets created in the last 30 days are listed (Freshdesk:
"By default, only tickets that have been created within the past 30 days will be
returned"); with it, every ticket updated at or after it. Deleted and spam tickets are
listed only by `filter=deleted` and `filter=spam`. The order is `order_by` (default
`created_at`) and `order_type` (default `desc`), ties broken by id in the same
direction. At most 300 pages: page 301 is Freshdesk's 400.

Sorting 100,000 tickets for every page would make a 300-page walk slow: the sorted
candidates are cached until the next change (`Store.version`); each page then only
slices (the ids from a date on are cached too).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..toolkit import Req
from .answers import invalid
from .fields import choices_message
from .paging import ListCache, Page, refuse_unknown, since
from .store import FIRST_USER_ID, Record, Store

ALLOWED = (
    "filter", "requester_id", "email", "unique_external_id", "company_id", "updated_since",
    "order_by", "order_type", "include", "page", "per_page",
)  # fmt: skip
FILTERS = ("new_and_my_open", "watching", "spam", "deleted")
ORDER_BY = ("created_at", "due_by", "updated_at", "status")
ORDER_TYPES = ("asc", "desc")
INCLUDES = ("requester", "description", "stats")
MAX_PAGE = 300
WINDOW_SECONDS = 30 * 86_400
PAGE_CAP_MESSAGE = (
    f"You cannot access tickets beyond the {MAX_PAGE}th page. Please provide a smaller page number."
)
# (id, created_at, updated_at) of a candidate ticket, in the listing's order.
Candidate = tuple[int, int, int]


@dataclass(frozen=True)
class TicketQuery:
    filter: str | None
    requester_id: int | None
    company_id: int | None
    order_by: str
    descending: bool


@dataclass(frozen=True)
class Listing:
    query: TicketQuery
    updated_since: int | None
    includes: tuple[str, ...]
    page: Page


def one_of(req: Req, name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    value = req.query.get(name, default)
    if value is not None and value not in choices:
        raise invalid(name, choices_message(choices))
    return value


def integer(req: Req, name: str) -> int | None:
    raw = req.query.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise invalid(name, "It should be a/an Integer", "datatype_mismatch") from None


def includes(req: Req, choices: tuple[str, ...]) -> tuple[str, ...]:
    raw = req.query.get("include")
    if raw is None:
        return ()
    names = tuple(n.strip() for n in raw.split(",") if n.strip())
    if not names or any(n not in choices for n in names):
        raise invalid("include", choices_message(choices))
    return names


def parse(req: Req, store: Store) -> Listing:
    """The listing a request asks for, or Freshdesk's 400 naming the wrong parameter."""
    refuse_unknown(req, ALLOWED)
    page = Page.of(req)
    if page.number > MAX_PAGE:
        raise invalid("page", PAGE_CAP_MESSAGE)
    requester_id = integer(req, "requester_id")
    for field, value in (("email", req.query.get("email")),
                         ("unique_external_id", req.query.get("unique_external_id"))):  # fmt: skip
        if value is not None:
            requester_id = _requester_id(store, field, value)
    query = TicketQuery(
        filter=one_of(req, "filter", FILTERS, None),
        requester_id=requester_id,
        company_id=integer(req, "company_id"),
        order_by=one_of(req, "order_by", ORDER_BY, "created_at") or "created_at",
        descending=one_of(req, "order_type", ORDER_TYPES, "desc") == "desc",
    )
    return Listing(query, since(req, "updated_since"), includes(req, INCLUDES), page)


def _requester_id(store: Store, field: str, value: str) -> int:
    """The contact with this email or external id; -1 (no ticket) when there is none."""
    if field == "email":
        contact = store.contact_with_email(value)
    else:
        contact = next((c for c in store.all("contacts").values() if c.get(field) == value), None)
    return -1 if contact is None else contact["id"]


class TicketLister:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._sorted = ListCache()  # candidates by query, in order
        self._matching = ListCache(16)  # their ids from a date on, by query and date

    def matching(self, listing: Listing, now: int) -> list[int]:
        """The ids of the listing's tickets, in its order (every page)."""
        if listing.updated_since is not None:
            key = (listing.query, "updated_at", listing.updated_since)
        else:
            key = (listing.query, "created_at", now - WINDOW_SECONDS)
        return self._matching.get(self.store.version, key, lambda: self._dated(*key))

    def _dated(self, query: TicketQuery, field: str, start: int) -> list[int]:
        candidates = self._sorted.get(self.store.version, query, lambda: self._sort(query))
        if field == "updated_at":
            return [rid for rid, _, updated in candidates if updated >= start]
        return [rid for rid, created, _ in candidates if created >= start]

    def _sort(self, query: TicketQuery) -> list[Candidate]:
        order = query.order_by
        chosen = [t for t in self.store.all("tickets").values() if _listed(t, query)]
        chosen.sort(key=lambda t: (t[order] or 0, t["id"]), reverse=query.descending)
        return [(t["id"], t["created_at"], t["updated_at"]) for t in chosen]


def _listed(ticket: Record, query: TicketQuery) -> bool:
    if query.requester_id is not None and ticket["requester_id"] != query.requester_id:
        return False
    if query.company_id is not None and ticket["company_id"] != query.company_id:
        return False
    deleted, spam = ticket["deleted"], ticket["spam"]
    if query.filter == "deleted":
        return deleted
    if query.filter == "spam":
        return spam and not deleted
    if deleted or spam:
        return False
    if query.filter == "new_and_my_open":
        return ticket["status"] == 2 and ticket["responder_id"] in (None, FIRST_USER_ID)
    return query.filter != "watching"  # the emulator models no watchers
