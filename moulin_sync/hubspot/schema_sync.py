"""Bring the portal's properties in line with `properties.py`, never altering a type.

Missing groups and properties are created and missing enumeration options added; a
property that exists with another type (or without the unique flag it needs) is only
reported — changing it could destroy data sales rely on, so a person decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.client.errors import HubSpotApiError
from moulin_sync.hubspot.properties import GROUP_LABEL, GROUP_NAME, ObjectSchema, PropertySpec


@dataclass
class SchemaReport:
    created: list[str] = field(default_factory=list)
    options_added: list[str] = field(default_factory=list)
    groups_created: list[str] = field(default_factory=list)
    mismatches: list[dict[str, str]] = field(default_factory=list)
    portal: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


def mismatch(spec: PropertySpec, existing: dict[str, Any]) -> str | None:
    """Why an existing property cannot hold what we send, or None."""
    if existing.get("type") != spec.type:
        return f"is of type {existing.get('type')!r} in HubSpot, moulin-sync needs {spec.type!r}"
    if spec.unique and not existing.get("hasUniqueValue"):
        return "is not a unique-value property in HubSpot (it cannot be changed to one)"
    return None


def missing_options(spec: PropertySpec, existing: dict[str, Any]) -> list[str]:
    if spec.type != "enumeration":
        return []
    present = {str(o.get("value")) for o in existing.get("options") or []}
    return [o.value for o in spec.options if o.value not in present]


def apply_schema(client: HubSpotClient, schemas: list[ObjectSchema]) -> SchemaReport:
    report = SchemaReport()
    for schema in schemas:
        portal = {p["name"]: p for p in client.properties.list(schema.object_type)}
        groups_known = {p.get("groupName") for p in portal.values()}
        if GROUP_NAME not in groups_known:
            try:
                client.properties.create_group(schema.object_type, GROUP_NAME, GROUP_LABEL)
                report.groups_created.append(schema.object_type)
            except HubSpotApiError as exc:
                if exc.status != 409:  # already there, just empty
                    raise
        for spec in schema.properties:
            existing = portal.get(spec.name)
            name = f"{schema.object_type}.{spec.name}"
            if existing is None:
                portal[spec.name] = client.properties.create(schema.object_type, spec.definition())
                report.created.append(name)
                continue
            problem = mismatch(spec, existing)
            if problem:
                report.mismatches.append({"property": name, "problem": problem})
                continue
            absent = missing_options(spec, existing)
            if absent:
                options = list(existing.get("options") or [])
                wanted = {o.value: o for o in spec.options}
                for value in absent:
                    options.append(
                        {"label": wanted[value].label, "value": value, "displayOrder": len(options)}
                    )
                portal[spec.name] = client.properties.update(
                    schema.object_type, spec.name, {"options": options}
                )
                report.options_added.extend(f"{name}={v}" for v in absent)
        report.portal[schema.object_type] = portal
    return report


PIPELINE_PROPERTIES = {"pipeline", "dealstage", "hs_pipeline", "hs_pipeline_stage"}


class PortalSchemaError(RuntimeError):
    """A property moulin-sync writes is missing from the portal."""


def check_against_portal(
    records: pl.DataFrame,
    portal: dict[str, dict[str, Any]],
    properties: tuple[str, ...],
    object_type: str,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Values the portal would refuse, found before sending: (sendable, rejected).

    A property missing altogether is a setup problem, not a record's: it fails loudly.
    """
    import polars as pl

    missing = [name for name in properties if name not in portal]
    if missing:
        raise PortalSchemaError(
            f"HubSpot {object_type} lack the properties {', '.join(missing)}: materialize "
            "hubspot/property_schema first (it creates them)."
        )
    reasons = []
    for name in properties:
        definition = portal[name]
        # Pipeline and stage options live in the pipelines API, which resolved them.
        if definition.get("type") != "enumeration" or name in PIPELINE_PROPERTIES:
            continue
        options = [str(o.get("value")) for o in definition.get("options") or []]
        reasons.append(
            pl.when((pl.col(name) != "") & ~pl.col(name).is_in(options)).then(
                pl.format(f"{name} {{}} is not an option of the HubSpot property", pl.col(name))
            )
        )
    if not reasons:
        return records, records.head(0).select("source_key").with_columns(reason=pl.lit(""))
    checked = records.with_columns(reason=pl.coalesce(reasons))
    return (
        checked.filter(pl.col("reason").is_null()).drop("reason"),
        checked.filter(pl.col("reason").is_not_null()).select("source_key", "reason"),
    )
