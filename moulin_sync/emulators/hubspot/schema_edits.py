"""Edits of the schema a client may make besides creating: property groups changed or
archived, properties archived in a batch, pipelines changed or deleted, stages added.

Each checks its whole request before changing anything (HubSpot's requests are atomic).
"""

from __future__ import annotations

from typing import Any

from .default_schema import make_stage
from .errors import ApiError, bad_request, not_found
from .object_types import PIPELINE_PROPS
from .schema import check_stages
from .store import Store


def _string(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"Invalid input JSON: {field} must be a string", "INVALID_INPUT")
    return value


def _integer(body: dict[str, Any], field: str) -> int | None:
    value = body.get(field)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise bad_request(f"Invalid input JSON: {field} must be an integer", "INVALID_INPUT")
    return value


# -- property groups


def _group(store: Store, t: str, name: str) -> dict[str, Any]:
    group = store.schema.groups[t].get(name)
    if group is None:
        raise not_found(f"Unable to find property group {name}")
    return group


def update_group(store: Store, t: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
    group = _group(store, t, name)
    label, order = _string(body, "label"), _integer(body, "displayOrder")
    if label is not None:
        group["label"] = label
    if order is not None:
        group["displayOrder"] = order
    return group


def archive_group(store: Store, t: str, name: str) -> None:
    """A group holding properties cannot go: they would be left without one."""
    _group(store, t, name)
    held = sorted(p for p, prop in store.schema.properties[t].items() if prop["groupName"] == name)
    if held:
        raise bad_request(
            f"Property group {name} still holds {len(held)} properties ({', '.join(held[:5])}): "
            "move or archive them first"
        )
    del store.schema.groups[t][name]


# -- properties


def archive_properties(store: Store, t: str, body: Any) -> None:
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not all(
        isinstance(x, dict) and isinstance(x.get("name"), str) for x in inputs
    ):
        raise bad_request("Invalid input JSON: inputs must be a list of {name}", "INVALID_INPUT")
    names = [x["name"] for x in inputs]
    for name in names:
        prop = store.schema.get_property(t, name)  # 404 when there is none
        if prop["hubspotDefined"]:
            raise bad_request(f"Property {name} is a HubSpot default and can't be archived")
    for name in names:
        store.schema.archive_property(t, name)
    store.rebuild_indexes()  # an archived property may have been a unique one


# -- pipelines


def update_pipeline(
    store: Store, t: str, pid: str, body: dict[str, Any], now_iso: str
) -> dict[str, Any]:
    pipeline = store.schema.get_pipeline(t, pid)
    label, order = _string(body, "label"), _integer(body, "displayOrder")
    others = (p for p in store.schema.pipelines[t].values() if p["id"] != pid)
    if label is not None and any(p["label"] == label for p in others):
        raise ApiError(409, "CONFLICT", f"A pipeline with label {label} already exists")
    if label is not None:
        pipeline["label"] = label
    if order is not None:
        pipeline["displayOrder"] = order
    pipeline["updatedAt"] = now_iso
    return pipeline


def delete_pipeline(store: Store, t: str, pid: str) -> None:
    """A pipeline that records are in cannot go (they would have no stage)."""
    store.schema.get_pipeline(t, pid)
    in_it = sum(
        1
        for rec in store.objects[t].values()
        if not rec.archived and rec.props.get(PIPELINE_PROPS[t][0]) == pid
    )
    if in_it:
        raise ApiError(
            409, "CONFLICT", f"Pipeline {pid} holds {in_it} {t}: move them to another first"
        )
    del store.schema.pipelines[t][pid]
    store.schema.recompile()


def create_stage(
    store: Store, t: str, pid: str, body: dict[str, Any], now_iso: str
) -> dict[str, Any]:
    schema = store.schema
    pipeline = schema.get_pipeline(t, pid)
    label = body.get("label")
    if not label:
        raise bad_request("A stage needs a label")
    check_stages(pipeline["label"], [body])
    meta = {k: str(v) for k, v in (body.get("metadata") or {}).items()}
    if t == "deals" and "probability" not in meta:
        raise bad_request("Deal stages need metadata.probability")
    order = _integer(body, "displayOrder")
    sid = str(schema.next_pipeline_id)
    schema.next_pipeline_id += 1
    stage = make_stage(sid, label, len(pipeline["stages"]) if order is None else order, meta)
    stage["createdAt"] = stage["updatedAt"] = now_iso
    pipeline["stages"].append(stage)
    pipeline["updatedAt"] = now_iso
    schema.recompile()
    return stage
