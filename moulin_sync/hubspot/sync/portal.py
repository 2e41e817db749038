"""The portal's properties brought in line with the streams' specs, never altering a type.

Missing groups and properties are created and missing enumeration options added; a
property that exists with another type (or without the unique flag it needs) is only
reported — changing it could destroy data sales rely on, so a person decides. What the
portal holds is then the write steps' reference: a value the portal would refuse is
quarantined before any call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
from pydantic import BaseModel, Field

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.client.errors import HubSpotApiError
from moulin_sync.hubspot.streams import GroupedProperty
from moulin_sync.hubspot.streams.spec import Custom, PropertyGroup

# Pipeline and stage options live in the pipelines API, which resolved them.
PIPELINE_PROPERTIES = {"pipeline", "dealstage", "hs_pipeline", "hs_pipeline_stage"}


class PortalSchemaError(RuntimeError):
    """A property moulin-sync writes is missing from the portal."""


class PortalSchema(BaseModel):
    """What the property schema step found and did."""

    properties: dict[str, dict[str, dict[str, Any]]]  # object type → name → definition
    created: list[str] = Field(default_factory=list)
    options_added: list[str] = Field(default_factory=list)
    groups_created: list[str] = Field(default_factory=list)
    mismatches: list[dict[str, str]] = Field(default_factory=list)  # property, problem


def mismatch(spec: Custom, existing: Mapping[str, Any]) -> str | None:
    """Why an existing property cannot hold what we send, or None."""
    if existing.get("type") != spec.type:
        return f"is of type {existing.get('type')!r} in HubSpot, moulin-sync needs {spec.type!r}"
    if spec.unique and not existing.get("hasUniqueValue"):
        return "is not a unique-value property in HubSpot (it cannot be changed to one)"
    return None


def missing_options(spec: Custom, existing: Mapping[str, Any]) -> list[str]:
    if spec.type != "enumeration":
        return []
    present = {str(o.get("value")) for o in existing.get("options") or []}
    return [o.value for o in spec.options if o.value not in present]


def apply_schema(
    client: HubSpotClient, schemas: Mapping[str, Sequence[GroupedProperty]]
) -> PortalSchema:
    """Create what is missing of `schemas` (object type → custom properties, each in its
    property group)."""
    report = PortalSchema(properties={})
    for object_type, customs in schemas.items():
        portal = {p["name"]: p for p in client.properties.list(object_type)}
        held = {p.get("groupName") for p in portal.values()}
        for group in dict.fromkeys(grouped.group for grouped in customs):
            if group.name not in held:
                _create_group(client, object_type, group, report)
        for spec, group in customs:
            _complete(client, object_type, spec, group, portal, report)
        report.properties[object_type] = portal
    return report


def _create_group(
    client: HubSpotClient, object_type: str, group: PropertyGroup, report: PortalSchema
) -> None:
    try:
        client.properties.create_group(object_type, group.name, group.label)
        report.groups_created.append(f"{object_type}.{group.name}")
    except HubSpotApiError as exc:
        if exc.status != 409:  # already there, just empty
            raise


def _complete(
    client: HubSpotClient,
    object_type: str,
    spec: Custom,
    group: PropertyGroup,
    portal: dict[str, dict[str, Any]],
    report: PortalSchema,
) -> None:
    name = f"{object_type}.{spec.name}"
    existing = portal.get(spec.name)
    if existing is None:
        portal[spec.name] = client.properties.create(object_type, spec.definition(group.name))
        report.created.append(name)
        return
    problem = mismatch(spec, existing)
    if problem:
        report.mismatches.append({"property": name, "problem": problem})
        return
    absent = missing_options(spec, existing)
    if absent:
        options = list(existing.get("options") or [])
        wanted = {o.value: o for o in spec.options}
        for value in absent:
            options.append(
                {"label": wanted[value].label, "value": value, "displayOrder": len(options)}
            )
        portal[spec.name] = client.properties.update(object_type, spec.name, {"options": options})
        report.options_added.extend(f"{name}={v}" for v in absent)


def refused_by_portal(
    records: pl.DataFrame,
    portal: Mapping[str, Mapping[str, Any]],
    properties: Sequence[str],
    object_type: str,
) -> pl.DataFrame:
    """(source_key, reason) of the records holding a value the portal would refuse.

    A property missing altogether is a setup problem, not a record's: it fails loudly.
    """
    missing = [name for name in properties if name not in portal]
    if missing:
        raise PortalSchemaError(
            f"HubSpot {object_type} lack the properties {', '.join(missing)}: materialize "
            "hubspot/property_schema first (it creates them)."
        )
    reasons = []
    for name in properties:
        definition = portal[name]
        if definition.get("type") != "enumeration" or name in PIPELINE_PROPERTIES:
            continue
        options = [str(o.get("value")) for o in definition.get("options") or []]
        reasons.append(
            pl.when((pl.col(name) != "") & ~pl.col(name).is_in(options)).then(
                pl.format(f"{name} {{}} is not an option of the HubSpot property", pl.col(name))
            )
        )
    if not reasons:
        return pl.DataFrame(schema={"source_key": pl.String, "reason": pl.String})
    return records.select("source_key", reason=pl.coalesce(reasons)).filter(
        pl.col("reason").is_not_null()
    )
