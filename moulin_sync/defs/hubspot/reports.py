"""What the payload and write assets say about their work, as Dagster metadata."""

from typing import Any

from dagster import MetadataValue

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams.payloads import Payloads
from moulin_sync.hubspot.sync.ledger import SyncReport
from moulin_sync.lib.metadata import by_cause, by_reason, table_sample


def payload_metadata(payloads: Payloads) -> dict[str, Any]:
    return {
        "dagster/row_count": payloads.records.height,
        "quarantined": payloads.quarantine.height,
        "erased": payloads.erased.height,
        "sample": table_sample(payloads.records),
        "quarantine": table_sample(payloads.quarantine, rows=20),
        "quarantine_by_cause": table_sample(by_cause(payloads.quarantine), rows=30),
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
        "rejections": table_sample(rejections, rows=20),
        "rejections_by_cause": table_sample(by_cause(rejections), rows=30),
        "waiting_for": table_sample(by_reason(report.waiting_records()), rows=30),
    }
