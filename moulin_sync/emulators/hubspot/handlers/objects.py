"""Objects v3 endpoints: single and batch create/read/update/upsert/archive, list, search,
merge, GDPR delete."""

from __future__ import annotations

from .. import gdpr
from ..core import Emulator, Req, Result, RouteTable
from ..errors import bad_request
from ..payloads import names_from
from ..search import search

OBJ = "/crm/v3/objects/{objectType}"
table = RouteTable()


@table.add("POST", f"{OBJ}/batch/create", mutates=True)
def batch_create(em: Emulator, req: Req) -> Result:
    return em.objects.batch_create(req.object_type(), req.body)


@table.add("POST", f"{OBJ}/batch/read")
def batch_read(em: Emulator, req: Req) -> Result:
    return em.objects.batch_read(req.object_type(), req.dict_body(), req.flag("archived"))


@table.add("POST", f"{OBJ}/batch/update", mutates=True)
def batch_update(em: Emulator, req: Req) -> Result:
    return em.objects.batch_update(req.object_type(), req.body)


@table.add("POST", f"{OBJ}/batch/upsert", mutates=True)
def batch_upsert(em: Emulator, req: Req) -> Result:
    return em.objects.batch_upsert(req.object_type(), req.body)


@table.add("POST", f"{OBJ}/batch/archive", mutates=True)
def batch_archive(em: Emulator, req: Req) -> Result:
    em.objects.batch_archive(req.object_type(), req.body)
    return 204, None


@table.add("POST", f"{OBJ}/search")
def search_objects(em: Emulator, req: Req) -> Result:
    return 200, search(em.store, req.object_type(), req.dict_body())


@table.add("POST", f"{OBJ}/merge", mutates=True)
def merge_objects(em: Emulator, req: Req) -> Result:
    return 200, em.objects.merge(req.object_type(), req.dict_body())


@table.add("POST", f"{OBJ}/gdpr-delete", mutates=True)
def gdpr_delete(em: Emulator, req: Req) -> Result:
    gdpr.gdpr_delete(em.store, req.object_type(), req.dict_body())
    return 204, None


@table.add("GET", OBJ)
def list_objects(em: Emulator, req: Req) -> Result:
    q = req.query
    try:
        limit = int(q.get("limit", "10"))
    except ValueError as e:
        raise bad_request("limit must be an integer") from e
    return 200, em.objects.list(
        req.object_type(),
        limit=limit,
        after=q.get("after"),
        properties=names_from(q.getlist("properties")),
        associations=names_from(q.getlist("associations")),
        archived=req.flag("archived"),
    )


@table.add("POST", OBJ, mutates=True)
def create_object(em: Emulator, req: Req) -> Result:
    return 201, em.objects.create(req.object_type(), req.dict_body())


@table.add("GET", f"{OBJ}/{{objectId}}")
def get_object(em: Emulator, req: Req) -> Result:
    q = req.query
    return 200, em.objects.read(
        req.object_type(),
        req.params["objectId"],
        properties=names_from(q.getlist("properties")),
        associations=names_from(q.getlist("associations")),
        id_property=q.get("idProperty"),
        archived=req.flag("archived"),
    )


@table.add("PATCH", f"{OBJ}/{{objectId}}", mutates=True)
def update_object(em: Emulator, req: Req) -> Result:
    t = req.object_type()
    return 200, em.objects.update(
        t, req.params["objectId"], req.dict_body(), req.query.get("idProperty")
    )


@table.add("DELETE", f"{OBJ}/{{objectId}}", mutates=True)
def archive_object(em: Emulator, req: Req) -> Result:
    em.objects.archive(req.object_type(), req.params["objectId"])
    return 204, None
