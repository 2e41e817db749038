"""HubSpot's legacy read APIs that clients still call: properties v1/v2 (a connection
check reads them) and CRM pipelines v1. Same schema as v3, in the legacy shapes: a bare
JSON array of properties, times in epoch milliseconds, pipelines keyed `pipelineId`."""

from __future__ import annotations

import re
from typing import Any

from ..core import Emulator, Req, Result, RouteTable
from ..default_schema import make_property
from ..errors import bad_request
from ..object_types import DEFAULT_PIPELINE, TYPE_IDS
from ..timestamps import to_epoch_ms

table = RouteTable()
V1_TYPES = ("contacts", "companies", "deals")
PIPELINE_TYPES = {"deals": "DEAL", "tickets": "TICKET"}
FORMS = ("form", "forms")
# Forms are no CRM object type; their legacy properties are read by clients' schema
# discovery. Only the form's name is modelled.
FORM_NAME = make_property("contacts", "name", "Form name", group="forminformation")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _ms(iso: str) -> int:
    return to_epoch_ms(iso) or 0


def legacy_property(prop: dict[str, Any]) -> dict[str, Any]:
    meta = prop.get("modificationMetadata", {})
    return {
        "name": prop["name"],
        "label": prop["label"],
        "description": prop.get("description", ""),
        "groupName": prop["groupName"],
        "type": prop["type"],
        "fieldType": prop["fieldType"],
        "options": [
            {**o, "readOnly": False, "doubleData": None} for o in prop.get("options") or []
        ],
        "displayOrder": prop.get("displayOrder", -1),
        "formField": prop.get("formField", False),
        "readOnlyValue": meta.get("readOnlyValue", False),
        "readOnlyDefinition": meta.get("readOnlyDefinition", False),
        "hidden": prop.get("hidden", False),
        "mutableDefinitionNotDeletable": prop.get("hubspotDefined", False),
        "favorited": False,
        "favoritedOrder": -1,
        "calculated": prop.get("calculated", False),
        "externalOptions": prop.get("externalOptions", False),
        "displayMode": "current_value",
        "deleted": False,
        "hubspotDefined": prop.get("hubspotDefined", False),
        "hasUniqueValue": prop.get("hasUniqueValue", False),
        "createdAt": _ms(prop["createdAt"]),
        "updatedAt": _ms(prop["updatedAt"]),
        "createdUserId": None,
        "updatedUserId": None,
    }


def _properties(em: Emulator, t: str) -> Result:
    live = [p for p in em.store.schema.properties[t].values() if not p.get("archived")]
    return 200, [legacy_property(p) for p in live]


@table.add("GET", "/properties/v2/{objectType}/properties")
def v2_properties(em: Emulator, req: Req) -> Result:
    if req.params["objectType"].lower() in FORMS:
        return 200, [legacy_property(FORM_NAME)]
    return _properties(em, req.object_type())


@table.add("GET", "/properties/v1/{objectType}/properties")
def v1_properties(em: Emulator, req: Req) -> Result:
    t = req.object_type()
    if t not in V1_TYPES:
        raise bad_request(f"The v1 properties API serves {', '.join(V1_TYPES)}, not {t}")
    return _properties(em, t)


def legacy_pipeline(t: str, pipeline: dict[str, Any], default_id: str) -> dict[str, Any]:
    return {
        "pipelineId": pipeline["id"],
        "createdAt": _ms(pipeline["createdAt"]),
        "updatedAt": _ms(pipeline["updatedAt"]),
        "objectType": PIPELINE_TYPES[t],
        "objectTypeId": TYPE_IDS[t],
        "label": pipeline["label"],
        "displayOrder": pipeline["displayOrder"],
        "active": not pipeline.get("archived", False),
        "default": pipeline["id"] == default_id,
        "stages": [
            {
                "stageId": s["id"],
                "createdAt": _ms(s["createdAt"]),
                "updatedAt": _ms(s["updatedAt"]),
                "label": s["label"],
                "displayOrder": s["displayOrder"],
                "active": not s.get("archived", False),
                "metadata": _stage_metadata(s.get("metadata") or {}),
            }
            for s in pipeline["stages"]
        ],
    }


def _stage_metadata(metadata: dict[str, str]) -> dict[str, Any]:
    """v1 gives a deal stage's probability as a number, the rest as v3 does."""
    out: dict[str, Any] = dict(metadata)
    probability = out.get("probability")
    if probability is not None and _NUMBER.match(probability):
        out["probability"] = float(probability)
    return out


@table.add("GET", "/crm-pipelines/v1/pipelines/{objectType}")
def v1_pipelines(em: Emulator, req: Req) -> Result:
    t = req.object_type()
    if t not in PIPELINE_TYPES:
        raise bad_request(f"Pipelines v1 serve deals and tickets, not {t}")
    pipelines = sorted(em.store.schema.pipelines[t].values(), key=lambda p: p["displayOrder"])
    return 200, {"results": [legacy_pipeline(t, p, DEFAULT_PIPELINE[t]) for p in pipelines]}
