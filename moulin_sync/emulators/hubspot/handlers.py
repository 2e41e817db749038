"""HubSpot API endpoints: objects v3, search, merge, properties, pipelines, associations v4.

Each handler is a plain synchronous function `(emulator, request) -> (status, body)`, so it runs
to completion on the event loop without interleaving with another request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.datastructures import QueryParams

from . import associations as assoc
from .errors import ApiError, bad_request, not_found
from .objects import batch_envelope, check_inputs, names_from
from .schema import TYPE_IDS, iso_ms, resolve_type
from .search import search
from .store import now_ms

if TYPE_CHECKING:
    from .app import Emulator


@dataclass
class Req:
    params: dict[str, str]
    query: QueryParams
    body: Any

    def flag(self, name: str) -> bool:
        return self.query.get(name, "false").lower() == "true"

    def dict_body(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise bad_request("Invalid input JSON: expected an object", "INVALID_INPUT")
        return self.body


Result = tuple[int, Any]


def _t(req: Req, key: str = "objectType") -> str:
    return resolve_type(req.params[key])


# ------------------------------------------------------------------------------- objects v3
def list_objects(em: Emulator, req: Req) -> Result:
    q = req.query
    try:
        limit = int(q.get("limit", "10"))
    except ValueError as e:
        raise bad_request("limit must be an integer") from e
    return 200, em.objects.list(
        _t(req),
        limit=limit,
        after=q.get("after"),
        properties=names_from(q.getlist("properties")),
        associations=names_from(q.getlist("associations")),
        archived=req.flag("archived"),
    )


def create_object(em: Emulator, req: Req) -> Result:
    return 201, em.objects.create(_t(req), req.dict_body())


def get_object(em: Emulator, req: Req) -> Result:
    q = req.query
    return 200, em.objects.read(
        _t(req),
        req.params["objectId"],
        properties=names_from(q.getlist("properties")),
        associations=names_from(q.getlist("associations")),
        id_property=q.get("idProperty"),
        archived=req.flag("archived"),
    )


def update_object(em: Emulator, req: Req) -> Result:
    t = _t(req)
    return 200, em.objects.update(
        t, req.params["objectId"], req.dict_body(), req.query.get("idProperty")
    )


def archive_object(em: Emulator, req: Req) -> Result:
    em.objects.archive(_t(req), req.params["objectId"])
    return 204, None


def batch_create(em: Emulator, req: Req) -> Result:
    return em.objects.batch_create(_t(req), req.body)


def batch_read(em: Emulator, req: Req) -> Result:
    return em.objects.batch_read(_t(req), req.dict_body(), req.flag("archived"))


def batch_update(em: Emulator, req: Req) -> Result:
    return em.objects.batch_update(_t(req), req.body)


def batch_upsert(em: Emulator, req: Req) -> Result:
    return em.objects.batch_upsert(_t(req), req.body)


def batch_archive(em: Emulator, req: Req) -> Result:
    em.objects.batch_archive(_t(req), req.body)
    return 204, None


def search_objects(em: Emulator, req: Req) -> Result:
    return 200, search(em.store, _t(req), req.dict_body())


def merge_objects(em: Emulator, req: Req) -> Result:
    return 200, em.objects.merge(_t(req), req.dict_body())


# ------------------------------------------------------------------------------- properties
def list_properties(em: Emulator, req: Req) -> Result:
    t = _t(req)
    archived = req.flag("archived")
    props = [
        p for p in em.store.schema.properties[t].values() if bool(p.get("archived")) == archived
    ]
    return 200, {"results": props}


def create_property(em: Emulator, req: Req) -> Result:
    prop = em.store.schema.create_property(_t(req), req.dict_body(), iso_ms(now_ms()))
    em.store.schema_dirty = True
    return 201, prop


def get_property(em: Emulator, req: Req) -> Result:
    return 200, em.store.schema.get_property(_t(req), req.params["propertyName"])


def update_property(em: Emulator, req: Req) -> Result:
    t = _t(req)
    prop = em.store.schema.update_property(
        t, req.params["propertyName"], req.dict_body(), iso_ms(now_ms())
    )
    em.store.schema_dirty = True
    return 200, prop


def archive_property(em: Emulator, req: Req) -> Result:
    em.store.schema.archive_property(_t(req), req.params["propertyName"])
    em.store.schema_dirty = True
    em.store.rebuild_indexes()
    return 204, None


def batch_create_properties(em: Emulator, req: Req) -> Result:
    t = _t(req)
    inputs = check_inputs(req.body)
    now = now_ms()
    schema = em.store.schema
    names = [i.get("name") for i in inputs]
    if len(set(names)) != len(names):
        raise bad_request("Duplicate property names in batch input")
    backup = schema.clone()
    results = []
    try:
        for body in inputs:
            results.append(schema.create_property(t, body, iso_ms(now)))
    except ApiError:
        em.store.schema = backup
        raise
    em.store.schema_dirty = True
    return 201, batch_envelope(results, [], now)


def batch_read_properties(em: Emulator, req: Req) -> Result:
    t = _t(req)
    inputs = check_inputs(req.body, limit=1000)
    props = em.store.schema.properties[t]
    results = [props[i["name"]] for i in inputs if i.get("name") in props]
    return 200, batch_envelope(results, [], now_ms())


def list_groups(em: Emulator, req: Req) -> Result:
    return 200, {"results": list(em.store.schema.groups[_t(req)].values())}


def create_group(em: Emulator, req: Req) -> Result:
    group = em.store.schema.create_group(_t(req), req.dict_body())
    em.store.schema_dirty = True
    return 201, group


def get_group(em: Emulator, req: Req) -> Result:
    group = em.store.schema.groups[_t(req)].get(req.params["groupName"])
    if group is None:
        raise not_found(f"Unable to find property group {req.params['groupName']}")
    return 200, group


# ------------------------------------------------------------------------------- pipelines
def list_pipelines(em: Emulator, req: Req) -> Result:
    t = _t(req)
    return 200, {
        "results": sorted(em.store.schema.pipelines[t].values(), key=lambda p: p["displayOrder"])
    }


def create_pipeline(em: Emulator, req: Req) -> Result:
    pipeline = em.store.schema.create_pipeline(_t(req), req.dict_body(), iso_ms(now_ms()))
    em.store.schema_dirty = True
    return 201, pipeline


def get_pipeline(em: Emulator, req: Req) -> Result:
    return 200, em.store.schema.get_pipeline(_t(req), req.params["pipelineId"])


def list_stages(em: Emulator, req: Req) -> Result:
    return 200, {
        "results": em.store.schema.get_pipeline(_t(req), req.params["pipelineId"])["stages"]
    }


# ------------------------------------------------------------------------------- associations v4
def _pair(req: Req) -> tuple[str, str]:
    return _t(req, "fromObjectType"), _t(req, "toObjectType")


def _pair_result(from_t: str, to_t: str, a_id: str, b_id: str, types: set[int]) -> dict[str, Any]:
    labels = assoc.TYPES[(from_t, to_t)]
    return {
        "fromObjectTypeId": TYPE_IDS[from_t],
        "fromObjectId": int(a_id),
        "toObjectTypeId": TYPE_IDS[to_t],
        "toObjectId": int(b_id),
        "labels": sorted(lbl for t, lbl in labels.items() if t in types and lbl),
    }


def assoc_batch_create(em: Emulator, req: Req) -> Result:
    from_t, to_t = _pair(req)
    inputs = check_inputs(req.body, limit=2000)
    now = now_ms()
    store = em.store
    results, errors = [], []
    for x in inputs:
        a_id = str((x.get("from") or {}).get("id", ""))
        b_id = str((x.get("to") or {}).get("id", ""))
        try:
            type_ids = [
                assoc.check_type(
                    from_t, to_t, s.get("associationTypeId"), s.get("associationCategory")
                )
                for s in x.get("types") or []
            ]
        except ApiError as e:
            errors.append(e.standard_error({"fromObjectId": [a_id], "toObjectId": [b_id]}))
            continue
        a, b = store.get(from_t, a_id), store.get(to_t, b_id)
        if a is None or b is None:
            missing = f"{from_t} {a_id}" if a is None else f"{to_t} {b_id}"
            errors.append(
                ApiError(404, "OBJECT_NOT_FOUND", f"Could not associate: {missing} does not exist")
                .standard_error({"fromObjectId": [a_id], "toObjectId": [b_id]})
            )  # fmt: skip
            continue
        for type_id in type_ids:
            assoc.associate(store, a, b, type_id)
        results.append(_pair_result(from_t, to_t, a_id, b_id, set(type_ids)))
    return (207 if errors else 201), batch_envelope(results, errors, now)


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
                    f"No {to_t[:-1]} is associated with {from_t[:-1]} {a_id}.",
                    sub_category="crm.associations.NO_ASSOCIATIONS_FOUND",
                ).standard_error({"fromObjectId": [a_id]})
            )  # fmt: skip
            continue
        to = [
            {
                "toObjectId": int(b_id),
                "associationTypes": assoc.specs_with_label(from_t, to_t, types),
            }
            for b_id, types in sorted(links.items(), key=lambda kv: int(kv[0]))
        ]
        results.append({"from": {"id": a_id}, "to": to})
    return (207 if errors else 200), batch_envelope(results, errors, now)


def assoc_batch_archive(em: Emulator, req: Req) -> Result:
    from_t, to_t = _pair(req)
    store = em.store
    for x in check_inputs(req.body, limit=2000):
        a = store.objects[from_t].get(str((x.get("from") or {}).get("id", "")))
        if a is None:
            continue
        for to in x.get("to") or []:
            assoc.unlink(store, a, to_t, str(to.get("id", "")))
    return 204, None


def assoc_batch_default(em: Emulator, req: Req) -> Result:
    from_t, to_t = _pair(req)
    now = now_ms()
    results, errors = [], []
    for x in check_inputs(req.body, limit=2000):
        a_id = str((x.get("from") or {}).get("id", ""))
        b_id = str((x.get("to") or {}).get("id", ""))
        try:
            results.append(_default(em, from_t, a_id, to_t, b_id))
        except ApiError as e:
            errors.append(e.standard_error({"fromObjectId": [a_id], "toObjectId": [b_id]}))
    return (207 if errors else 200), batch_envelope(results, errors, now)


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


def assoc_put_default(em: Emulator, req: Req) -> Result:
    from_t, to_t = _pair(req)
    p = req.params
    result = _default(em, from_t, p["fromObjectId"], to_t, p["toObjectId"])
    return 200, batch_envelope([result], [], now_ms())


def assoc_put_labels(em: Emulator, req: Req) -> Result:
    from_t, to_t = _t(req), _t(req, "toObjectType")
    p = req.params
    specs = req.body if isinstance(req.body, list) else []
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


def assoc_delete(em: Emulator, req: Req) -> Result:
    from_t, to_t = _t(req), _t(req, "toObjectType")
    a = em.store.objects[from_t].get(req.params["objectId"])
    if a is not None:
        assoc.unlink(em.store, a, to_t, req.params["toObjectId"])
    return 204, None


def assoc_list(em: Emulator, req: Req) -> Result:
    from_t, to_t = _t(req), _t(req, "toObjectType")
    a = em.store.get(from_t, req.params["objectId"])
    if a is None:
        raise not_found("Object not found")
    links = assoc.linked(a, to_t)
    return 200, {
        "results": [
            {"toObjectId": int(b), "associationTypes": assoc.specs_with_label(from_t, to_t, ts)}
            for b, ts in sorted(links.items(), key=lambda kv: int(kv[0]))
        ]
    }


OBJ = "/crm/v3/objects/{objectType}"
PROPS = "/crm/v3/properties/{objectType}"
PIPES = "/crm/v3/pipelines/{objectType}"
V4 = "/crm/v4/associations/{fromObjectType}/{toObjectType}/batch"
V4O = "/crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}"
# (method, path template, handler, mutates state)
ROUTES: list[tuple[str, str, Any, bool]] = [
    ("POST", f"{OBJ}/batch/create", batch_create, True),
    ("POST", f"{OBJ}/batch/read", batch_read, False),
    ("POST", f"{OBJ}/batch/update", batch_update, True),
    ("POST", f"{OBJ}/batch/upsert", batch_upsert, True),
    ("POST", f"{OBJ}/batch/archive", batch_archive, True),
    ("POST", f"{OBJ}/search", search_objects, False),
    ("POST", f"{OBJ}/merge", merge_objects, True),
    ("GET", OBJ, list_objects, False),
    ("POST", OBJ, create_object, True),
    ("GET", f"{OBJ}/{{objectId}}", get_object, False),
    ("PATCH", f"{OBJ}/{{objectId}}", update_object, True),
    ("DELETE", f"{OBJ}/{{objectId}}", archive_object, True),
    ("POST", f"{PROPS}/batch/create", batch_create_properties, True),
    ("POST", f"{PROPS}/batch/read", batch_read_properties, False),
    ("GET", f"{PROPS}/groups", list_groups, False),
    ("POST", f"{PROPS}/groups", create_group, True),
    ("GET", f"{PROPS}/groups/{{groupName}}", get_group, False),
    ("GET", PROPS, list_properties, False),
    ("POST", PROPS, create_property, True),
    ("GET", f"{PROPS}/{{propertyName}}", get_property, False),
    ("PATCH", f"{PROPS}/{{propertyName}}", update_property, True),
    ("DELETE", f"{PROPS}/{{propertyName}}", archive_property, True),
    ("GET", PIPES, list_pipelines, False),
    ("POST", PIPES, create_pipeline, True),
    ("GET", f"{PIPES}/{{pipelineId}}", get_pipeline, False),
    ("GET", f"{PIPES}/{{pipelineId}}/stages", list_stages, False),
    ("POST", f"{V4}/create", assoc_batch_create, True),
    ("POST", f"{V4}/read", assoc_batch_read, False),
    ("POST", f"{V4}/archive", assoc_batch_archive, True),
    ("POST", f"{V4}/associate/default", assoc_batch_default, True),
    (
        "PUT",
        "/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}",
        assoc_put_default,
        True,
    ),
    ("GET", V4O, assoc_list, False),
    ("PUT", f"{V4O}/{{toObjectId}}", assoc_put_labels, True),
    ("DELETE", f"{V4O}/{{toObjectId}}", assoc_delete, True),
]
