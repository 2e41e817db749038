"""HubSpot's GDPR delete of a contact: gone for good, unlike an archive."""

from __future__ import annotations

from typing import Any

from . import associations as assoc
from .contact_emails import all_emails
from .errors import bad_request, not_found
from .store import Store


def gdpr_delete(store: Store, t: str, body: dict[str, Any]) -> None:
    """Delete a contact for good, live or archived: its record, associations and
    unique values go, its id answers 404 everywhere (archived reads and search
    included), and its emails (additional ones included) join the GDPR blocklist. The API may create a contact
    with that email again: a new record, with a new id, sharing nothing with the old.

    With `idProperty: email` and no such contact, the email is blocklisted all the
    same (HubSpot's documented behaviour). An unknown id answers 404 (UNCONFIRMED:
    HubSpot documents only 204).
    """
    if t != "contacts":
        raise bad_request(f"GDPR delete is only supported for contacts, not {t}")
    object_id = str(body.get("objectId") or "")
    id_property = body.get("idProperty") or "hs_object_id"
    if not object_id:
        raise bad_request("objectId is required", "INVALID_INPUT")
    if id_property == "hs_object_id":
        rec = store.objects[t].get(object_id)
    elif id_property in store.schema.unique[t]:
        rec = store.find(t, id_property, object_id)
    else:
        raise bad_request(f"Property {id_property} is not a unique identifier property")
    if rec is None:
        if id_property != "email":
            raise not_found(f"Object not found: contact {object_id}")
        store.block_email(object_id)
        return
    for email in all_emails(rec.props):
        store.block_email(email)
    assoc.unlink_all(store, rec)
    store.delete(rec)
