"""Links between records (the association types are in `association_types`).

Each link is stored on both records (`rec.assoc[to_type][to_id] = {type ids}`), the reverse
side with the paired type id, so a read from either end agrees. A primary company label
(contact→company 1, deal→company 5, ticket→company 26) is unique per record: adding it moves
it off the record's previous primary company. A labelled link always carries the unlabelled
default type too, as HubSpot does.
"""

from __future__ import annotations

from typing import Any

from .association_types import (
    DEFAULT,
    PRIMARY_FROM_COMPANY,
    PRIMARY_TO_COMPANY,
    REVERSE,
    TYPES,
)
from .errors import ApiError
from .object_types import API_SINGULAR
from .store import Record, Store


def type_name(from_t: str, to_t: str, type_id: int) -> str:
    """The v3 `type` string, e.g. `contact_to_company` / `contact_to_company_unlabeled`."""
    base = f"{API_SINGULAR[from_t]}_to_{API_SINGULAR[to_t]}"
    types = TYPES[(from_t, to_t)]
    if len(types) > 1 and types[type_id] is None:
        return base + "_unlabeled"
    return base


def check_type(from_t: str, to_t: str, type_id: Any, category: Any = "HUBSPOT_DEFINED") -> int:
    types = TYPES.get((from_t, to_t))
    if types is None:
        raise ApiError(
            400, "VALIDATION_ERROR", f"No association types exist from {from_t} to {to_t}"
        )
    if category != "HUBSPOT_DEFINED" or not isinstance(type_id, int) or type_id not in types:
        raise ApiError(
            400,
            "VALIDATION_ERROR",
            f"{category} {type_id} is not a valid association type between {from_t} and {to_t}",
            errors=[{"message": "invalid association type", "code": "INVALID_ASSOCIATION_TYPE"}],
        )
    return type_id


def _link(store: Store, a: Record, b: Record, type_id: int) -> None:
    store.remember(a)
    store.remember(b)
    a.assoc.setdefault(b.type, {}).setdefault(b.id, set()).add(type_id)
    b.assoc.setdefault(a.type, {}).setdefault(a.id, set()).add(REVERSE[type_id])
    store.dirty.add((a.type, a.id))
    store.dirty.add((b.type, b.id))


def _unlink_type(store: Store, a: Record, b_type: str, b_id: str, type_id: int) -> None:
    store.remember(a)
    types = a.assoc.get(b_type, {}).get(b_id)
    if types:
        types.discard(type_id)
    b = store.objects[b_type].get(b_id)
    if b is not None:
        store.remember(b)
        back = b.assoc.get(a.type, {}).get(a.id)
        if back:
            back.discard(REVERSE[type_id])
        store.dirty.add((b.type, b.id))
    store.dirty.add((a.type, a.id))


def associate(store: Store, a: Record, b: Record, type_id: int) -> None:
    """Link `a` to `b` with `type_id` (plus the unlabelled default), keeping one primary company."""
    if type_id in PRIMARY_FROM_COMPANY:
        associate(store, b, a, REVERSE[type_id])
        return
    if type_id in PRIMARY_TO_COMPANY:
        for cid, types in list(a.assoc.get("companies", {}).items()):
            if cid != b.id and type_id in types:
                _unlink_type(store, a, "companies", cid, type_id)
    _link(store, a, b, type_id)
    default = DEFAULT[(a.type, b.type)]
    if type_id != default:
        _link(store, a, b, default)


def unlink(store: Store, a: Record, b_type: str, b_id: str) -> bool:
    """Remove every link between `a` and (b_type, b_id); True when something was linked."""
    store.remember(a)
    found = a.assoc.get(b_type, {}).pop(b_id, None)
    b = store.objects[b_type].get(b_id)
    if b is not None:
        store.remember(b)
        b.assoc.get(a.type, {}).pop(a.id, None)
        store.dirty.add((b.type, b.id))
    store.dirty.add((a.type, a.id))
    return bool(found)


def unlink_all(store: Store, a: Record) -> None:
    """Remove every link of `a`, from both ends (an archive or a GDPR delete)."""
    for to_t, links in list(a.assoc.items()):
        for oid in list(links):
            unlink(store, a, to_t, oid)


def linked(a: Record, to_t: str) -> dict[str, set[int]]:
    return {i: ts for i, ts in a.assoc.get(to_t, {}).items() if ts}


def specs_with_label(from_t: str, to_t: str, types: set[int]) -> list[dict[str, Any]]:
    labels = TYPES[(from_t, to_t)]
    return [
        {"category": "HUBSPOT_DEFINED", "typeId": t, "label": labels.get(t)}
        for t in sorted(types, key=lambda x: (labels.get(x) is None, x))
    ]


def v3_associations(rec: Record, to_types: list[str]) -> dict[str, Any]:
    """The `associations` member of a v3 object answer (`?associations=companies,...`)."""
    out: dict[str, Any] = {}
    for to_t in to_types:
        links = linked(rec, to_t)
        if not links:
            continue
        results = [
            {"id": i, "type": type_name(rec.type, to_t, t)}
            for i in sorted(links, key=int)
            for t in sorted(links[i], key=lambda x: (TYPES[(rec.type, to_t)].get(x) is None, x))
        ]
        out[to_t] = {"results": results}
    return out


def move_all(store: Store, loser: Record, survivor: Record) -> None:
    """Merge: every link of `loser` moves to `survivor` (links between the two are dropped)."""
    for to_t, links in list(loser.assoc.items()):
        for oid, types in list(links.items()):
            other = store.objects[to_t].get(oid)
            unlink(store, loser, to_t, oid)
            if other is None or other is survivor or (to_t == survivor.type and oid == survivor.id):
                continue
            for t in sorted(types, key=lambda x: x in PRIMARY_TO_COMPANY):
                if t in PRIMARY_TO_COMPANY and linked(survivor, "companies"):
                    has_primary = any(
                        t in ts for ts in survivor.assoc.get("companies", {}).values()
                    )
                    if has_primary:
                        continue  # the survivor keeps its own primary company
                associate(store, survivor, other, t)
