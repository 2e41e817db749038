"""A stream's payloads from its source frames: what every payload asset (and the dry
run) computes."""

from __future__ import annotations

import polars as pl

from moulin_sync.hubspot.streams.cleaning import as_strings
from moulin_sync.hubspot.streams.hashing import payload_hashes
from moulin_sync.hubspot.streams.payloads import Payloads
from moulin_sync.hubspot.streams.spec import StreamSpec, TransformContext
from moulin_sync.hubspot.streams.validation import invalid_records
from moulin_sync.sources.spec import Frames


def stream_frames(spec: StreamSpec, frames: Frames) -> dict[str, pl.DataFrame]:
    """The transform's input frames, each taken from the source asset its key names."""
    return {name: frames.frame(key) for name, key in spec.sources.items()}


def build_payloads(
    spec: StreamSpec, frames: dict[str, pl.DataFrame], context: TransformContext
) -> Payloads:
    """The stream's payloads from its source frames: the transform, then every property
    as a string, the payload hash, and the model's check (failures quarantined)."""
    made = spec.transform(**frames, context=context)
    month = ("partition_key",) if spec.partitioned else ()
    records = made.records.select(
        "source_key", *as_strings(spec.property_names), *spec.link_columns, *month
    )
    records = records.with_columns(payload_hashes(records, spec.property_names))
    warnings = made.warnings
    if spec.partitioned and "partition_key" not in warnings.columns:
        warnings = warnings.join(
            records.select("source_key", "partition_key"), on="source_key", how="inner"
        )
    payloads = Payloads(records, made.quarantine, made.erased, warnings)
    return payloads.reject(invalid_records(spec.model, records))
