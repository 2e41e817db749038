"""Associations v4 endpoints: batch create/read/archive/default, and per-object labels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import associations as assoc
from ..core import Emulator, Req, Result, RouteTable
from ..errors import ApiError, bad_request, not_found
from ..object_types import API_SINGULAR, TYPE_IDS
from ..payloads import batch_answer, check_inputs
from ..timestamps import now_ms

V4 = "/crm/v4/associations/{fromObjectType}/{toObjectType}/batch"
V4O = "/crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}"
V4_DEFAULT = "/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}"
table = RouteTable()


def _pair(req: Req, from_param: str = "fromObjectType") -> tuple[str, str]:
    return req.object_type(from_param), req.object_type("toObjectType")


def _pair_result(from_t: str, to_t: str, a_id: str, b_id: str, types: set[int]) -> dict[str, Any]:
    labels = assoc.TYPES[(from_t, to_t)]
    return {
        "fromObjectTypeId": TYPE_IDS[from_t],
        "fromObjectId": int(a_id),
        "toObjectTypeId": TYPE_IDS[to_t],
        "toObjectId": int(b_id),
        "labels": sorted(lbl for t, lbl in labels.items() if t in types and lbl),
    }


def _targets(from_t: str, to_t: str, links: dict[str, set[int]]) -> list[dict[str, Any]]:
    """Linked records in v4's `{toObjectId, associationTypes}` shape, by ascending id."""
    return [
        {"toObjectId": int(b_id), "associationTypes": assoc.specs_with_label(from_t, to_t, types)}
        for b_id, types in sorted(links.items(), key=lambda kv: int(kv[0]))
    ]


def _an_id(value: Any, where: str) -> None:
    if not isinstance(value, dict) or not isinstance(value.get("id"), str | int):
        raise bad_request(
            f"Invalid input JSON: {where} must be an object with an `id`", "INVALID_INPUT"
        )


def check_pairs(
    inputs: list[dict[str, Any]], *, to_many: bool = False, typed: bool = False
) -> list[dict[str, Any]]:
    """Every input's shape, before anything is applied: a request with one malformed
    input is refused whole (400) and changes nothing, as HubSpot's are."""
    for n, x in enumerate(inputs):
        _an_id(x.get("from"), f"inputs[{n}].from")
        targets = x.get("to")
        if to_many:
            if not isinstance(targets, list):
                raise bad_request(
                    f"Invalid input JSON: inputs[{n}].to must be a list", "INVALID_INPUT"
                )
            for m, target in enumerate(targets):
                _an_id(target, f"inputs[{n}].to[{m}]")
        else:
            _an_id(targets, f"inputs[{n}].to")
        types = x.get("types")
        if typed and (
            not isinstance(types, list)
            or not all(
                isinstance(t, dict) and isinstance(t.get("associationTypeId"), int) for t in types
            )
        ):
            raise bad_request(
                f"Invalid input JSON: inputs[{n}].types must be a list of "
                "{associationCategory, associationTypeId}",
                "INVALID_INPUT",
            )
    return inputs


