"""Contacts (requesters) as Freshdesk holds and shows them: the fields a request may
set, unique emails (409 `duplicate_value`), and the requester a ticket names by id,
email, phone or external id (created when no contact has that email, as Freshdesk does)."""

from __future__ import annotations

from typing import Any

from .answers import duplicate
from .fields import Fields, given
from .store import Record, Store
from .timefmt import iso

WRITABLE = (
    "name", "email", "phone", "mobile", "twitter_id", "unique_external_id", "other_emails",
    "company_id", "view_all_tickets", "address", "description", "job_title", "language",
    "tags", "time_zone", "custom_fields",
)  # fmt: skip
SHOWN = (
    "active", "address", "company_id", "view_all_tickets", "description", "email", "id",
    "job_title", "language", "mobile", "name", "phone", "time_zone", "twitter_id",
    "unique_external_id", "other_emails", "created_at", "updated_at", "custom_fields", "tags",
)  # fmt: skip
IDENTIFIERS = ("email", "phone", "mobile", "twitter_id", "unique_external_id")
DEFAULTS: dict[str, Any] = {
    "active": False, "address": None, "company_id": None, "view_all_tickets": False,
    "description": None, "email": None, "job_title": None, "language": "fr", "mobile": None,
    "phone": None, "time_zone": "Paris", "twitter_id": None, "unique_external_id": None,
    "other_emails": [], "custom_fields": {}, "tags": [], "deleted": False,
}  # fmt: skip


def read_contact(f: Fields, store: Store, *, creating: bool) -> dict[str, Any]:
    """The contact fields of a create or update request, validated."""
    values = given({
        "name": f.string("name", required=creating, nullable=False),
        "email": f.email("email"),
        "phone": f.string("phone"),
        "mobile": f.string("mobile"),
        "twitter_id": f.string("twitter_id"),
        "unique_external_id": f.string("unique_external_id"),
        "other_emails": f.emails("other_emails"),
        "company_id": f.integer("company_id"),
        "view_all_tickets": f.boolean("view_all_tickets"),
        "address": f.string("address"),
        "description": f.string("description"),
        "job_title": f.string("job_title"),
        "language": f.string("language"),
        "tags": f.strings("tags"),
        "time_zone": f.string("time_zone"),
        "custom_fields": f.mapping("custom_fields"),
    })  # fmt: skip
    if "other_emails" in values:
        values["other_emails"] = [e.strip().lower() for e in values["other_emails"]]
    if creating and not any(values.get(k) for k in IDENTIFIERS):
        f.problem("email", "Please fill at least 1 of email, mobile, phone, twitter_id, "
                  "unique_external_id fields", "missing_field")  # fmt: skip
    company_id = values.get("company_id")
    if company_id is not None and store.get("companies", company_id) is None:
        f.problem("company_id", "There is no company matching the given company_id")
    return values


def check_unique_emails(store: Store, values: dict[str, Any], rid: int | None = None) -> None:
    """409 when another contact already has one of these emails."""
    for field in ("email", "other_emails"):
        emails = values.get(field) or []
        for email in [emails] if isinstance(emails, str) else emails:
            owner = store.contact_with_email(email)
            if owner is not None and owner["id"] != rid:
                raise duplicate(field, owner["id"])


def new_contact(rid: int, values: dict[str, Any], now: int) -> Record:
    created = values.get("created_at", now)
    return {**DEFAULTS, **values, "id": rid, "created_at": created,
            "updated_at": values.get("updated_at", created)}  # fmt: skip


def render(contact: Record) -> dict[str, Any]:
    out = {k: contact.get(k) for k in SHOWN}
    out["created_at"], out["updated_at"] = iso(contact["created_at"]), iso(contact["updated_at"])
    if contact.get("deleted"):
        out["deleted"] = True
    return out


def requester_embed(contact: Record) -> dict[str, Any]:
    """What `include=requester` embeds in a ticket."""
    return {k: contact.get(k) for k in ("email", "id", "mobile", "name", "phone")}


def requester_for(f: Fields, store: Store, now: int, *, required: bool) -> Record | None:
    """The contact a ticket request names (requester_id, email, phone or external id),
    created when it names an email, phone or external id no contact has yet."""
    rid = f.integer("requester_id")
    email = f.email("email")
    phone = f.string("phone")
    external = f.string("unique_external_id")
    name = f.string("name")
    if isinstance(rid, int):
        found = store.get("contacts", rid)
        if found is None:
            f.problem("requester_id", "There is no contact matching the given requester_id")
        return found
    if isinstance(email, str):
        return store.contact_with_email(email) or _created(store, now, name, email=email)
    for field, value in (("phone", phone), ("unique_external_id", external)):
        if isinstance(value, str):
            found = next((c for c in store.all("contacts").values() if c.get(field) == value), None)
            if found is not None:
                return found
            if not isinstance(name, str):
                f.problem("name", "It should be a/an String", "missing_field")
                return None
            return _created(store, now, name, **{field: value})
    if required:
        f.problem("requester_id", "Please fill at least 1 of requester_id, phone, email, "
                  "twitter_id, facebook_id, unique_external_id fields", "missing_field")  # fmt: skip
    return None


def _created(store: Store, now: int, name: Any, **identifier: str) -> Record:
    """A contact made for a ticket's requester; without a name, Freshdesk names it after
    the email's local part."""
    if not isinstance(name, str) or not name.strip():
        name = identifier.get("email", "").split("@")[0] or "Unknown"
    contact = new_contact(store.allocate("next_user_id"), {"name": name, **identifier}, now)
    store.save("contacts", contact)
    return contact
