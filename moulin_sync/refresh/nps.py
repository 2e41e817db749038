"""The customer's latest NPS answer, as the NPS stream wrote it on their HubSpot contact."""

from __future__ import annotations

from typing import Any

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams import enabled_streams
from moulin_sync.hubspot.streams.nps import NPS, NPS_CATEGORIES, NPS_PROPERTIES

NPS_FIELDS = tuple(p.name for p in NPS_PROPERTIES)
CATEGORIES = {c.value for c in NPS_CATEGORIES}


def nps_is_on() -> bool:
    """The NPS stream runs (Typeform is set up), so contacts may carry an answer."""
    return any(spec.name == NPS.name for spec in enabled_streams())


def latest_nps(client: HubSpotClient, contact_id: str) -> dict[str, Any] | None:
    """{score, category, submittedAt, comment} of HubSpot contact `contact_id` (one batch
    read), or None when it has no answer with a score."""
    read = client.objects.batch_read("contacts", [contact_id], None, NPS_FIELDS)
    if not read.results:
        return None
    values = read.results[0].properties
    score = _score(values.get("nps_score"))
    if score is None:
        return None
    category = values.get("nps_category")
    return {
        "score": score,
        "category": category if category in CATEGORIES else None,
        "submittedAt": values.get("nps_submitted_at") or None,
        "comment": values.get("nps_comment") or None,
    }


def _score(text: str | None) -> int | None:
    try:
        value = float(text or "")
    except ValueError:
        return None
    return int(value) if value.is_integer() and 0 <= value <= 10 else None
