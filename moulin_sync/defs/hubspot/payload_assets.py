"""Saving and loading payload snapshots: records, quarantine and erasures per object."""

import polars as pl
from dagster import MaterializeResult

from moulin_sync.hubspot.models import validate_records
from moulin_sync.hubspot.transforms import Payloads
from moulin_sync.lib.metadata import markdown_table, table_sample
from moulin_sync.lib.parquet_store import ParquetStore

PARTS = ("records", "quarantine", "erased")


def save_payloads(
    store: ParquetStore,
    object_type: str,
    payloads: Payloads,
    model: type,
    partition: str | None = None,
) -> Payloads:
    """Validate the records against the payload model, then keep all three parts."""
    valid, invalid = validate_records(model, payloads.records)
    payloads = Payloads(
        records=valid,
        quarantine=pl.concat([payloads.quarantine, invalid], how="diagonal_relaxed"),
        erased=payloads.erased,
    )
    for part in PARTS:
        store.write(["hubspot_payloads", object_type, part], getattr(payloads, part), partition)
    return payloads


def load_payloads(
    store: ParquetStore, object_type: str, partitions: list[str] | None = None
) -> Payloads:
    keys = partitions or [None]
    return Payloads(
        *(store.read_partitions(["hubspot_payloads", object_type, part], keys) for part in PARTS)
    )


def payload_result(payloads: Payloads) -> MaterializeResult:
    reasons = (
        payloads.quarantine.group_by("reason").len().sort("len", descending=True)
        if payloads.quarantine.height
        else payloads.quarantine.head(0)
    )
    return MaterializeResult(
        metadata={
            "dagster/row_count": payloads.records.height,
            "quarantined": payloads.quarantine.height,
            "erased": payloads.erased.height,
            "sample": table_sample(payloads.records),
            "quarantine": markdown_table(payloads.quarantine, rows=20),
            "quarantine_by_reason": markdown_table(reasons, rows=20),
        }
    )
