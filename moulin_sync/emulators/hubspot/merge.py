"""Merging two records (`POST /crm/v3/objects/{type}/merge`): the secondary is deleted for
good, the primary survives with the secondary's associations and its id among
`hs_merged_object_ids`.

Contacts keep every email: the primary's email stays its email, the secondary's (and
the secondary's additional emails) join the survivor's `hs_additional_emails`
(`;`-separated), and a primary without an email takes the secondary's as its email.
Those emails still belong to the survivor: a create with one answers 409 naming it, a read
by `idProperty=email` finds it. The survivor's other properties are its own.
"""

from __future__ import annotations

from typing import Any

from . import associations as assoc
from .contact_emails import additional_emails, join_emails
from .errors import bad_request, not_found
from .store import Record, Store
from .timestamps import now_ms

MERGEABLE = ("contacts", "companies", "deals")


def merge(store: Store, t: str, body: dict[str, Any]) -> Record:
    if t not in MERGEABLE:
        raise bad_request(f"Merging is not supported for {t}")
    pid, lid = str(body.get("primaryObjectId", "")), str(body.get("objectIdToMerge", ""))
    if not pid or not lid or pid == lid:
        raise bad_request("primaryObjectId and objectIdToMerge must be two different ids")
    survivor, loser = store.get(t, pid), store.get(t, lid)
    if survivor is None or loser is None:
        raise not_found(f"Object not found: {lid if survivor else pid}")
    changes = {"hs_merged_object_ids": _merged_ids(survivor, loser)}
    if t == "contacts":
        changes.update(_emails(survivor, loser))
    assoc.move_all(store, loser, survivor)
    store.delete(loser)  # frees the loser's unique values before the survivor takes any
    store.update(survivor, changes, now_ms())
    return survivor


def _merged_ids(survivor: Record, loser: Record) -> str:
    def ids(rec: Record) -> list[str]:
        return [x for x in rec.props.get("hs_merged_object_ids", "").split(";") if x]

    return ";".join(dict.fromkeys([*ids(survivor), loser.id, *ids(loser)]))


def _emails(survivor: Record, loser: Record) -> dict[str, str]:
    """The survivor's `email` and `hs_additional_emails` once the loser's are added."""
    email = survivor.props.get("email", "")
    taken = [e for e in (loser.props.get("email", ""), *additional_emails(loser.props)) if e]
    if not email and taken:
        email, taken = taken[0], taken[1:]
    extra = [e for e in (*additional_emails(survivor.props), *taken) if e != email]
    changes = {"hs_additional_emails": join_emails(extra)}
    if email != survivor.props.get("email", ""):
        changes["email"] = email
    return changes
