"""The portal's schema: property definitions, groups and pipelines per object type.

`Schema` holds them in HubSpot's JSON shapes (as persisted), compiles each live property into
a validator, and answers the properties, groups and pipelines API.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .default_schema import (
    default_groups,
    default_pipelines,
    default_properties,
    make_property,
    make_stage,
)
from .errors import ApiError, Problems, PropertyError, bad_request, not_found
from .object_types import DEFAULT_PIPELINE, OBJECT_TYPES, PIPELINE_PROPS, READ_ONLY, TYPE_IDS
from .validators import Validator, compile_validator

MAX_UNIQUE = 10
PROPERTY_TYPES = {"bool", "date", "datetime", "enumeration", "number", "phone_number", "string"}
FIELD_TYPES = {
    "booleancheckbox", "checkbox", "date", "file", "html", "number", "phonenumber",
    "radio", "select", "text", "textarea", "calculation_equation",
}  # fmt: skip
# What `to_json()` holds, in the order it is written to the state file.
_PERSISTED = ("properties", "groups", "pipelines", "next_pipeline_id")
_REQUIRED_ON_CREATE = ("name", "label", "type", "fieldType", "groupName")
_UPDATABLE = ("label", "description", "groupName", "displayOrder", "hidden", "fieldType", "type")


def _default_data() -> dict[str, Any]:
    return {
        "properties": {t: default_properties(t) for t in OBJECT_TYPES},
        "groups": {t: default_groups(t) for t in OBJECT_TYPES},
        "pipelines": {t: default_pipelines(t) for t in OBJECT_TYPES},
        "next_pipeline_id": 1000,
    }


def _with_every_type(data: dict[str, Any]) -> dict[str, Any]:
    """A saved schema with the default definitions of any type it predates."""
    for t in OBJECT_TYPES:
        if t not in data["properties"]:
            data["properties"][t] = default_properties(t)
            data["groups"][t] = default_groups(t)
            data["pipelines"][t] = default_pipelines(t)
    return data


def check_stages(label: Any, stages: Any) -> None:
    """A pipeline's label and stages of the right shape (before any id is given out)."""
    if not isinstance(label, str):
        raise bad_request("Invalid input JSON: label must be a string", "INVALID_INPUT")
    if not isinstance(stages, list):
        raise bad_request("Invalid input JSON: stages must be a list of stages", "INVALID_INPUT")
    for i, stage in enumerate(stages):
        if not isinstance(stage, dict):
            raise bad_request(
                f"Invalid input JSON: stages[{i}] must be a stage object", "INVALID_INPUT"
            )
        if not isinstance(stage.get("metadata") or {}, dict):
            raise bad_request(
                f"Invalid input JSON: stages[{i}].metadata must be an object", "INVALID_INPUT"
            )
        if "label" in stage and not isinstance(stage["label"], str):
            raise bad_request(
                f"Invalid input JSON: stages[{i}].label must be a string", "INVALID_INPUT"
            )


