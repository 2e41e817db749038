"""What the contact card shows before anyone presses: when moulin-sync last wrote the
contact, the customer's orders in the App du Moulin against the deals HubSpot holds for
them, why the contact or some of their orders are not in HubSpot, if they are not, and
the customer's latest NPS answer when Typeform is set up, and their open support tickets
when Freshdesk is."""

from __future__ import annotations

from typing import Any

import polars as pl

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.sync.state import REJECTED, SyncState
from moulin_sync.refresh.nps import latest_nps
from moulin_sync.refresh.tickets import open_tickets
from moulin_sync.sources.app_du_moulin.reader import SourceReader

# Shown on the card: in a salesperson's words.
NOT_OURS = (
    "This contact is not a customer moulin-sync knows: they are not in the App du Moulin, "
    "or they were added there since the last nightly update."
)


def contact_status(
    state: SyncState,
    reader: SourceReader,
    client: HubSpotClient,
    contact_id: str,
    *,
    nps: bool = False,
    tickets: bool = False,
) -> dict[str, Any]:
    """The card's fields for HubSpot contact `contact_id` (2 state reads, 1 source read,
    1 HubSpot call; 1 more with `nps`, which reads the contact's latest NPS answer; 2
    more with `tickets`, which read the contact's open support tickets)."""
    customer = state.keys_of("contacts", [contact_id]).get(contact_id)
    if customer is None:
        return {"objectId": contact_id, "found": False, "customerId": None,
                "lastWrittenAt": None, "ordersInApp": 0, "dealsInHubSpot": 0,
                "reason": NOT_OURS, "nps": None, "tickets": None}  # fmt: skip
    row = state.rows_of("contacts", [customer]).get(customer, {})
    orders = reader.read_customer(int(customer))["orders"]
    own = orders.filter(pl.col("customer_id") == int(customer))["id"].cast(pl.String).to_list()
    deals = client.associations.read("contacts", "deals", [contact_id]).get(contact_id, [])
    written = row.get("synced_at")
    return {
        "objectId": contact_id,
        "found": True,
        "customerId": customer,
        "lastWrittenAt": written.isoformat() if written is not None else None,
        "ordersInApp": len(own),
        "dealsInHubSpot": len(deals),
        "reason": _reason(state, row, own),
        "nps": latest_nps(client, contact_id) if nps else None,
        # None: Freshdesk is not set up; []: no open ticket.
        "tickets": open_tickets(client, contact_id) if tickets else None,
    }


def _reason(state: SyncState, contact: dict[str, Any], orders: list[str]) -> str | None:
    if contact.get("status") == REJECTED:
        return f"The contact was refused: {contact.get('last_error')}"
    refused = [
        (key, row.get("last_error"))
        for key, row in state.rows_of("deals", orders).items()
        if row.get("status") == REJECTED
    ]
    if not refused:
        return None
    key, why = refused[0]
    more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
    return f"Order {key} is not in HubSpot{more}: {why}"
