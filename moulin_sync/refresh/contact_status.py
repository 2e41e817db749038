"""What the contact card shows before anyone presses: when moulin-sync last wrote the
contact, the customer's orders in the App du Moulin against the deals HubSpot holds for
them, and why the contact or some of their orders are not in HubSpot, if they are not."""

from __future__ import annotations

from typing import Any

import polars as pl

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.sync.state import REJECTED, SyncState
from moulin_sync.sources.app_du_moulin.reader import SourceReader

NOT_OURS = (
    "moulin-sync has not written this contact: it is not a customer of the App du Moulin, "
    "or the nightly run has not reached it yet."
)


def contact_status(
    state: SyncState, reader: SourceReader, client: HubSpotClient, contact_id: str
) -> dict[str, Any]:
    """The card's fields for HubSpot contact `contact_id` (2 state reads, 1 source read,
    1 HubSpot call)."""
    customer = state.keys_of("contacts", [contact_id]).get(contact_id)
    if customer is None:
        return {"objectId": contact_id, "found": False, "customerId": None,
                "lastWrittenAt": None, "ordersInApp": 0, "dealsInHubSpot": 0,
                "reason": NOT_OURS}  # fmt: skip
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