def _each_pair(
    inputs: list[dict[str, Any]], link: Callable[[dict[str, Any], str, str], dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Apply `link(input, from id, to id)` to every input; its ApiErrors become batch errors."""
    results, errors = [], []
    for x in inputs:
        a_id = str((x.get("from") or {}).get("id", ""))
        b_id = str((x.get("to") or {}).get("id", ""))
        try:
            results.append(link(x, a_id, b_id))
        except ApiError as e:
            errors.append(e.standard_error({"fromObjectId": [a_id], "toObjectId": [b_id]}))
    return results, errors


@table.add("POST", f"{V4}/create", mutates=True)
def assoc_batch_create(em: Emulator, req: Req) -> Result:
    from_t, to_t = _pair(req)
    inputs = check_pairs(check_inputs(req.body, limit=2000), typed=True)
    now = now_ms()

    def create(x: dict[str, Any], a_id: str, b_id: str) -> dict[str, Any]:
        type_ids = [
            assoc.check_type(from_t, to_t, s.get("associationTypeId"), s.get("associationCategory"))
            for s in x.get("types") or []
        ]
        a, b = em.store.get(from_t, a_id), em.store.get(to_t, b_id)
        if a is None or b is None:
            missing = f"{from_t} {a_id}" if a is None else f"{to_t} {b_id}"
            raise ApiError(
                404, "OBJECT_NOT_FOUND", f"Could not associate: {missing} does not exist"
            )
        for type_id in type_ids:
            assoc.associate(em.store, a, b, type_id)
        return _pair_result(from_t, to_t, a_id, b_id, set(type_ids))

    results, errors = _each_pair(inputs, create)
    return batch_answer(201, results, errors, now)


@table.add("POST", f"{V4}/read")
def assoc_batch_read(em: Emulator, req: Req) -> Result:
    from_t, to_t = _pair(req)
    inputs = check_inputs(req.body, limit=1000)
    now = now_ms()
    results, errors = [], []
    for x in inputs:
        a_id = str(x.get("id", ""))
        a = em.store.get(from_t, a_id)
        links = assoc.linked(a, to_t) if a is not None else {}
        if not links:
            errors.append(
                ApiError(
                    404, "OBJECT_NOT_FOUND",
                    f"No {API_SINGULAR[to_t]} is associated with {API_SINGULAR[from_t]} {a_id}.",
                    sub_category="crm.associations.NO_ASSOCIATIONS_FOUND",
                ).standard_error({"fromObjectId": [a_id]})
            )  # fmt: skip
            continue
        results.append({"from": {"id": a_id}, "to": _targets(from_t, to_t, links)})
    return batch_answer(200, results, errors, now)


@table.add("POST", f"{V4}/archive", mutates=True)
def assoc_batch_archive(em: Emulator, req: Req) -> Result:
    from_t, to_t = _pair(req)
    store = em.store
    for x in check_pairs(check_inputs(req.body, limit=2000), to_many=True):
        a = store.objects[from_t].get(str((x.get("from") or {}).get("id", "")))
        if a is None:
            continue
        for to in x.get("to") or []:
            assoc.unlink(store, a, to_t, str(to.get("id", "")))
    return 204, None


def _default(em: Emulator, from_t: str, a_id: str, to_t: str, b_id: str) -> dict[str, Any]:
    if (from_t, to_t) not in assoc.TYPES:
        raise bad_request(f"No association types exist from {from_t} to {to_t}")
    a, b = em.store.get(from_t, a_id), em.store.get(to_t, b_id)
    if a is None or b is None:
        raise not_found(f"Could not associate {from_t} {a_id} with {to_t} {b_id}: not found")
    type_id = assoc.DEFAULT[(from_t, to_t)]
    assoc.associate(em.store, a, b, type_id)
    return {
        "from": {"id": a_id},
        "to": {"id": b_id},
        "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id},
    }


@table.add("POST", f"{V4}/associate/default", mutates=True)
def assoc_batch_default(em: Emulator, req: Req) -> Result:
    from_t, to_t = _pair(req)
    now = now_ms()
    results, errors = _each_pair(
        check_pairs(check_inputs(req.body, limit=2000)),
        lambda _x, a_id, b_id: _default(em, from_t, a_id, to_t, b_id),
    )
    return batch_answer(200, results, errors, now)


@table.add("PUT", V4_DEFAULT, mutates=True)
def assoc_put_default(em: Emulator, req: Req) -> Result:
    from_t, to_t = _pair(req)
    p = req.params
    result = _default(em, from_t, p["fromObjectId"], to_t, p["toObjectId"])
    return batch_answer(200, [result], [], now_ms())


@table.add("GET", V4O)
def assoc_list(em: Emulator, req: Req) -> Result:
    from_t, to_t = _pair(req, "objectType")
    a = em.store.get(from_t, req.params["objectId"])
    if a is None:
        raise not_found("Object not found")
    return 200, {"results": _targets(from_t, to_t, assoc.linked(a, to_t))}


@table.add("PUT", f"{V4O}/{{toObjectId}}", mutates=True)
def assoc_put_labels(em: Emulator, req: Req) -> Result:
    from_t, to_t = _pair(req, "objectType")
    p = req.params
    specs = req.body
    if not isinstance(specs, list) or not all(isinstance(spec, dict) for spec in specs):
        raise bad_request(
            "Invalid input JSON: the body must be a list of {associationCategory, "
            "associationTypeId}",
            "INVALID_INPUT",
        )
    type_ids = [
        assoc.check_type(from_t, to_t, s.get("associationTypeId"), s.get("associationCategory"))
        for s in specs
    ]
    a, b = em.store.get(from_t, p["objectId"]), em.store.get(to_t, p["toObjectId"])
    if a is None or b is None:
        raise not_found("Could not associate: object not found")
    for type_id in type_ids:
        assoc.associate(em.store, a, b, type_id)
    return 201, _pair_result(from_t, to_t, a.id, b.id, set(type_ids))


@table.add("DELETE", f"{V4O}/{{toObjectId}}", mutates=True)
def assoc_delete(em: Emulator, req: Req) -> Result:
    from_t, to_t = _pair(req, "objectType")
    a = em.store.objects[from_t].get(req.params["objectId"])
    if a is not None:
        assoc.unlink(em.store, a, to_t, req.params["toObjectId"])
    return 204, None
