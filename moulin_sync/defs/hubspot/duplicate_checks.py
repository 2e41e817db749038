"""A check that HubSpot holds each record of a stream once, for any stream with a unique
key of its own: every live record of its type read from HubSpot (never our state store),
the keys carried by more than one listed. A source declares it for its streams (in
`defs/<source>/checks.py`)."""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    asset_check,
)

from moulin_sync.defs.hubspot.factory import records_key
from moulin_sync.defs.hubspot.resources import HubSpot
from moulin_sync.defs.retries import failures_classified
from moulin_sync.hubspot.streams.spec import StreamSpec
from moulin_sync.hubspot.sync.duplicates import duplicates_of
from moulin_sync.lib.metadata import table_sample


def duplicate_check(spec: StreamSpec) -> AssetChecksDefinition:
    noun = spec.record_noun

    @asset_check(
        asset=records_key(spec),
        name=f"no_duplicate_{spec.object_type}",
        pool="hubspot_api",
        description=f"Fails when HubSpot holds two live {noun}s or more with one "
        f"{spec.key_property} (a copy made by hand, an import, another tool): read from "
        f"HubSpot itself, every {noun}, 100 a call.",
    )
    def no_duplicates(context: AssetCheckExecutionContext, hubspot: HubSpot) -> AssetCheckResult:
        with failures_classified():
            found = duplicates_of(hubspot.client(), spec)
        context.log.info(
            f"{spec.name}: {found.read:,} {noun}s read in {found.calls:,} calls; "
            f"{found.by_key.height} {spec.key_property} held more than once"
        )
        return AssetCheckResult(
            passed=found.by_key.is_empty(),
            severity=AssetCheckSeverity.WARN,
            metadata={
                f"duplicate_{spec.object_type}": found.extra_records,
                "keys_held_twice": found.by_key.height,
                f"{spec.object_type}_read": found.read,
                "read_calls": found.calls,
                "duplicates": table_sample(
                    found.by_key.rename({"key": spec.key_property or "key"}), rows=30
                ),
            },
        )

    return no_duplicates
