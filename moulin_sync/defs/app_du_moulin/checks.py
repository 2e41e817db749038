"""Source data-quality checks: warnings for the web team, never blocking the sync.

The rows they find are not lost: the payload layer quarantines them, or writes them with
a warning (a contact without its unusable email), with the same reasons, so they show up
again, per record, where HubSpot writes are reported.
"""

import polars as pl
from dagster import AssetCheckResult, AssetCheckSeverity, asset_check

from moulin_sync.defs.app_du_moulin.assets import customers
from moulin_sync.lib.metadata import table_sample
from moulin_sync.sources.app_du_moulin import quality


@asset_check(asset=customers, blocking=False)
def customers_have_unique_emails(customers: pl.DataFrame) -> AssetCheckResult:
    """Live customers sharing one email: HubSpot keeps one contact per email, so one of
    them keeps it and the others are contacts without email until the App du Moulin tells
    them apart."""
    duplicates = quality.duplicate_emails(customers)
    return AssetCheckResult(
        passed=duplicates.is_empty(),
        severity=AssetCheckSeverity.WARN,
        metadata={
            "duplicated_emails": duplicates.height,
            "customers_involved": int(duplicates["customers"].sum() or 0),
            "examples": table_sample(
                duplicates.with_columns(
                    pl.col("customer_ids").cast(pl.List(pl.String)).list.join(", ")
                )
            ),
        },
    )


@asset_check(asset=customers, blocking=False)
def customers_have_valid_emails(customers: pl.DataFrame) -> AssetCheckResult:
    """Live customers whose email is missing or invalid: their contacts go without an
    email (their orders still become deals) until the App du Moulin fixes it."""
    invalid = quality.invalid_emails(customers)
    by_reason = invalid.group_by("reason").len().sort("reason")
    return AssetCheckResult(
        passed=invalid.is_empty(),
        severity=AssetCheckSeverity.WARN,
        metadata={
            "customers_with_bad_email": invalid.height,
            **{f"{reason}": count for reason, count in by_reason.iter_rows()},
            "examples": table_sample(invalid),
        },
    )
