"""Freshdesk tickets as a table: one row per ticket as a listing showed it (pure, no I/O).

`listing` says where it was seen: in the ticket list, in the trash (`deleted`) or among
the spam. `requester_emails` keeps every email the requester was seen with, the current
one first: a requester whose email changed stays the customer they were.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

LISTED, DELETED, SPAM = "tickets", "deleted", "spam"
TICKETS_SCHEMA: dict[str, Any] = {
    "id": pl.Int64,
    "subject": pl.String,
    "description_text": pl.String,
    "status": pl.Int64,
    "priority": pl.Int64,
    "source": pl.Int64,
    "type": pl.String,
    "tags": pl.String,  # ", "-joined
    "requester_id": pl.Int64,
    "requester_name": pl.String,
    "requester_email": pl.String,  # as Freshdesk holds it now (null: none)
    "requester_emails": pl.List(pl.String),  # every one seen, lower-cased, current first
    "company_id": pl.Int64,
    "created_at": pl.Datetime("us", "UTC"),
    "updated_at": pl.Datetime("us", "UTC"),
    "due_by": pl.Datetime("us", "UTC"),
    "listing": pl.String,
    "url": pl.String,  # the ticket in Freshdesk's web app
}
STATUS_LABELS = {2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed"}
OPEN_STATUSES = (2, 3)  # besides the custom ones (6 and up), which are open too
_TIMES = ("created_at", "updated_at", "due_by")


def ticket_url(base_url: str, ticket_id: int) -> str:
    return f"{base_url.rstrip('/')}/a/tickets/{ticket_id}"


def tickets_of(items: Iterable[Mapping[str, Any]], listing: str, base_url: str) -> pl.DataFrame:
    """Rows of a ticket listing (with `include=requester` where it was asked for)."""
    rows = []
    for item in items:
        requester = item.get("requester") or {}
        email = requester.get("email")
        email = str(email).strip() if email else None
        rows.append(
            {
                "id": item.get("id"),
                "subject": item.get("subject"),
                "description_text": item.get("description_text"),
                "status": item.get("status"),
                "priority": item.get("priority"),
                "source": item.get("source"),
                "type": item.get("type"),
                "tags": ", ".join(str(t) for t in item.get("tags") or []) or None,
                "requester_id": item.get("requester_id"),
                "requester_name": requester.get("name"),
                "requester_email": email,
                "requester_emails": [email.lower()] if email else [],
                "company_id": item.get("company_id"),
                **{name: item.get(name) for name in _TIMES},
                "listing": listing,
                "url": ticket_url(base_url, int(item["id"])) if item.get("id") else None,
            }
        )
    strings = {name: pl.String for name in _TIMES}
    frame = pl.DataFrame(rows, schema={**TICKETS_SCHEMA, **strings}, orient="row")
    return frame.with_columns(
        pl.col(name)
        .str.replace(r"Z$", "+00:00")
        .str.to_datetime("%Y-%m-%dT%H:%M:%S%:z", time_zone="UTC", strict=False)
        .dt.cast_time_unit("us")
        for name in _TIMES
    )


def empty_tickets() -> pl.DataFrame:
    return pl.DataFrame(schema=TICKETS_SCHEMA)


def merged(known: pl.DataFrame | None, pulled: pl.DataFrame) -> pl.DataFrame:
    """Every ticket once, as its latest `updated_at` shows it (a trashed or spam ticket
    as it was last listed); each requester's emails over both, current first."""
    frames = [f.select(list(TICKETS_SCHEMA)) for f in (pulled, known) if f is not None]
    every = pl.concat(frames, how="vertical").cast(TICKETS_SCHEMA)  # type: ignore[arg-type]
    # The pulled rows come first: of one ticket and instant, the newer listing wins.
    latest = every.sort("updated_at", descending=True, nulls_last=True, maintain_order=True)
    latest = latest.unique("id", keep="first", maintain_order=True)
    emails = (
        every.select("requester_id", "updated_at", pl.col("requester_emails").alias("seen"))
        .explode("seen")
        .drop_nulls("seen")
        .sort("updated_at", descending=True, maintain_order=True)
        .unique(["requester_id", "seen"], keep="first", maintain_order=True)
        .group_by("requester_id", maintain_order=True)
        .agg(pl.col("seen"))
    )
    return (
        latest.join(emails, on="requester_id", how="left")
        .with_columns(
            requester_emails=pl.when(pl.col("seen").is_not_null())
            .then(pl.col("seen"))
            .otherwise(pl.col("requester_emails"))
        )
        .select(list(TICKETS_SCHEMA))
        .sort("id")
    )


def status_label(status: pl.Expr) -> pl.Expr:
    """Freshdesk's name of a status ("Open"), or "custom status 6"."""
    return status.replace_strict(
        STATUS_LABELS, default=pl.format("custom status {}", status), return_dtype=pl.String
    )


def is_open(status: pl.Expr) -> pl.Expr:
    """Open, pending or a custom status (waiting on someone): not resolved nor closed."""
    return status.is_in(OPEN_STATUSES) | (status >= 6)
