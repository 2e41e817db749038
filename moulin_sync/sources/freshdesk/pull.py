"""The incremental pull of the account's tickets: everything updated since the last
pull's newest ticket (less a few seconds: `updated_since` is to the second), oldest
change first, 100 a page with the requester and the description embedded — and the
trash and the spam, each from its own mark, to be archived in HubSpot.

Freshdesk lists at most 300 pages per query and has no `updated_before`, so a listing
that would run past them is cut into windows: the 300th page's last `updated_at` starts
the next window (inclusive: that second's tickets come again, de-duplicated by id and
`updated_at`). A window never asks for page 301. A ticket updated while the pull pages
moves to the end of the listing and shifts every later ticket back by one, so one may
slip between two pages: when a ticket already read comes again newer, the listing is
read once more from where that ticket was. A nothing-new pull costs three requests: one
for the ticket list, one each for the trash and the spam. A failure mid-way keeps
nothing of the pull: the next one starts again from the same marks.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from moulin_sync.sources.freshdesk.client import FreshdeskClient, FreshdeskError, Page
from moulin_sync.sources.freshdesk.tickets import (
    DELETED,
    LISTED,
    SPAM,
    empty_tickets,
    merged,
    tickets_of,
)

PER_PAGE = 100  # the most Freshdesk gives
MAX_PAGES = 300  # Freshdesk answers 400 past this page of one query
OVERLAP = dt.timedelta(seconds=5)
# Before any ticket: `updated_since` is the only way past the default 30 days.
FIRST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
MAX_REREADS = 3
FILTERS = {LISTED: None, DELETED: "deleted", SPAM: "spam"}
# The list's embeds: who asked (to match a customer) and what they wrote (2 credits each).
INCLUDE = "requester,description"


@dataclass
class Pulled:
    tickets: pl.DataFrame  # every ticket known, once each
    new: int  # rows this pull added or changed
    requests: dict[str, int]  # by listing
    windows: int  # windows of the ticket list (a new one every 300 pages)
    rereads: int  # listings read again after a ticket moved under the pull
    since: dict[str, dt.datetime]  # where each listing started
    seconds: float = 0.0
    rate_limited: int = 0
    retry_after_s: float = 0.0  # waited on 429s, as their Retry-After said
    waited_s: float = 0.0  # paced, to keep to the plan's limits

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


@dataclass
class _Walk:
    """One listing read from a mark: its pages, windows and requests."""

    rows: list[pl.DataFrame] = field(default_factory=list)
    requests: int = 0
    windows: int = 0
    moved_from: dt.datetime | None = None  # the oldest place a ticket moved away from


def marks(known: pl.DataFrame | None) -> dict[str, dt.datetime]:
    """Each listing's mark: its newest `updated_at` in the last pull, less the overlap."""
    found = {}
    for listing in FILTERS:
        rows = known.filter(pl.col("listing") == listing) if known is not None else None
        latest = rows["updated_at"].max() if rows is not None and rows.height else None
        found[listing] = latest - OVERLAP if isinstance(latest, dt.datetime) else FIRST
    return found


def pull(
    client: FreshdeskClient,
    known: pl.DataFrame | None,
    *,
    per_page: int = PER_PAGE,
    max_pages: int = MAX_PAGES,
    log: Callable[[str], None] = lambda message: None,
) -> Pulled:
    """The account's tickets: `known` (the last pull's) and those changed since."""
    started = time.monotonic()
    since = marks(known)
    requests: dict[str, int] = {}
    frames: list[pl.DataFrame] = []
    windows = rereads = 0
    for listing, start in since.items():
        walk = _walk(client, listing, start, per_page, max_pages)
        while walk.moved_from is not None and rereads < MAX_REREADS:
            rereads += 1
            log(f"{listing}: a ticket changed while the pull paged; read again from "
                f"{walk.moved_from.isoformat()}")  # fmt: skip
            again = _walk(client, listing, walk.moved_from - OVERLAP, per_page, max_pages)
            walk = _Walk(walk.rows + again.rows, walk.requests + again.requests,
                         walk.windows + again.windows, again.moved_from)  # fmt: skip
        requests[listing] = walk.requests
        windows += walk.windows if listing == LISTED else 0
        frames.extend(walk.rows)
    pulled = pl.concat([empty_tickets(), *frames], how="vertical_relaxed").unique(
        ["id", "updated_at", "listing"], keep="first", maintain_order=True
    )
    tickets = merged(known, pulled)
    before = known.select("id", "updated_at", "listing") if known is not None else None
    new = (
        tickets.join(before, on=["id", "updated_at", "listing"], how="anti").height
        if before is not None
        else tickets.height
    )
    return Pulled(
        tickets=tickets,
        new=new,
        requests=requests,
        windows=windows,
        rereads=rereads,
        since=since,
        seconds=time.monotonic() - started,
        rate_limited=client.rate_limited,
        retry_after_s=client.retry_after_s,
        waited_s=client.pacer.waited_s,
    )


def _walk(
    client: FreshdeskClient, listing: str, start: dt.datetime, per_page: int, max_pages: int
) -> _Walk:
    """Every ticket of `listing` updated at or after `start`, window after window."""
    walk = _Walk()
    seen: dict[int, dt.datetime] = {}
    while True:
        walk.windows += 1
        params = _params(listing, start, per_page)
        page = client.tickets(params)
        pages = 1
        last: dt.datetime | None = None
        while True:
            walk.requests += 1
            frame = tickets_of(page.items, listing, client.web_url)
            walk.rows.append(frame)
            _note_moves(walk, seen, frame)
            if frame.height:
                last = frame["updated_at"].max()
            if page.next_url is None or pages >= max_pages:
                break
            page = _next(client, page, params)
            pages += 1
        if page.next_url is None:
            return walk
        # The cap: the next window starts at this one's last change (inclusive).
        if last is None or last <= start:
            raise FreshdeskError(
                f"Freshdesk lists more than {max_pages * per_page:,} tickets updated in the "
                f"second {start.isoformat()}: its API cannot page past them."
            )
        start = last


def _next(client: FreshdeskClient, page: Page, params: dict[str, str | int]) -> Page:
    assert page.next_url is not None
    return client.next_page(page.next_url, params)


def _note_moves(walk: _Walk, seen: dict[int, dt.datetime], frame: pl.DataFrame) -> None:
    """A ticket read before and now listed newer moved under the pull: remember the
    oldest place one moved away from (the tickets after it may have shifted past a page)."""
    for ticket_id, updated_at in frame.select("id", "updated_at").iter_rows():
        before = seen.get(ticket_id)
        moved = before is not None and updated_at is not None and updated_at > before
        if moved and (walk.moved_from is None or before < walk.moved_from):
            walk.moved_from = before
        if updated_at is not None:
            seen[ticket_id] = updated_at


def _params(listing: str, start: dt.datetime, per_page: int) -> dict[str, str | int]:
    params: dict[str, str | int] = {
        "updated_since": start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "order_by": "updated_at",
        "order_type": "asc",
        "per_page": per_page,
    }
    if FILTERS[listing] is None:
        params["include"] = INCLUDE
    else:
        params["filter"] = str(FILTERS[listing])
    return params
