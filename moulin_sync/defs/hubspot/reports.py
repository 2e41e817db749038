"""What the payload and write assets say about their work, as Dagster metadata."""

from typing import Any

import polars as pl
from dagster import MetadataValue

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams.payloads import Payloads
from moulin_sync.hubspot.sync.ledger import SyncReport
from moulin_sync.lib.metadata import markdown_table, table_sample


def _by_reason(rejections: pl.DataFrame) -> pl.DataFrame:
    if rejections.is_empty():
        return pl.DataFrame(schema={"reason": pl.String, "len": pl.UInt32})
    return rejections.group_by("reason").len().sort("len", descending=True)


def payload_metadata(payloads: Payloads) -> dict[str, Any]:
    return {
        "dagster/row_count": payloads.records.height,
        "quarantined": payloads.quarantine.height,
        "erased": payloads.erased.height,
        "sample": table_sample(payloads.records),
        "quarantine": markdown_table(payloads.quarantine, rows=20),
        "quarantine_by_reason": markdown_table(_by_reason(payloads.quarantine), rows=20),
    }


def write_metadata(client: HubSpotClient, report: SyncReport) -> dict[str, Any]:
    """Counts, calls, 429s and rejections of a HubSpot write."""
    rejections = report.rejections()
    snapshot = client.snapshot()
    return {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "adopted": report.adopted,
        "reresolved": report.reresolved,
        "merged": report.merged,
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
        "rejections": markdown_table(rejections, rows=20),
        "rejections_by_reason": markdown_table(_by_reason(rejections), rows=20),
    }
