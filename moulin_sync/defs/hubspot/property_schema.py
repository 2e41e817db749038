"""`hubspot/property_schema`: the portal's custom properties, created from code."""

import json

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from moulin_sync.defs.hubspot.resources import HubSpot
from moulin_sync.defs.resources import Snapshots
from moulin_sync.hubspot.properties import SCHEMAS
from moulin_sync.hubspot.schema_sync import apply_schema

PORTAL_SCHEMA_FILE = "portal_properties.json"


@asset(
    key=["hubspot", "property_schema"],
    group_name="hubspot",
    kinds={"hubspot"},
    pool="hubspot_api",
    description="Custom properties of contacts, companies, deals and tickets in HubSpot, "
    "in one 'App du Moulin' group per object; created or completed, never altered.",
)
def property_schema(
    context: AssetExecutionContext, hubspot: HubSpot, snapshots: Snapshots
) -> MaterializeResult:
    client = hubspot.client()
    report = apply_schema(client, list(SCHEMAS.values()))
    # The portal's definitions, for payload checks that must not call HubSpot.
    folder = snapshots.store().root / "hubspot"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PORTAL_SCHEMA_FILE).write_text(json.dumps(report.portal, default=str))
    (folder / "property_mismatches.json").write_text(json.dumps(report.mismatches))
    if report.mismatches:
        context.log.warning(f"{len(report.mismatches)} HubSpot properties have another type")
    return MaterializeResult(
        metadata={
            "properties_created": len(report.created),
            "options_added": len(report.options_added),
            "groups_created": len(report.groups_created),
            "mismatches": len(report.mismatches),
            "created": MetadataValue.json(report.created),
            "api_calls": MetadataValue.json(dict(client.calls)),
        }
    )


@asset_check(asset=property_schema, blocking=True)
def property_types_match(snapshots: Snapshots) -> AssetCheckResult:
    """Fails when a property moulin-sync writes exists in HubSpot with another type."""
    path = snapshots.store().root / "hubspot" / "property_mismatches.json"
    mismatches = json.loads(path.read_text())
    table = "\n".join(f"| {m['property']} | {m['problem']} |" for m in mismatches)
    return AssetCheckResult(
        passed=not mismatches,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "mismatches": len(mismatches),
            "details": MetadataValue.md(
                "| property | problem |\n|---|---|\n" + table if mismatches else "_none_"
            ),
        },
    )
