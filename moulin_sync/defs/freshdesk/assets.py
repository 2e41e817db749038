"""`freshdesk/tickets`: the support tickets, pulled incrementally every night (the trash
and the spam too), with their figures: by status, by month, and the requesters who are no
customer of ours (their tickets wait unless HubSpot already has their contact)."""

import polars as pl
from dagster import AssetExecutionContext, AssetIn, Failure, MetadataValue, Output, asset

from moulin_sync.defs.freshdesk.resources import Freshdesk
from moulin_sync.defs.resources import SyncSettings
from moulin_sync.defs.retries import TRANSIENT
from moulin_sync.lib.metadata import table_sample
from moulin_sync.sources.app_du_moulin.quality import email_problem, is_erased
from moulin_sync.sources.freshdesk.client import FreshdeskError
from moulin_sync.sources.freshdesk.pull import Pulled, pull
from moulin_sync.sources.freshdesk.source import TICKETS, last_pull
from moulin_sync.sources.freshdesk.tickets import LISTED, is_open, status_label

GROUP = "freshdesk"


@asset(
    key=list(TICKETS),
    group_name=GROUP,
    kinds={"freshdesk", "polars"},
    ins={"customers": AssetIn(key=["app_du_moulin", "customers"])},
    retry_policy=TRANSIENT,
    description="Every Freshdesk ticket (subject, description, status, priority, source, "
    "type, tags, requester and their emails, dates, link), pulled since the last pull within "
    "the plan's per-minute limits, in windows under the 300-page cap; deleted and spam "
    "tickets too (listing), to be archived in HubSpot.",
)
def tickets(
    context: AssetExecutionContext,
    settings: SyncSettings,
    freshdesk: Freshdesk,
    customers: pl.DataFrame,
):
    try:
        with freshdesk.client() as client:
            pulled = pull(
                client, last_pull(settings.data_dir), per_page=freshdesk.per_page,
                log=context.log.info,
            )  # fmt: skip
    except FreshdeskError as exc:
        # A setting to fix: retrying would not help; the other streams go on.
        raise Failure(description=str(exc), allow_retries=False) from None
    return Output(pulled.tickets, metadata=figures(pulled, customers, settings.timezone))


def figures(pulled: Pulled, customers: pl.DataFrame, timezone: str) -> dict:
    """What the UI shows run after run: counts (numbers, for the Plots tab), tickets by
    status and by month, the requesters who are no customer, and what the pull cost."""
    every = pulled.tickets
    listed = every.filter(pl.col("listing") == LISTED)
    strangers = _strangers(listed, customers)
    return {
        "dagster/row_count": every.height,
        "tickets": listed.height,
        "deleted": int((every["listing"] == "deleted").sum()),
        "spam": int((every["listing"] == "spam").sum()),
        "new_or_changed": pulled.new,
        "requests": pulled.total_requests,
        "requests_by_listing": MetadataValue.json(pulled.requests),
        "windows": pulled.windows,
        "rereads": pulled.rereads,
        "rate_limited": pulled.rate_limited,
        "retry_after_seconds": round(pulled.retry_after_s, 2),
        "paced_seconds": round(pulled.waited_s, 2),
        "pull_seconds": round(pulled.seconds, 2),
        "pulled_since": MetadataValue.json({k: v.isoformat() for k, v in pulled.since.items()}),
        "tickets_by_status": table_sample(by_status(listed), rows=30),
        "tickets_by_month": table_sample(by_month(listed, timezone), rows=36),
        "requesters_not_customers": strangers.height,
        "not_customers_by_requester": table_sample(strangers, rows=30),
    }


def by_status(tickets: pl.DataFrame) -> pl.DataFrame:
    return (
        tickets.group_by("status")
        .agg(pl.len().alias("tickets"))
        .sort("status")
        .select("status", status_label(pl.col("status")).alias("label"), "tickets")
    )


def by_month(tickets: pl.DataFrame, timezone: str) -> pl.DataFrame:
    """Tickets created each month, and how many of them are still open."""
    month = pl.col("created_at").dt.convert_time_zone(timezone).dt.strftime("%Y-%m")
    still_open = is_open(pl.col("status"))
    return (
        tickets.group_by(month.alias("month"))
        .agg(pl.len().alias("created"), still_open.sum().alias("still_open"))
        .sort("month", descending=True)
    )


def _strangers(tickets: pl.DataFrame, customers: pl.DataFrame) -> pl.DataFrame:
    """The requesters none of whose emails a live customer has, by requester: their
    tickets are written only if HubSpot already has a contact with their email (else they
    wait: see hubspot/tickets' `waiting_for`)."""
    known = (
        customers.filter(~is_erased() & email_problem().is_null())
        .select(pl.col("email").str.strip_chars().str.to_lowercase().alias("seen"))
        .unique()
    )
    matched = (
        tickets.select("requester_id", pl.col("requester_emails").alias("seen"))
        .explode("seen")
        .join(known, on="seen", how="semi")
        .select("requester_id")
        .unique()
    )
    return (
        tickets.join(matched, on="requester_id", how="anti")
        .group_by("requester_id")
        .agg(
            pl.col("requester_email").first().alias("email"),
            pl.col("requester_name").first().alias("name"),
            pl.len().alias("tickets"),
            pl.col("id").sort().head(5).cast(pl.String).str.join(", ").alias("ticket_ids"),
        )
        .sort("tickets", "requester_id", descending=[True, False])
    )
