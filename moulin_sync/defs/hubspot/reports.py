"""What the payload and write assets say about their work, as Dagster metadata.

A monthly asset's run covers many months: each month's materialization carries that
month's own figures, and the run's totals under names that say so (`run_created`)."""

from collections.abc import Sequence
from typing import Any

import polars as pl
from dagster import MetadataValue

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams.payloads import Payloads
from moulin_sync.hubspot.streams.spec import StreamSpec
from moulin_sync.hubspot.sync.ledger import SyncReport
from moulin_sync.lib.metadata import by_cause, by_reason, table_sample

RUN = "run_"


def of_run(metadata: dict[str, Any]) -> dict[str, Any]:
    """The run's figures, named as such, for a partitioned asset's shared metadata
    (Dagster's own entries, such as the row count, are each month's)."""
    return {RUN + name: value for name, value in metadata.items() if "/" not in name}


def run_figures(metadata: dict[str, Any]) -> dict[str, Any]:
    """A materialization's figures for its whole run: the `run_` ones of a month, or
    those of an unpartitioned asset."""
    of_the_run = {k.removeprefix(RUN): v for k, v in metadata.items() if k.startswith(RUN)}
    return of_the_run or metadata


def _by_month(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """A frame's rows by month, split once (a run may cover a hundred months)."""
    if "partition_key" not in frame.columns:
        return {}
    parts = frame.partition_by("partition_key", as_dict=True)
    return {key[0]: part for key, part in parts.items()}


def payload_month_metadata(payloads: Payloads, months: Sequence[str]) -> dict[str, dict]:
    """Each month's payload figures: its records, its quarantine and their causes."""
    records, quarantines, warned = (
        _by_month(frame) for frame in (payloads.records, payloads.quarantine, payloads.warnings)
    )
    found = {}
    for month in months:
        quarantine = quarantines.get(month, payloads.quarantine.head(0))
        warnings = warned.get(month, payloads.warnings.head(0))
        found[month] = {
            "dagster/row_count": records[month].height if month in records else 0,
            "warned": warnings.height,
            "warnings_by_cause": table_sample(by_cause(warnings), rows=30),
            "quarantined": quarantine.height,
            "quarantine": table_sample(quarantine, rows=20),
            "quarantine_by_cause": table_sample(by_cause(quarantine), rows=30),
        }
    return found


def write_month_metadata(
    spec: StreamSpec, report: SyncReport, months: Sequence[str]
) -> dict[str, dict]:
    """Each month's write figures: counted without overlap, and its own rejections."""
    found = {}
    for month in months:
        rejections = report.rejections(month)
        found[month] = {
            **report.month_counts(month),
            spec.warned_key: report.warnings(month).height,
            "rejections": table_sample(rejections, rows=20),
            "rejections_by_cause": table_sample(by_cause(rejections), rows=30),
            "waiting_for": table_sample(by_reason(report.waiting_records(month)), rows=30),
        }
    return found


def payload_metadata(payloads: Payloads) -> dict[str, Any]:
    return {
        "dagster/row_count": payloads.records.height,
        "warned": payloads.warnings.height,
        "quarantined": payloads.quarantine.height,
        "erased": payloads.erased.height,
        "sample": table_sample(payloads.records),
        "warnings": table_sample(payloads.warnings, rows=20),
        "warnings_by_cause": table_sample(by_cause(payloads.warnings), rows=30),
        "quarantine": table_sample(payloads.quarantine, rows=20),
        "quarantine_by_cause": table_sample(by_cause(payloads.quarantine), rows=30),
    }


def write_metadata(client: HubSpotClient, spec: StreamSpec, report: SyncReport) -> dict[str, Any]:
    """Counts, calls, 429s, rejections and warnings of a HubSpot write."""
    rejections = report.rejections()
    warnings = report.warnings()
    snapshot = client.snapshot()
    return {
        spec.warned_key: warnings.height,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "adopted": report.adopted,
        "reresolved": report.reresolved,
        "merged": report.merged,
        "merged_in": report.merged_in,
        "archived": report.archived,
        "gdpr_deleted": report.deleted,
        "rejected": rejections.height,
        "waiting": report.waiting,
        "associations_changed": report.associations_changed,
        "links_found_again": report.links_found_again,
        "api_calls": snapshot["api_calls"],
        "write_calls": snapshot["write_calls"],
        "rate_limited_429s": snapshot["rate_limited"],
        "duration_s": round(report.seconds, 2),
        "calls_by_endpoint": MetadataValue.json(snapshot["calls_by_endpoint"]),
        "stopped_early": MetadataValue.text(report.stopped or "no"),
        "rejections": table_sample(rejections, rows=20),
        "rejections_by_cause": table_sample(by_cause(rejections), rows=30),
        "waiting_for": table_sample(by_reason(report.waiting_records()), rows=30),
        "warnings": table_sample(warnings, rows=20),
        "warnings_by_cause": table_sample(by_cause(warnings), rows=30),
    }
