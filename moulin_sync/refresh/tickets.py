"""The customer's open support tickets, as the tickets stream wrote them in HubSpot: the
tickets associated with their contact, in a Freshdesk status that is not resolved nor
closed (two HubSpot calls: the associations, then the tickets)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams import enabled_streams
from moulin_sync.hubspot.streams.tickets import TICKETS
from moulin_sync.sources.freshdesk.tickets import STATUS_LABELS

FIELDS = ("subject", "freshdesk_status", "freshdesk_created_at", "freshdesk_url",
          "freshdesk_ticket_id")  # fmt: skip
DONE = {STATUS_LABELS[4], STATUS_LABELS[5]}  # resolved, closed
MAX_SHOWN = 20


def tickets_are_on() -> bool:
    """The tickets stream runs (Freshdesk is set up), so contacts may carry tickets."""
    return any(spec.name == TICKETS.name for spec in enabled_streams())


def open_tickets(
    client: HubSpotClient, contact_id: str, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """[{subject, status, createdAt, ageDays, url}] of the contact's open Freshdesk
    tickets, oldest first (at most 20)."""
    linked = client.associations.read("contacts", "tickets", [contact_id]).get(contact_id, [])
    ids = list(dict.fromkeys(str(link["toObjectId"]) for link in linked))[:100]
    if not ids:
        return []
    now = now or dt.datetime.now(dt.UTC)
    found = []
    for result in client.objects.batch_read("tickets", ids, None, FIELDS).results:
        values = result.properties
        status = values.get("freshdesk_status") or ""
        if not values.get("freshdesk_ticket_id") or status in DONE:
            continue
        created = _instant(values.get("freshdesk_created_at"))
        found.append({
            "subject": values.get("subject") or "",
            "status": status,
            "createdAt": created.isoformat() if created else None,
            "ageDays": (now - created).days if created else None,
            "url": values.get("freshdesk_url") or None,
        })  # fmt: skip
    found.sort(key=lambda t: t["createdAt"] or "")
    return found[:MAX_SHOWN]


def _instant(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
