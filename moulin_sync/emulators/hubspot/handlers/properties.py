"""Properties v3 endpoints: property definitions (single and batch) and property groups."""

from __future__ import annotations

from .. import schema_edits
from ..core import Emulator, Req, Result, RouteTable, schema_changed, schema_created
from ..errors import ApiError, bad_request, not_found
from ..payloads import batch_envelope, check_inputs
from ..timestamps import iso_ms, now_ms

PROPS = "/crm/v3/properties/{objectType}"
table = RouteTable()


@table.add("POST", f"{PROPS}/batch/create", mutates=True)
def batch_create_properties(em: Emulator, req: Req) -> Result:
    t = req.object_type()
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
        em.store.schema = backup  # all or nothing: drop the properties created before the error
        raise
    return schema_changed(em, 201, batch_envelope(results, [], now))


@table.add("POST", f"{PROPS}/batch/read")
def batch_read_properties(em: Emulator, req: Req) -> Result:
    t = req.object_type()
    inputs = check_inputs(req.body, limit=1000)
    props = em.store.schema.properties[t]
    results = [props[i["name"]] for i in inputs if i.get("name") in props]
    return 200, batch_envelope(results, [], now_ms())


@table.add("GET", f"{PROPS}/groups")
def list_groups(em: Emulator, req: Req) -> Result:
    return 200, {"results": list(em.store.schema.groups[req.object_type()].values())}


@table.add("POST", f"{PROPS}/groups", mutates=True)
def create_group(em: Emulator, req: Req) -> Result:
    group = em.store.schema.create_group(req.object_type(), req.dict_body())
    return schema_changed(em, 201, group)


@table.add("POST", f"{PROPS}/batch/archive", mutates=True)
def archive_properties(em: Emulator, req: Req) -> Result:
    schema_edits.archive_properties(em.store, req.object_type(), req.body)
    return schema_changed(em, 204, None)


@table.add("PATCH", f"{PROPS}/groups/{{groupName}}", mutates=True)
def update_group(em: Emulator, req: Req) -> Result:
    t, name = req.object_type(), req.params["groupName"]
    return schema_changed(em, 200, schema_edits.update_group(em.store, t, name, req.dict_body()))


@table.add("DELETE", f"{PROPS}/groups/{{groupName}}", mutates=True)
def archive_group(em: Emulator, req: Req) -> Result:
    schema_edits.archive_group(em.store, req.object_type(), req.params["groupName"])
    return schema_changed(em, 204, None)


@table.add("GET", f"{PROPS}/groups/{{groupName}}")
def get_group(em: Emulator, req: Req) -> Result:
    group = em.store.schema.groups[req.object_type()].get(req.params["groupName"])
    if group is None:
        raise not_found(f"Unable to find property group {req.params['groupName']}")
    return 200, group


@table.add("GET", PROPS)
def list_properties(em: Emulator, req: Req) -> Result:
    t = req.object_type()
    archived = req.flag("archived")
    props = [
        p for p in em.store.schema.properties[t].values() if bool(p.get("archived")) == archived
    ]
    return 200, {"results": props}


@table.add("POST", PROPS, mutates=True)
def create_property(em: Emulator, req: Req) -> Result:
    return schema_created(em, req, em.store.schema.create_property)


@table.add("GET", f"{PROPS}/{{propertyName}}")
def get_property(em: Emulator, req: Req) -> Result:
    return 200, em.store.schema.get_property(req.object_type(), req.params["propertyName"])


@table.add("PATCH", f"{PROPS}/{{propertyName}}", mutates=True)
def update_property(em: Emulator, req: Req) -> Result:
    t = req.object_type()
    prop = em.store.schema.update_property(
        t, req.params["propertyName"], req.dict_body(), iso_ms(now_ms())
    )
    return schema_changed(em, 200, prop)


@table.add("DELETE", f"{PROPS}/{{propertyName}}", mutates=True)
def archive_property(em: Emulator, req: Req) -> Result:
    em.store.schema.archive_property(req.object_type(), req.params["propertyName"])
    em.store.rebuild_indexes()  # the archived property may have been a unique one
    return schema_changed(em, 204, None)
