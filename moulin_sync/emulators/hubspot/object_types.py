"""The four CRM object types and the per-type facts about their properties."""

from __future__ import annotations

from .errors import bad_request

OBJECT_TYPES = ("contacts", "companies", "deals", "tickets")
TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "tickets": "0-5"}
SINGULAR = {"contacts": "Contact", "companies": "Company", "deals": "Deal", "tickets": "Ticket"}
_ALIASES = {
    **{t: t for t in OBJECT_TYPES},
    **{v: k for k, v in TYPE_IDS.items()},
    "contact": "contacts",
    "company": "companies",
    "deal": "deals",
    "ticket": "tickets",
}
LASTMOD = {"contacts": "lastmodifieddate"}  # every other type uses hs_lastmodifieddate
# Written by the server only; a client value is refused with READ_ONLY_VALUE.
READ_ONLY = frozenset(
    {"hs_object_id", "hs_merged_object_ids", "lastmodifieddate", "hs_lastmodifieddate"}
)
# Properties returned by GET/list/search when the caller names none (as the SDK documents).
DEFAULT_RETURNED = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "deals": (
        "amount", "closedate", "createdate", "dealname", "dealstage",
        "hs_lastmodifieddate", "hs_object_id", "pipeline",
    ),
    "tickets": (
        "content", "createdate", "hs_lastmodifieddate", "hs_object_id", "hs_pipeline",
        "hs_pipeline_stage", "hs_ticket_category", "hs_ticket_priority", "subject",
    ),
}  # fmt: skip
ALWAYS_RETURNED = {
    t: ("createdate", "hs_object_id", LASTMOD.get(t, "hs_lastmodifieddate")) for t in OBJECT_TYPES
}
REQUIRED_ON_CREATE = {
    "deals": ("dealname", "dealstage"),
    "tickets": ("subject", "hs_pipeline_stage"),
}
PIPELINE_PROPS = {
    "deals": ("pipeline", "dealstage"),
    "tickets": ("hs_pipeline", "hs_pipeline_stage"),
}
DEFAULT_PIPELINE = {"deals": "default", "tickets": "0"}


def resolve_type(name: str) -> str:
    """Map `contacts`, `contact`, `0-1`, ... to the canonical plural name, or raise 400."""
    t = _ALIASES.get(name.lower())
    if t is None:
        raise bad_request(f"Unable to infer object type from: {name}")
    return t
