"""Freshdesk as a source: the support tickets, pulled incrementally every night (no
months: a ticket changes whenever an agent or a customer writes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from moulin_sync.lib.snapshots import published_path
from moulin_sync.sources.freshdesk.client import FreshdeskClient
from moulin_sync.sources.freshdesk.pull import FIRST, INCLUDE, PER_PAGE
from moulin_sync.sources.freshdesk.settings import (
    API_KEY,
    BASE_URL,
    DOMAIN,
    FreshdeskSettings,
    domain_address,
    freshdesk_is_on,
)
from moulin_sync.sources.freshdesk.tickets import LISTED, empty_tickets, merged, tickets_of
from moulin_sync.sources.spec import Frames, Scope, SourceFrames, SourceSpec

if TYPE_CHECKING:
    from moulin_sync.settings import MoulinSettings

NAME = "freshdesk"
TICKETS = (NAME, "tickets")
CUSTOMERS = ("app_du_moulin", "customers")


def client_of(config: FreshdeskSettings) -> FreshdeskClient:
    return FreshdeskClient(
        config.base_url,
        config.api_key.get_secret_value(),
        plan=config.plan,
        address_setting=DOMAIN if config.base_url == domain_address(config.domain) else BASE_URL,
        web_url=domain_address(config.domain) if config.domain else None,
    )


def _config(settings: MoulinSettings) -> FreshdeskSettings:
    from moulin_sync.settings import load

    return load(FreshdeskSettings, fallback=API_KEY)


def last_pull(data_dir: str) -> pl.DataFrame | None:
    """The tickets of the last pull (its snapshot), None before the first."""
    snapshot = published_path(data_dir, TICKETS, ".parquet")
    return pl.read_parquet(snapshot) if snapshot.is_file() else None


def _tables(scope: Scope) -> Frames:
    """The tickets of the last pull (its snapshot): a dry run calls no service."""
    tickets = last_pull(scope.data_dir or ".")
    return SourceFrames({NAME: _Table(empty_tickets() if tickets is None else tickets)})


def _customer(scope: Scope) -> Frames:
    """One customer's tickets: one listing per email of theirs (Freshdesk's `email`
    filter finds the requester's tickets), their own pages only."""
    config: FreshdeskSettings = scope.config[NAME]
    assert scope.known is not None and scope.customer_id is not None
    mine = scope.known.frame(CUSTOMERS).filter(pl.col("id") == scope.customer_id)
    emails = mine["email"].drop_nulls().str.strip_chars().str.to_lowercase().unique().to_list()
    found = [empty_tickets()]
    with client_of(config) as client:
        for email in [e for e in emails if e]:
            params = {
                "email": email,
                "updated_since": FIRST.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "include": INCLUDE,
                "per_page": PER_PAGE,
            }
            page = client.tickets(params)
            found.append(tickets_of(page.items, LISTED, client.web_url))
            while page.next_url is not None:
                page = client.next_page(page.next_url, params)
                found.append(tickets_of(page.items, LISTED, client.web_url))
    pulled = pl.concat(found, how="vertical_relaxed")
    return SourceFrames({NAME: _Table(merged(None, pulled))})


class _Table:
    def __init__(self, tickets: pl.DataFrame) -> None:
        self.tickets = tickets

    def frame(self, key: tuple[str, ...]) -> pl.DataFrame:
        if tuple(key) != TICKETS:
            raise KeyError(f"{'/'.join(key)} is not a Freshdesk table")
        return self.tickets


def _probe(config: FreshdeskSettings) -> None:
    """The API key opens the account: one ticket of the list (the call real clients
    test a connection with is the agents list; the tickets' is the one we need)."""
    with client_of(config) as client:
        client.tickets({"per_page": 1})


FRESHDESK = SourceSpec(
    name=NAME,
    label="Freshdesk",
    config=_config,
    enabled=freshdesk_is_on,
    tables=_tables,
    customer=_customer,
    probe=_probe,
    resource_key="freshdesk",
)
