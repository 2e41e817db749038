"""Pipelines v3 endpoints: deal and ticket pipelines and their stages."""

from __future__ import annotations

from typing import Any

from .. import schema_edits
from ..core import Emulator, Req, Result, RouteTable, schema_changed, schema_created
from ..timestamps import iso_ms, now_ms

PIPES = "/crm/v3/pipelines/{objectType}"
table = RouteTable()


def _named_pipeline(em: Emulator, req: Req) -> dict[str, Any]:
    """The pipeline of path parameter `pipelineId` (404 when there is none)."""
    return em.store.schema.get_pipeline(req.object_type(), req.params["pipelineId"])


@table.add("GET", PIPES)
def list_pipelines(em: Emulator, req: Req) -> Result:
    t = req.object_type()
    return 200, {
        "results": sorted(em.store.schema.pipelines[t].values(), key=lambda p: p["displayOrder"])
    }


@table.add("POST", PIPES, mutates=True)
def create_pipeline(em: Emulator, req: Req) -> Result:
    return schema_created(em, req, em.store.schema.create_pipeline)


@table.add("GET", f"{PIPES}/{{pipelineId}}")
def get_pipeline(em: Emulator, req: Req) -> Result:
    return 200, _named_pipeline(em, req)


@table.add("GET", f"{PIPES}/{{pipelineId}}/stages")
def list_stages(em: Emulator, req: Req) -> Result:
    return 200, {"results": _named_pipeline(em, req)["stages"]}


@table.add("PATCH", f"{PIPES}/{{pipelineId}}", mutates=True)
def update_pipeline(em: Emulator, req: Req) -> Result:
    t, pid = req.object_type(), req.params["pipelineId"]
    changed = schema_edits.update_pipeline(em.store, t, pid, req.dict_body(), iso_ms(now_ms()))
    return schema_changed(em, 200, changed)


@table.add("DELETE", f"{PIPES}/{{pipelineId}}", mutates=True)
def delete_pipeline(em: Emulator, req: Req) -> Result:
    schema_edits.delete_pipeline(em.store, req.object_type(), req.params["pipelineId"])
    return schema_changed(em, 204, None)


@table.add("POST", f"{PIPES}/{{pipelineId}}/stages", mutates=True)
def create_stage(em: Emulator, req: Req) -> Result:
    t, pid = req.object_type(), req.params["pipelineId"]
    stage = schema_edits.create_stage(em.store, t, pid, req.dict_body(), iso_ms(now_ms()))
    return schema_changed(em, 201, stage)
