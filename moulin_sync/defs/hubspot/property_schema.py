"""`hubspot/property_schema`: the portal's custom properties, created from the specs."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    MetadataValue,
    Output,
    asset,
    asset_check,
)

from moulin_sync.defs.hubspot.resources import HubSpot
from moulin_sync.defs.resources import SyncSettings
from moulin_sync.defs.retries import TRANSIENT, failures_classified
from moulin_sync.hubspot.streams import custom_properties
from moulin_sync.hubspot.sync.portal import PortalSchema, apply_schema
from moulin_sync.lib.metadata import records_table, table_sample


@asset(
    key=["hubspot", "property_schema"],
    group_name="hubspot",
    kinds={"hubspot"},
    pool="hubspot_api",
    description="Custom properties of every object moulin-sync writes, in a group per "
    "source and object ('App du Moulin', 'Typeform NPS', ...); created or completed, never "
    "altered.",
    retry_policy=TRANSIENT,
)
def property_schema(
    context: AssetExecutionContext, hubspot: HubSpot, settings: SyncSettings
) -> Output[PortalSchema]:
    with failures_classified():
        client = hubspot.client()
        # Only what the sources that are on feed: one that is off changes nothing.
        report = apply_schema(client, custom_properties(settings.streams()))
    if report.mismatches:
        context.log.warning(f"{len(report.mismatches)} HubSpot properties have another type")
    return Output(
        report,
        metadata={
            "properties_created": len(report.created),
            "options_added": len(report.options_added),
            "groups_created": len(report.groups_created),
            "mismatches": len(report.mismatches),
            "created": MetadataValue.json(report.created),
            "api_calls": MetadataValue.json(dict(client.calls)),
        },
    )


@asset_check(asset=property_schema, blocking=True)
def property_types_match(property_schema: PortalSchema) -> AssetCheckResult:
    """Fails when a property moulin-sync writes exists in HubSpot with another type."""
    mismatches = property_schema.mismatches
    return AssetCheckResult(
        passed=not mismatches,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "mismatches": len(mismatches),
            "details": table_sample(records_table(mismatches, ("property", "problem"))),
        },
    )
