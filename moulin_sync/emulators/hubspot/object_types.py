"""HubSpot's object types, as a registry: the four moulin-sync writes and the standard
ones every portal has (line items, products, quotes, activities, leads, goals...), each
with its names, type id and the per-type facts about its properties.

Every type is a full object type (create, read, update, upsert, search, associations);
a portal starts with none of the standard types' records, as an empty HubSpot portal does.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import bad_request


@dataclass(frozen=True)
class ObjectType:
    name: str  # the plural name of v3 paths: contacts, line_items
    type_id: str | None  # 0-1; None where HubSpot publishes none (deal splits)
    singular: str  # contact, line_item: association type names, legacy APIs
    label: str  # Contact, Line item: messages
    lastmod: str = "hs_lastmodifieddate"
    aliases: tuple[str, ...] = ()  # other names HubSpot's paths accept
    returned: tuple[str, ...] = ()  # shown by reads naming no property (besides ALWAYS)
    required: tuple[str, ...] = ()  # on create
    pipeline: tuple[str, str] | None = None  # (pipeline property, stage property)
    default_pipeline: str | None = None
    core: bool = False  # written by moulin-sync: always in the admin state


_ENGAGEMENT = ("hs_timestamp", "hubspot_owner_id")
TYPES: tuple[ObjectType, ...] = (
    ObjectType("contacts", "0-1", "contact", "Contact", lastmod="lastmodifieddate", core=True,
               returned=("email", "firstname", "lastname")),
    ObjectType("companies", "0-2", "company", "Company", core=True, returned=("domain", "name")),
    ObjectType("deals", "0-3", "deal", "Deal", core=True,
               returned=("amount", "closedate", "dealname", "dealstage", "pipeline"),
               required=("dealname", "dealstage"), pipeline=("pipeline", "dealstage"),
               default_pipeline="default"),
    ObjectType("tickets", "0-5", "ticket", "Ticket", core=True,
               returned=("content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_category",
                         "hs_ticket_priority", "subject"),
               required=("subject", "hs_pipeline_stage"),
               pipeline=("hs_pipeline", "hs_pipeline_stage"), default_pipeline="0"),
    ObjectType("products", "0-7", "product", "Product", returned=("description", "name", "price")),
    ObjectType("line_items", "0-8", "line_item", "Line item",
               returned=("amount", "name", "price", "quantity")),
    ObjectType("quotes", "0-14", "quote", "Quote", returned=("hs_expiration_date", "hs_title")),
    ObjectType("communications", "0-18", "communication", "Communication",
               returned=("hs_communication_channel_type",)),
    ObjectType("feedback_submissions", "0-19", "feedback_submission", "Feedback submission"),
    ObjectType("tasks", "0-27", "task", "Task",
               returned=("hs_task_status", "hs_task_subject", *_ENGAGEMENT)),
    ObjectType("notes", "0-46", "note", "Note", returned=("hs_note_body", *_ENGAGEMENT)),
    ObjectType("meetings", "0-47", "meeting", "Meeting",
               returned=("hs_meeting_title", *_ENGAGEMENT)),
    ObjectType("calls", "0-48", "call", "Call", returned=("hs_call_title", *_ENGAGEMENT)),
    ObjectType("emails", "0-49", "email", "Email", returned=("hs_email_subject", *_ENGAGEMENT)),
    ObjectType("goal_targets", "0-74", "goal_target", "Goal target", aliases=("goals",),
               returned=("hs_goal_name",)),
    ObjectType("postal_mail", "0-116", "postal_mail", "Postal mail"),
    ObjectType("leads", "0-136", "lead", "Lead", returned=("hs_lead_name",)),
    ObjectType("deal_splits", None, "deal_split", "Deal split",
               returned=("hs_deal_split_percentage", "hubspot_owner_id")),
)  # fmt: skip
BY_NAME = {t.name: t for t in TYPES}

OBJECT_TYPES = tuple(t.name for t in TYPES)
CORE_TYPES = tuple(t.name for t in TYPES if t.core)
# The id naming a type in messages and answers (its name where it has no published id).
TYPE_IDS = {t.name: t.type_id or t.singular for t in TYPES}
SINGULAR = {t.name: t.label for t in TYPES}
API_SINGULAR = {t.name: t.singular for t in TYPES}
LASTMOD = {t.name: t.lastmod for t in TYPES if t.lastmod != "hs_lastmodifieddate"}
_ALIASES = {
    alias: t.name
    for t in TYPES
    for alias in (t.name, t.singular, *t.aliases, *([t.type_id] if t.type_id else []))
}
# Written by the server only; a client value is refused with READ_ONLY_VALUE.
READ_ONLY = frozenset(
    {"hs_object_id", "hs_merged_object_ids", "lastmodifieddate", "hs_lastmodifieddate"}
)
ALWAYS_RETURNED = {t.name: ("createdate", "hs_object_id", t.lastmod) for t in TYPES}
# Properties returned by GET/list/search when the caller names none (as the SDK documents).
DEFAULT_RETURNED = {t.name: tuple(sorted({*ALWAYS_RETURNED[t.name], *t.returned})) for t in TYPES}
REQUIRED_ON_CREATE = {t.name: t.required for t in TYPES if t.required}
PIPELINE_PROPS = {t.name: t.pipeline for t in TYPES if t.pipeline}
DEFAULT_PIPELINE = {t.name: t.default_pipeline for t in TYPES if t.default_pipeline}


def resolve_type(name: str) -> str:
    """Map `contacts`, `contact`, `0-1`, ... to the canonical plural name, or raise 400."""
    t = _ALIASES.get(name.lower())
    if t is None:
        raise bad_request(f"Unable to infer object type from: {name}")
    return t