def property_options(options: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """A client's enumeration options in HubSpot's `Option` shape (400 without label/value)."""
    out = []
    if options is not None and not isinstance(options, list):
        raise bad_request("Invalid input JSON: options must be a list of options", "INVALID_INPUT")
    for i, o in enumerate(options or []):
        if not isinstance(o, dict):
            raise bad_request(
                f"Invalid input JSON: options[{i}] must be an option object", "INVALID_INPUT"
            )
        if "value" not in o or "label" not in o:
            raise bad_request("Every option needs a label and a value")
        if not isinstance(o["label"], str) or not isinstance(o["value"], str):
            raise bad_request(
                f"Invalid input JSON: options[{i}] label and value must be strings", "INVALID_INPUT"
            )
        out.append(
            {
                "label": o["label"],
                "value": o["value"],
                "displayOrder": o.get("displayOrder", i),
                "hidden": bool(o.get("hidden", False)),
                "description": o.get("description") or "",
            }
        )
    return out


class Schema:
    """Properties, groups and pipelines for every object type, with compiled validators."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        data = _default_data() if data is None else _with_every_type(data)
        self.properties: dict[str, dict[str, dict[str, Any]]] = data["properties"]
        self.groups: dict[str, dict[str, dict[str, Any]]] = data["groups"]
        self.pipelines: dict[str, dict[str, dict[str, Any]]] = data["pipelines"]
        self.next_pipeline_id: int = data["next_pipeline_id"]
        self.validators: dict[str, dict[str, Validator]] = {}
        self.unique: dict[str, tuple[str, ...]] = {}
        self.stage_sets: dict[str, dict[str, frozenset[str]]] = {}
        self.recompile()

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _PERSISTED}

    def clone(self) -> Schema:
        return Schema(copy.deepcopy(self.to_json()))

    def recompile(self) -> None:
        for t in OBJECT_TYPES:
            props = {n: p for n, p in self.properties[t].items() if not p.get("archived")}
            self.validators[t] = {n: compile_validator(t, p) for n, p in props.items()}
            uniq = [n for n, p in props.items() if p.get("hasUniqueValue")]
            if t == "contacts":
                uniq.insert(0, "email")
            self.unique[t] = tuple(uniq)
            self.stage_sets[t] = {
                pid: frozenset(s["id"] for s in p["stages"] if not s.get("archived"))
                for pid, p in self.pipelines[t].items()
                if not p.get("archived")
            }

    # -- values
    def validate(self, t: str, props: dict[str, Any], problems: Problems) -> dict[str, str]:
        """Normalise `props`; append (name, code, message) for every invalid value."""
        validators = self.validators[t]
        out: dict[str, str] = {}
        for name, raw in props.items():
            check = validators.get(name)
            if check is None:
                problems.append(
                    (name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
                )
                continue
            if name in READ_ONLY:
                problems.append((name, "READ_ONLY_VALUE", f'Property "{name}" is read-only'))
                continue
            if raw is None:
                out[name] = ""
                continue
            if isinstance(raw, dict | list):
                problems.append(
                    (
                        name,
                        "INVALID_INPUT",
                        f"Property {name}: a value is a string, not an {(type(raw).__name__ == 'dict' and 'object') or 'array'}",
                    )
                )
                continue
            if raw.__class__ is not str:
                raw = ("true" if raw else "false") if isinstance(raw, bool) else str(raw)
            if raw == "":
                out[name] = ""
                continue
            try:
                out[name] = check(raw)
            except PropertyError as e:
                problems.append((name, e.code, e.message))
        return out

    def check_pipeline(
        self, t: str, new: dict[str, str], old: dict[str, str] | None, problems: Problems
    ) -> None:
        """Validate the pipeline and stage of a deal/ticket write (filling the default pipeline)."""
        pp = PIPELINE_PROPS.get(t)
        if pp is None:
            return
        pname, sname = pp
        if pname not in new and sname not in new:
            return
        pipeline = new.get(pname) or (old or {}).get(pname) or DEFAULT_PIPELINE[t]
        stages = self.stage_sets[t].get(pipeline)
        if stages is None:
            problems.append(
                (pname, "INVALID_OPTION", f"{pipeline} was not one of the allowed options: "
                 f"[{', '.join(sorted(self.stage_sets[t]))}] for property {pname}")
            )  # fmt: skip
            return
        if old is None or pname in new or not old.get(pname):
            new[pname] = pipeline
        stage = new.get(sname, (old or {}).get(sname))
        if stage and stage not in stages:
            problems.append(
                (sname, "INVALID_OPTION", f"{stage} was not one of the allowed options: "
                 f"[{', '.join(sorted(stages))}] for property {sname} in pipeline {pipeline}")
            )  # fmt: skip

    # -- properties API
    def get_property(self, t: str, name: str) -> dict[str, Any]:
        p = self.properties[t].get(name)
        if p is None or p.get("archived"):
            raise not_found(f"Unable to find property {name} on object type {TYPE_IDS[t]}")
        return p

    def _check_new_property(self, t: str, body: dict[str, Any]) -> str:
        """The name of the property `body` defines, or the 4xx that refuses it."""
        for field in _REQUIRED_ON_CREATE:
            if not body.get(field):
                raise bad_request(f"Property {field} is required", "REQUIRED_FIELD")
        for field in (*_REQUIRED_ON_CREATE, "description"):
            if field in body and not isinstance(body[field], str):
                raise bad_request(f"Invalid input JSON: {field} must be a string", "INVALID_INPUT")
        name = body["name"]
        if not re.match(r"^[a-z][a-z0-9_]*$", name):
            raise bad_request(f"Property name {name} must be lowercase alphanumeric with _")
        if name in self.properties[t] and not self.properties[t][name].get("archived"):
            raise ApiError(
                409, "OBJECT_ALREADY_EXISTS", f"A property named '{name}' already exists."
            )
        if body["type"] not in PROPERTY_TYPES:
            raise bad_request(f"Invalid property type {body['type']}")
        if body["fieldType"] not in FIELD_TYPES:
            raise bad_request(f"Invalid field type {body['fieldType']}")
        if body["groupName"] not in self.groups[t]:
            raise bad_request(f"Property group {body['groupName']} does not exist")
        if body["type"] == "enumeration" and not body.get("options"):
            raise bad_request("Enumeration properties need at least one option")
        if body.get("hasUniqueValue") and len(self.unique[t]) - (t == "contacts") >= MAX_UNIQUE:
            raise bad_request(
                f"Can't create more than {MAX_UNIQUE} unique value properties for {TYPE_IDS[t]}",
                "TOO_MANY_UNIQUE_PROPERTIES",
            )
        return name

    def create_property(self, t: str, body: dict[str, Any], now_iso: str) -> dict[str, Any]:
        name = self._check_new_property(t, body)
        ptype = "string" if body["type"] == "phone_number" else body["type"]
        prop = make_property(
            t, name, body["label"], ptype, body["fieldType"], group=body["groupName"],
            options=property_options(body.get("options")), unique=bool(body.get("hasUniqueValue")),
            hubspot_defined=False, description=body.get("description") or "",
        )  # fmt: skip
        prop["displayOrder"] = body.get("displayOrder", -1)
        prop["hidden"] = bool(body.get("hidden", False))
        prop["createdAt"] = prop["updatedAt"] = now_iso
        self.properties[t][name] = prop
        self.recompile()
        return prop

    def update_property(
        self, t: str, name: str, body: dict[str, Any], now_iso: str
    ) -> dict[str, Any]:
        prop = self.get_property(t, name)
        if prop["modificationMetadata"]["readOnlyDefinition"] and set(body) - {"options"}:
            raise bad_request(f"Property {name} is read only and can't be modified")
        if "hasUniqueValue" in body and bool(body["hasUniqueValue"]) != prop["hasUniqueValue"]:
            raise bad_request("hasUniqueValue can't be changed after a property is created")
        if "groupName" in body and body["groupName"] not in self.groups[t]:
            raise bad_request(f"Property group {body['groupName']} does not exist")
        for field in _UPDATABLE:
            if field in body:
                prop[field] = body[field]
        if "options" in body:
            prop["options"] = property_options(body["options"])
        prop["updatedAt"] = now_iso
        self.recompile()
        return prop

    def archive_property(self, t: str, name: str) -> None:
        prop = self.get_property(t, name)
        if prop["hubspotDefined"]:
            raise bad_request(f"Property {name} is a HubSpot default and can't be archived")
        del self.properties[t][name]
        self.recompile()

    # -- groups
    def create_group(self, t: str, body: dict[str, Any]) -> dict[str, Any]:
        name, label = body.get("name"), body.get("label")
        if not name or not label:
            raise bad_request("A property group needs a name and a label")
        if not isinstance(name, str) or not isinstance(label, str):
            raise bad_request("Invalid input JSON: name and label must be strings", "INVALID_INPUT")
        order = body.get("displayOrder", -1)
        if isinstance(order, bool) or not isinstance(order, int):
            raise bad_request(
                "Invalid input JSON: displayOrder must be an integer", "INVALID_INPUT"
            )
        if name in self.groups[t]:
            raise ApiError(
                409, "OBJECT_ALREADY_EXISTS", f"A property group named '{name}' already exists."
            )
        group = {
            "name": name,
            "label": label,
            "displayOrder": body.get("displayOrder", -1),
            "archived": False,
        }
        self.groups[t][name] = group
        return group

    # -- pipelines
    def get_pipeline(self, t: str, pid: str) -> dict[str, Any]:
        p = self.pipelines[t].get(pid)
        if p is None:
            raise not_found(f"Unable to find pipeline {pid} for object type {TYPE_IDS[t]}")
        return p

    def create_pipeline(self, t: str, body: dict[str, Any], now_iso: str) -> dict[str, Any]:
        if t not in ("deals", "tickets"):
            raise bad_request(f"Object type {t} has no pipelines")
        label = body.get("label")
        stages_in = body.get("stages") or []
        if not label or not stages_in:
            raise bad_request("A pipeline needs a label and at least one stage")
        check_stages(label, stages_in)
        if any(p["label"] == label for p in self.pipelines[t].values()):
            raise ApiError(409, "CONFLICT", f"A pipeline with label {label} already exists")
        pid = str(self.next_pipeline_id)
        self.next_pipeline_id += 1
        stages = []
        for i, s in enumerate(stages_in):
            sid = str(self.next_pipeline_id)
            self.next_pipeline_id += 1
            meta = {k: str(v) for k, v in (s.get("metadata") or {}).items()}
            if t == "deals" and "probability" not in meta:
                raise bad_request("Deal stages need metadata.probability")
            stage = make_stage(sid, s.get("label", sid), s.get("displayOrder", i), meta)
            stage["createdAt"] = stage["updatedAt"] = now_iso
            stages.append(stage)
        pipeline = {
            "id": pid, "label": label, "displayOrder": body.get("displayOrder", len(self.pipelines[t])),
            "stages": stages, "createdAt": now_iso, "updatedAt": now_iso, "archived": False,
        }  # fmt: skip
        self.pipelines[t][pid] = pipeline
        self.recompile()
        return pipeline
